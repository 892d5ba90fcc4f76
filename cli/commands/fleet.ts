/**
 * `ec2-restore fleet`: restore many instances through the restore-fleet workflow (contracts §3).
 * Like `start`: the flags build the request (the per-instance ones become its `defaults`), the
 * workflow's own schema validates it (a bad flag is named and exits 2 before anything starts),
 * the execution gets a readable name, and `--wait` follows it: "n of N done, k failed so far",
 * then one row per instance. Exit 1 when any instance failed.
 */
import { DescribeExecutionCommand, type DescribeExecutionOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { type FleetRequest, parseFleetRequest } from '@shared/fleet-request';
import type { FleetOutput } from '@shared/fleet-state';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { isFailedStatus } from '../execution-facts';
import { ExitCodes } from '../exit-codes';
import { FleetChildren } from '../fleet-children';
import { type FleetMember, FleetTracker, fleetMembers } from '../fleet-progress';
import { countsText, createFleetProgressView } from '../fleet-progress-view';
import { duration, secondsBetween, table, utc } from '../format';
import { parseJson } from '../json';
import { followHistory, readHistory } from '../progress';
import {
  buildRestoreInput,
  defined,
  executionStamp,
  executionVerb,
  FLAG_FOR_FIELD,
  launch,
  numberOrText,
  type StartFlags,
  validateFlags,
} from './start';
import { showUntilEnd, type WatchOptions } from './watch';

export interface FleetFlags extends Omit<StartFlags, 'instanceId' | 'recoveryPoint'> {
  readonly instanceIds?: string;
  readonly tag?: string;
  readonly maxConcurrency?: string;
}

/** Fleet request fields → flags; every per-instance default is the flag `start` has for it. */
const FLEET_FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  instanceIds: '--instance-ids',
  tag: '--tag',
  backupVaultName: '--vault',
  maxConcurrency: '--max-concurrency',
  ...Object.fromEntries(Object.entries(FLAG_FOR_FIELD).map(([field, flag]) => [`defaults.${field}`, flag])),
};

export async function runFleet(flags: FleetFlags, ctx: CliContext): Promise<number> {
  const input = buildFleetInput(flags);
  const request = validateFlags(parseFleetRequest, input, 'fleet', FLEET_FLAG_FOR_FIELD);
  const name = flags.name ?? defaultFleetName(request, new Date());
  return launch(
    ctx,
    'restoreFleet',
    input,
    { ...flags, name, explicitName: flags.name !== undefined },
    watchFleet,
  );
}

/** The fleet request, holding only what the flags set: the workflow fills in its own defaults. */
export function buildFleetInput(flags: FleetFlags): Record<string, unknown> {
  if ((flags.instanceIds === undefined) === (flags.tag === undefined)) {
    throw usageError(
      'Give exactly one of --instance-ids or --tag.',
      'For example --tag AWSBackup=EC2, or --instance-ids i-0123456789abcdef0,i-0123456789abcdef1.',
    );
  }
  const { vault, ...perInstance } = flags;
  const defaults = buildRestoreInput(perInstance);
  return defined({
    instanceIds: flags.instanceIds?.split(',').map((id) => id.trim()),
    tag: flags.tag === undefined ? undefined : parseTag(flags.tag),
    backupVaultName: vault,
    maxConcurrency: flags.maxConcurrency === undefined ? undefined : numberOrText(flags.maxConcurrency),
    defaults: Object.keys(defaults).length > 0 ? defaults : undefined,
  });
}

/** `KEY=VALUE` (the value may be empty, and may hold `=`). */
function parseTag(text: string): { key: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) {
    throw usageError(`--tag: "${text}" is not KEY=VALUE.`, 'For example --tag AWSBackup=EC2.');
  }
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

/** `restore-fleet-AWSBackup-EC2-20261120T101500Z`, `test-fleet-3-instances-…`, `plan-fleet-i-0123…-…`. */
export function defaultFleetName(request: FleetRequest, now: Date): string {
  const ids = request.instanceIds ?? [];
  const target = request.tag
    ? `${request.tag.key}-${request.tag.value}`
    : ids.length === 1
      ? (ids[0] ?? '')
      : `${ids.length}-instances`;
  const safe = target
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return `${executionVerb(request.defaults)}-fleet-${safe || 'tag'}-${executionStamp(now)}`;
}

/** Follows a fleet execution to its end, then prints one row per instance (`watch` and `fleet --wait`). */
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
  const interrupted = await showUntilEnd(ctx, view, options.pollInterval, (follow) =>
    followHistory(sfn, executionArn, (event) => tracker.consume(event), {
      ...follow,
      alongside: () => children.poll(),
    }),
  );

  const ended = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (interrupted) {
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
      executionArn: e.executionArn,
      name: e.name ?? null,
      stateMachineArn: e.stateMachineArn ?? null,
      status: e.status ?? null,
      startDate: e.startDate?.toISOString() ?? null,
      stopDate: e.stopDate?.toISOString() ?? null,
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
function fleetChildren(
  ctx: CliContext,
  sfn: SFNClient,
  tracker: FleetTracker,
  fleet: DescribeExecutionOutput,
): FleetChildren {
  return new FleetChildren(sfn, tracker, fleet, ctx.io.env.EC2_RESTORE_STATE_MACHINE_ARN);
}

/** How the fleet ended, one row per instance, and what to do about failures; exit 1 when any failed. */
function printFleetOutcome(
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
    ctx.say(`Fleet ${e.status} in ${took}: nothing to restore. ${output.note ?? ''}`.trimEnd());
    return ExitCodes.Ok;
  }
  ctx.say(
    `Fleet ${e.status} in ${took}: ${output.total} instances, ${output.succeeded} succeeded, ${output.failed} failed`,
  );
  ctx.say(memberTable(members));
  const report = `Every instance on one time axis: ec2-restore report ${e.executionArn} --out fleet.html`;
  if (output.failed > 0) {
    ctx.say('What to do next:');
    ctx.say('  - Why one failed, and its next steps: ec2-restore status <child execution>');
    ctx.say(`  - ${report}`);
  } else ctx.say(report);
  return output.failed > 0 ? ExitCodes.RestoreFailed : ExitCodes.Ok;
}

function memberTable(members: readonly FleetMember[]): string {
  const rows = members.map((m) => [m.instanceId, m.status, m.error ?? '—', m.executionArn ?? '—']);
  return table(['instance', 'status', 'error', 'child execution'], rows)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
