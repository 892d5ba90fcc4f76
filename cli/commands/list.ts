/**
 * `ec2-restore list [--status S]`: recent executions, newest first, of the restore workflow and,
 * when its state machine is configured, of the fleet workflow too, each marked with its kind.
 */
import { type ExecutionListItem, type ExecutionStatus, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { isStateMachineArn } from '../arns';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { ExitCodes } from '../exit-codes';
import { duration, secondsBetween, table, utc } from '../format';

const STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

export interface ListOptions {
  readonly status?: string;
  readonly max: number;
}

type Kind = 'restore' | 'fleet';

interface Listed extends ExecutionListItem {
  readonly kind: Kind;
}

export async function runList(options: ListOptions, ctx: CliContext): Promise<number> {
  const statusFilter = options.status?.toUpperCase() as ExecutionStatus | undefined;
  if (statusFilter && !STATUSES.includes(statusFilter)) {
    throw usageError(`--status: must be one of ${STATUSES.join(', ')} (got "${options.status}").`);
  }
  const stateMachineArn = ctx.stateMachineArn();
  const fleetStateMachineArn = fleetStateMachine(ctx, stateMachineArn);
  const sources: [Kind, string][] = [
    ['restore', stateMachineArn],
    ...(fleetStateMachineArn ? [['fleet', fleetStateMachineArn] as [Kind, string]] : []),
  ];
  const lists = await Promise.all(
    sources.map(async ([kind, arn]) =>
      (await listExecutions(ctx, arn, statusFilter, options.max)).map((e): Listed => ({ ...e, kind })),
    ),
  );
  const executions = lists
    .flat()
    .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))
    .slice(0, options.max);
  if (ctx.json) {
    ctx.emit({
      stateMachineArn,
      fleetStateMachineArn: fleetStateMachineArn ?? null,
      executions: executions.map((e) => ({
        executionArn: e.executionArn,
        name: e.name,
        kind: e.kind,
        status: e.status,
        startDate: e.startDate?.toISOString() ?? null,
        stopDate: e.stopDate?.toISOString() ?? null,
      })),
    });
    return ExitCodes.Ok;
  }
  if (executions.length === 0) {
    const of = sources.map(([, arn]) => arn).join(' or ');
    ctx.say(`No ${statusFilter ? `${statusFilter} ` : ''}executions of ${of}.`);
    return ExitCodes.Ok;
  }
  const rows = executions.map((e) => [
    utc(e.startDate?.toISOString()).replace(' UTC', ''),
    e.kind,
    e.status ?? '',
    e.stopDate ? duration(secondsBetween(e.startDate, e.stopDate)) : 'running',
    e.name ?? '',
  ]);
  ctx.say(table(['STARTED (UTC)', 'KIND', 'STATUS', 'TOOK', 'NAME'], rows));
  ctx.say('');
  ctx.say('Details: ec2-restore status NAME   Timeline: ec2-restore report NAME --out FILE.html');
  if (!fleetStateMachineArn) {
    ctx.say('Fleets too: export EC2_RESTORE_FLEET_STATE_MACHINE_ARN (the restore-fleet state machine).');
  }
  return ExitCodes.Ok;
}

/**
 * The fleet state machine from its own variable: --state-machine-arn names the restore one for
 * `list`. Not listed twice when both name the same state machine.
 */
function fleetStateMachine(ctx: CliContext, restoreArn: string): string | undefined {
  const arn = ctx.io.env.EC2_RESTORE_FLEET_STATE_MACHINE_ARN;
  return arn && isStateMachineArn(arn) && arn !== restoreArn ? arn : undefined;
}

async function listExecutions(
  ctx: CliContext,
  stateMachineArn: string,
  statusFilter: ExecutionStatus | undefined,
  max: number,
): Promise<ExecutionListItem[]> {
  const sfn = ctx.sfn(stateMachineArn);
  const found: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        statusFilter,
        maxResults: Math.min(100, max - found.length),
        nextToken,
      }),
    );
    found.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && found.length < max);
  return found;
}
