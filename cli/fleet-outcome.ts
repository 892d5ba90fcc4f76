/**
 * Where a restore-fleet execution is, or how it ended, told once for `status` and for following
 * it (`watch`, `fleet --wait`): the counts while it runs; at the end one row per instance and what
 * to do about failures, exit 1 when any instance failed.
 */
import type { DescribeExecutionOutput, SFNClient } from '@aws-sdk/client-sfn';
import type { FleetOutput } from '@shared/fleet-state';
import { executionArnFor, executionName } from './arns';
import type { CliContext } from './context';
import { isFailedStatus } from './execution-facts';
import { ExitCodes } from './exit-codes';
import { FleetChildren } from './fleet-children';
import { type FleetMember, FleetTracker, fleetMembers, restoredText } from './fleet-progress';
import { countsText } from './fleet-progress-view';
import { duration, secondsBetween, table } from './format';
import { parseJson } from './json';
import { executionFields } from './outcome';
import { readHistory } from './progress';

/** `status` of a fleet execution: how far it is, or how it ended with one row per instance. */
export async function fleetStatus(
  ctx: CliContext,
  sfn: SFNClient,
  e: DescribeExecutionOutput & { executionArn: string },
): Promise<number> {
  const output = e.status === 'SUCCEEDED' ? parseJson<FleetOutput>(e.output) : null;
  const tracker = FleetTracker.of(output ? [] : await readHistory(sfn, e.executionArn));
  if (!output) await fleetChildren(ctx, sfn, tracker, e).poll();
  if (ctx.json) {
    ctx.emit({
      ...executionFields(e),
      error: e.error ?? null,
      cause: e.cause ?? null,
      progress: output ? null : tracker.counts(),
      output,
    });
  }
  if (e.status === 'RUNNING') {
    ctx.say(`progress   ${countsText(tracker.counts())}`);
    ctx.say(`Follow it: ec2-restore watch ${e.executionArn}`);
    return ExitCodes.Ok;
  }
  return printFleetOutcome(ctx, e, output, fleetMembers(e, tracker));
}

/** A Distributed Map fleet's restore-instance children, which the tracker reads its progress from. */
export function fleetChildren(
  ctx: CliContext,
  sfn: SFNClient,
  tracker: FleetTracker,
  fleet: DescribeExecutionOutput,
): FleetChildren {
  return new FleetChildren(sfn, tracker, fleet, ctx.io.env.EC2_RESTORE_STATE_MACHINE_ARN);
}

/** How the fleet ended, one row per instance, and what to do about failures; exit 1 when any failed. */
export function printFleetOutcome(
  ctx: CliContext,
  e: DescribeExecutionOutput & { executionArn: string },
  output: FleetOutput | null,
  members: readonly FleetMember[],
): number {
  const took = duration(secondsBetween(e.startDate, e.stopDate ?? undefined));
  ctx.say('');
  if (!output) {
    ctx.say(`Fleet ${e.status}${isFailedStatus(e.status) ? ` after ${took}` : ''}`);
    if (e.error) ctx.say(`  error  ${e.error}`);
    if (e.cause) ctx.say(`  cause  ${e.cause}`);
    if (members.length > 0) ctx.say(memberTable(members));
    return isFailedStatus(e.status) ? ExitCodes.RestoreFailed : ExitCodes.Ok;
  }
  if (output.total === 0) {
    ctx.say(`Fleet finished in ${took}: nothing to restore. ${output.note ?? ''}`.trimEnd());
    return ExitCodes.Ok;
  }
  // The execution SUCCEEDED as soon as every instance was tried; what a person needs is how many
  // were restored, so the word SUCCEEDED never stands beside a failure.
  ctx.say(`Fleet finished in ${took}: ${restoredText(output)}`);
  ctx.say(memberTable(members));
  const report = `Every instance on one time axis: ec2-restore report ${e.executionArn} --out fleet.html`;
  if (output.failed > 0) {
    ctx.say('What to do next:');
    for (const line of failedMemberSteps(members, ctx.io.env.EC2_RESTORE_STATE_MACHINE_ARN)) {
      ctx.say(`  ${line}`);
    }
    ctx.say(`  - ${report}`);
  } else ctx.say(report);
  return output.failed > 0 ? ExitCodes.RestoreFailed : ExitCodes.Ok;
}

/** How many failed members get a command of their own; the table above names the rest. */
export const FAILED_STEPS_SHOWN = 3;

/**
 * One `ec2-restore status NAME` per failed child (its name when the restore-instance state machine
 * is the configured one, so the name resolves; else its ARN), and `recovery-points` for an
 * instance that had no child because it had no usable recovery point; at most a few.
 */
export function failedMemberSteps(
  members: readonly FleetMember[],
  restoreStateMachineArn: string | undefined,
): string[] {
  const failed = members.filter((m) => m.status === 'FAILED');
  const command = (m: FleetMember) => {
    if (!m.executionArn) return `ec2-restore recovery-points --instance-id ${m.instanceId}`;
    const name = executionName(m.executionArn);
    const byName =
      restoreStateMachineArn !== undefined &&
      executionArnFor(restoreStateMachineArn, name) === m.executionArn;
    return `ec2-restore status ${byName ? name : m.executionArn}`;
  };
  const shown = failed.slice(0, FAILED_STEPS_SHOWN).map((m) => `    ${command(m)}`);
  const more = failed.length - shown.length;
  return [
    `- Why ${failed.length === 1 ? 'it' : 'each'} failed, and how to fix it:`,
    ...shown,
    ...(more > 0 ? [`    … and ${more} more (the FAILED rows above)`] : []),
  ];
}

function memberTable(members: readonly FleetMember[]): string {
  const rows = members.map((m) => [m.instanceId, m.status, m.error ?? '—', m.executionArn ?? '—']);
  return table(['instance', 'status', 'error', 'child execution'], rows)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
