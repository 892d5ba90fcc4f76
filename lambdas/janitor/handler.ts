import { backupClient } from '@shared/clients/backup';
import { ec2Client } from '@shared/clients/ec2';
import { snsClient } from '@shared/clients/sns';
import { createLogger, type Logger } from '@shared/logger';
import type { Clock } from '@shared/time';
import { type JanitorDeps, type JanitorResult, runJanitor } from './janitor';
import { janitorConfig } from './janitor-env';
import { parseInvocation } from './janitor-events';
import { sfnClient } from './sfn-client';

export interface JanitorHandlerOptions {
  readonly env?: Record<string, string | undefined>;
  /** Clients to use instead of the default ones (the emulator's endpoint). */
  readonly clients?: Partial<Pick<JanitorDeps, 'ec2' | 'sfn' | 'backup' | 'sns'>>;
  readonly now?: Clock;
  readonly logger?: Logger;
  readonly emitMetric?: (line: string) => void;
}

/** The janitor Lambda: EventBridge events and the sweep schedule (lambdas/janitor/janitor.ts). */
export function createJanitorHandler(
  options: JanitorHandlerOptions = {},
): (event: unknown) => Promise<JanitorResult> {
  let deps: JanitorDeps | undefined;
  const init = (): JanitorDeps => {
    const logger = options.logger ?? createLogger();
    logger.appendKeys({ step: 'janitor' });
    return {
      config: janitorConfig(options.env ?? process.env),
      ec2: options.clients?.ec2 ?? ec2Client(),
      sfn: options.clients?.sfn ?? sfnClient(),
      backup: options.clients?.backup ?? backupClient(),
      sns: options.clients?.sns ?? snsClient(),
      now: options.now ?? (() => new Date()),
      logger,
      // EMF must reach the log stream as a bare JSON line; the Lambda runtime's JSON log format
      // wraps console output, while writes to stdout pass as they are [unconfirmed for every runtime].
      emitMetric: options.emitMetric ?? ((line) => process.stdout.write(`${line}\n`)),
    };
  };
  return async (event: unknown) => {
    deps ??= init();
    const invocation = parseInvocation(event);
    try {
      return await runJanitor(invocation, deps);
    } catch (error) {
      deps.logger.error('janitor failed', { error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };
}

export const handler = createJanitorHandler();
