import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Never pass key material, parameter values or raw SSH errors with payloads.
 *
 * `sink`, when given, receives each printed line instead of stdout: the emulator collects the
 * in-process Lambdas' logs this way (as CloudWatch would), and tests scan them for secrets.
 */
export function createLogger(
  serviceName = 'ec2-restore-orchestrator',
  sink?: (line: string) => void,
): Logger {
  const logger = new Logger({ serviceName });
  if (sink) {
    const write = (...args: unknown[]) => sink(args.map(String).join(' '));
    // Powertools prints through its private `console`; swapping it is the only hook it offers.
    (logger as unknown as { console: Partial<Console> }).console = {
      log: write,
      info: write,
      warn: write,
      error: write,
      debug: write,
      trace: write,
    };
  }
  return logger;
}

export type { Logger };
