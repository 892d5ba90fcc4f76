/**
 * Following an execution until it ends (`watch`, `start --wait`, `fleet --wait`): live progress,
 * then how it ended. A restore-instance execution shows its steps; a restore-fleet one shows
 * "n of N done, k failed so far", then one row per instance. Ctrl-C stops watching, never the
 * restore, and says how to pick it up again.
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { FleetOutput } from '@shared/fleet-state';
import type { CliContext } from './context';
import { ExitCodes } from './exit-codes';
import { fleetChildren, printFleetOutcome } from './fleet-outcome';
import { FleetTracker, fleetMembers, isFleetExecution } from './fleet-progress';
import { countsText, createFleetProgressView } from './fleet-progress-view';
import { utc } from './format';
import { parseJson } from './json';
import { printOutcome, readOutcome, resultDocument, statusDocument } from './outcome';
import { type FollowOptions, followExecution, followHistory } from './progress';
import { createProgressView } from './progress-view';

export interface WatchOptions {
  /** Seconds between history reads. */
  readonly pollInterval: number;
}

/** Follows any execution to its end: a fleet one as a fleet, else as one restore. */
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
  const reachedEnd = await showUntilEnd(ctx, view, options.pollInterval, (follow) =>
    followExecution(sfn, executionArn, follow),
  );

  const outcome = await readOutcome(sfn, executionArn);
  if (!reachedEnd && isRunning(outcome.execution.status)) {
    ctx.say('');
    ctx.say(`Stopped watching; the restore goes on (${outcome.execution.status}). Resume with:`);
    ctx.say(`  ec2-restore watch ${executionArn}`);
    if (ctx.json) ctx.emit(statusDocument(outcome));
    return ExitCodes.Interrupted;
  }
  if (ctx.json) ctx.emit(resultDocument(outcome));
  return printOutcome(ctx, outcome);
}

/** Follows a fleet execution to its end, then prints one row per instance. */
export async function watchFleet(
  ctx: CliContext,
  sfn: SFNClient,
  executionArn: string,
  options: WatchOptions,
): Promise<number> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const startedAt = execution.startDate ?? new Date();
  ctx.say(
    `Watching fleet ${execution.name} (${execution.status}, started ${utc(startedAt.toISOString())}); Ctrl-C stops watching, not the restores.`,
  );
  const tracker = new FleetTracker();
  const children = fleetChildren(ctx, sfn, tracker, execution);
  const view = createFleetProgressView(ctx.human, { startedAt });
  const reachedEnd = await showUntilEnd(ctx, view, options.pollInterval, (follow) =>
    followHistory(sfn, executionArn, (event) => tracker.consume(event), {
      ...follow,
      alongside: () => children.poll(),
    }),
  );

  const ended = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (!reachedEnd && isRunning(ended.status)) {
    const counts = tracker.counts();
    ctx.say('');
    ctx.say(`Stopped watching; the fleet goes on (${ended.status}, ${countsText(counts)}). Resume with:`);
    ctx.say(`  ec2-restore watch ${executionArn}`);
    if (ctx.json) ctx.emit({ executionArn, status: ended.status ?? null, ...counts });
    return ExitCodes.Interrupted;
  }
  const output = ended.status === 'SUCCEEDED' ? parseJson<FleetOutput>(ended.output) : null;
  if (ctx.json) {
    ctx.emit(
      output ?? {
        executionArn,
        status: ended.status ?? null,
        error: ended.error ?? null,
        cause: ended.cause ?? null,
      },
    );
  }
  return printFleetOutcome(ctx, { ...ended, executionArn }, output, fleetMembers(ended, tracker));
}

/**
 * Shows what `follow` yields until the execution ends or Ctrl-C, which stops the following and
 * nothing else. Resolves to true when the end was shown.
 *
 * Whether Ctrl-C was pressed does not decide how the command ends: it can land after the end was
 * read, or while the watcher sleeps between polls of an execution that has already ended (the
 * race that once printed a SUCCEEDED execution's status and exited 130). The caller reads the
 * execution afterwards; only one still running was left behind by the interrupt.
 */
async function showUntilEnd<T extends { readonly kind: string }>(
  ctx: CliContext,
  view: { show(line: T): void; idle(): void; close(): void },
  pollInterval: number,
  follow: (options: FollowOptions) => AsyncIterable<T>,
): Promise<boolean> {
  const interrupted = new AbortController();
  const stopListening = ctx.io.onInterrupt(() => interrupted.abort());
  let reachedEnd = false;
  try {
    const lines = follow({
      pollMs: pollInterval * 1000,
      signal: interrupted.signal,
      onIdle: () => view.idle(),
    });
    for await (const line of lines) {
      view.show(line);
      if (line.kind === 'end' || line.kind === 'failure') reachedEnd = true;
    }
  } finally {
    stopListening();
    view.close();
  }
  return reachedEnd;
}

/** Still going: Ctrl-C left it behind, and watching it again picks it up. */
function isRunning(status: string | undefined): boolean {
  return status === 'RUNNING' || status === 'PENDING_REDRIVE';
}
