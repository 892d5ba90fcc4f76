/**
 * `ec2-restore sweep [--apply] [--retention-minutes N]`: test-mode leftovers in the account (or
 * the emulator), found and judged by the very rules the janitor's scheduled sweep applies
 * (lambdas/janitor/sweep.ts); `--apply` removes them. Exit 1 when anything was found, so a
 * scheduled job or CI notices; 0 when the account is clean.
 */
import { BackupClient } from '@aws-sdk/client-backup';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  DEFAULT_RETENTION_MINUTES,
  findLeftovers,
  type Leftover,
  removeLeftovers,
  type SweepRemoval,
} from '@lambdas/janitor/sweep';
import { createLogger } from '@shared/logger';
import type { CliContext } from '../context';
import { ExitCodes } from '../exit-codes';
import { table, utc } from '../format';

export interface SweepOptions {
  readonly apply?: boolean;
  readonly retentionMinutes?: number;
}

export async function runSweep(options: SweepOptions, ctx: CliContext): Promise<number> {
  const retentionMinutes = options.retentionMinutes ?? DEFAULT_RETENTION_MINUTES;
  // Optional: with it, instances of restore jobs that finished after their execution gave up are found too.
  const restoreStateMachineArn = ctx.options.stateMachineArn || ctx.io.env.EC2_RESTORE_STATE_MACHINE_ARN;
  const sfn = ctx.sfn(restoreStateMachineArn);
  const ec2 = ctx.client((config) => new EC2Client(config));
  const backup = ctx.client((config) => new BackupClient(config));
  const now = new Date();
  if (!ctx.json)
    ctx.say(`Looking for test-mode leftovers of executions that ended over ${retentionMinutes} minutes ago…`);
  const leftovers = await findLeftovers(
    { ec2, sfn, backup },
    { now, retentionMinutes, ...(restoreStateMachineArn && { restoreStateMachineArn }) },
  );
  const removals = options.apply
    ? await removeLeftovers(leftovers, {
        ec2,
        now: () => new Date(),
        logger: createLogger('ec2-restore', () => {}),
      })
    : [];
  const failed = removals.filter((r) => !r.removed);

  if (ctx.json) {
    ctx.emit({
      retentionMinutes,
      applied: options.apply === true,
      restoreJobsChecked: Boolean(restoreStateMachineArn),
      leftovers: leftovers.map(toJson),
      removals,
    });
  } else {
    report(ctx, leftovers, removals, options.apply === true, Boolean(restoreStateMachineArn));
  }
  return leftovers.length > 0 || failed.length > 0 ? ExitCodes.RestoreFailed : ExitCodes.Ok;
}

function toJson(leftover: Leftover) {
  return {
    executionArn: leftover.executionArn,
    executionStatus: leftover.executionStatus,
    executionStoppedAt: leftover.executionStoppedAt,
    reason: leftover.reason,
    instanceIds: leftover.instances.map((i) => i.instanceId),
    allocationIds: leftover.addresses.map((a) => a.allocationId),
  };
}

function report(
  ctx: CliContext,
  leftovers: readonly Leftover[],
  removals: readonly SweepRemoval[],
  applied: boolean,
  jobsChecked: boolean,
): void {
  if (!jobsChecked) {
    ctx.say(
      'Restore jobs not checked: export EC2_RESTORE_STATE_MACHINE_ARN (or pass --state-machine-arn) to also find instances that jobs created after their execution gave up.',
    );
  }
  if (leftovers.length === 0) {
    ctx.say('Nothing left behind.');
    return;
  }
  const rows = leftovers.flatMap((l) => [
    ...l.instances.map((i) => [i.instanceId, i.state, l.executionStatus, stopped(l), name(l.executionArn)]),
    ...l.addresses.map((a) => [
      a.allocationId,
      a.publicIp ?? '',
      l.executionStatus,
      stopped(l),
      name(l.executionArn),
    ]),
  ]);
  ctx.say(table(['RESOURCE', 'STATE/IP', 'EXECUTION', 'ENDED (UTC)', 'EXECUTION NAME'], rows));
  ctx.say('');
  if (!applied) {
    ctx.say(`${rows.length} leftover(s). Remove them: ec2-restore sweep --apply`);
    return;
  }
  for (const r of removals) {
    ctx.say(
      r.removed
        ? `removed  ${[...r.instanceIds, ...r.allocationIds].join(', ')} (${name(r.executionArn)})`
        : `FAILED   ${name(r.executionArn)}: ${r.error}`,
    );
  }
}

const stopped = (l: Leftover) =>
  l.executionStoppedAt ? utc(l.executionStoppedAt).replace(' UTC', '') : 'unknown';
const name = (arn: string) => arn.split(':').at(-1) ?? arn;
