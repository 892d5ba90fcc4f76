/** `ec2-restore list [--status S]`: recent executions of the restore workflow, newest first. */
import { type ExecutionListItem, type ExecutionStatus, ListExecutionsCommand } from '@aws-sdk/client-sfn';
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

export async function runList(options: ListOptions, ctx: CliContext): Promise<number> {
  const statusFilter = options.status?.toUpperCase() as ExecutionStatus | undefined;
  if (statusFilter && !STATUSES.includes(statusFilter)) {
    throw usageError(`--status: must be one of ${STATUSES.join(', ')} (got "${options.status}").`);
  }
  const stateMachineArn = ctx.stateMachineArn();
  const executions = await listExecutions(ctx, stateMachineArn, statusFilter, options.max);
  if (ctx.json) {
    ctx.emit({
      stateMachineArn,
      executions: executions.map((e) => ({
        executionArn: e.executionArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate?.toISOString() ?? null,
        stopDate: e.stopDate?.toISOString() ?? null,
      })),
    });
    return ExitCodes.Ok;
  }
  if (executions.length === 0) {
    ctx.say(`No ${statusFilter ? `${statusFilter} ` : ''}executions of ${stateMachineArn}.`);
    return ExitCodes.Ok;
  }
  const rows = executions.map((e) => [
    utc(e.startDate?.toISOString()).replace(' UTC', ''),
    e.status ?? '',
    e.stopDate ? duration(secondsBetween(e.startDate, e.stopDate)) : 'running',
    e.name ?? '',
  ]);
  ctx.say(table(['STARTED (UTC)', 'STATUS', 'TOOK', 'NAME'], rows));
  ctx.say('');
  ctx.say('Details: ec2-restore status NAME   Timeline: ec2-restore report NAME --out FILE.html');
  return ExitCodes.Ok;
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
