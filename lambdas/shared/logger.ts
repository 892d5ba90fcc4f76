import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs. Never pass key material, parameter values or raw SSH errors with payloads. */
export function createLogger(serviceName = 'ec2-restore-orchestrator'): Logger {
  return new Logger({ serviceName });
}

export type { Logger };
