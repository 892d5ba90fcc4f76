/**
 * `ec2-restore watch EXECUTION` (and `start --wait`): live progress until the execution ends, then
 * how it ended. Ctrl-C stops watching, never the restore, and says how to pick it up again.
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { CliContext } from '../context';
import { ExitCodes } from '../exit-codes';
import { isFleetExecution } from '../fleet-progress';
import { utc } from '../format';
import { printOutcome, readOutcome, resolveExecution, resultDocument, statusDocument } from '../outcome';
import { type FollowOptions, followExecution } from '../progress';
import { createProgressView } from '../progress-view';
import { watchFleet } from './fleet';

export interface WatchOptions {
  /** Seconds between history reads. */
  readonly pollInterval: number;
}

export async function runWatch(ref: string, options: WatchOptions, ctx: CliContext): Promise<number> {
  const executionArn = await resolveExecution(ctx, ref);
  return watchExecution(ctx, ctx.sfn(executionArn), executionArn, options);
}

export async function watchExecution(
  ctx: CliContext,
  sfn: SFNClient,
  executionArn: string,
  options: WatchOptions,
): Promise<number> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (isFleetExecution(execution, ctx.io.env.EC2_RESTORE_FLEET_STATE_MACHINE_ARN)) {
    return watchFleet(ctx, sfn, executionArn, options);
  }
  const startedAt = execution.startDate ?? new Date();
  ctx.say(
    `Watching ${execution.name} (${execution.status}, started ${utc(startedAt.toISOString())}); Ctrl-C stops watching, not the restore.`,
  );
  const view = createProgressView(ctx.human, { startedAt });
  const interrupted = await showUntilEnd(ctx, view, options.pollInterval, (follow) =>
    followExecution(sfn, executionArn, follow),
  );

  const outcome = await readOutcome(sfn, executionArn);
  if (interrupted) {
    ctx.say('');
    ctx.say(`Stopped watching; the restore goes on (${outcome.execution.status}). Resume with:`);
    ctx.say(`  ec2-restore watch ${executionArn}`);
    if (ctx.json) ctx.emit(statusDocument(outcome));
    return ExitCodes.Interrupted;
  }
  if (ctx.json) ctx.emit(resultDocument(outcome));
  return printOutcome(ctx, outcome);
}

/**
 * Shows what `follow` yields until the execution ends or Ctrl-C, which stops the following and
 * nothing else. Resolves to true when it was interrupted.
 */
export async function showUntilEnd<T>(
  ctx: CliContext,
  view: { show(line: T): void; idle(): void; close(): void },
  pollInterval: number,
  follow: (options: FollowOptions) => AsyncIterable<T>,
): Promise<boolean> {
  const interrupted = new AbortController();
  const stopListening = ctx.io.onInterrupt(() => interrupted.abort());
  try {
    const lines = follow({
      pollMs: pollInterval * 1000,
      signal: interrupted.signal,
      onIdle: () => view.idle(),
    });
    for await (const line of lines) view.show(line);
  } finally {
    stopListening();
    view.close();
  }
  return interrupted.signal.aborted;
}
