/**
 * Starting an execution the way `start` and `fleet` both do: a readable name (checked before
 * anything starts), started once even when the command is run again with the same `--name`, then
 * where to see it, and with `--wait` followed to its end.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { awsErrorCode } from '@shared/errors';
import { consoleUrl, EXECUTION_NAME, executionArnFor } from './arns';
import type { CliContext, Workflow } from './context';
import { usageError } from './errors';
import { ExitCodes } from './exit-codes';
import type { WatchOptions } from './follow';
import { utc } from './format';

export interface LaunchFlags extends WatchOptions {
  readonly name: string;
  /** The person chose the name (`--name`): a re-run finds the execution it started. */
  readonly explicitName: boolean;
  readonly wait?: boolean;
}

/** Follows a started execution to its end; resolves to the exit code. */
export type Follow = (
  ctx: CliContext,
  sfn: SFNClient,
  executionArn: string,
  options: WatchOptions,
) => Promise<number>;

/**
 * Starts the execution (or finds the one a re-run with the same --name started), says where it
 * is, and with --wait follows it with `follow`.
 */
export async function launch(
  ctx: CliContext,
  workflow: Workflow,
  input: Record<string, unknown>,
  flags: LaunchFlags,
  follow: Follow,
): Promise<number> {
  const { name } = flags;
  if (!EXECUTION_NAME.test(name)) {
    throw usageError(`--name: "${name}" is not a valid execution name.`, 'Use 1-80 letters, digits, - or _.');
  }
  const stateMachineArn = ctx.stateMachineArn(workflow);
  const sfn = ctx.sfn(stateMachineArn);
  const started = await startOrFind(sfn, stateMachineArn, name, JSON.stringify(input), flags.explicitName);
  if (ctx.json && !flags.wait) {
    ctx.emit(startedDocument(name, started));
    return ExitCodes.Ok;
  }
  announceStarted(ctx, name, started, flags.wait === true);
  if (!flags.wait) return ExitCodes.Ok;
  return follow(ctx, sfn, started.executionArn, { pollInterval: flags.pollInterval });
}

/** What a run does, as the first word of its default name. */
export function executionVerb(request: { dryRun?: boolean; mode?: string }): 'plan' | 'test' | 'restore' {
  return request.dryRun ? 'plan' : request.mode === 'test' ? 'test' : 'restore';
}

/** `20261120T101500Z`: the last part of a default name. */
export function executionStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** What was started (or found already started), where to see it, and how to follow it. */
function announceStarted(ctx: CliContext, name: string, started: Started, wait: boolean): void {
  ctx.say(
    started.alreadyStarted
      ? `Already started ${name} at ${utc(started.startDate.toISOString())} with the same input; not starting another.`
      : `Started ${name}`,
  );
  ctx.say(`  execution  ${started.executionArn}`);
  ctx.say(`  console    ${consoleUrl(started.executionArn) ?? '(no console for this partition)'}`);
  if (wait) ctx.say('');
  else ctx.say(`  follow     ec2-restore watch ${started.executionArn}`);
}

/** The `--json` document of a start without `--wait`. */
function startedDocument(name: string, started: Started) {
  return {
    executionArn: started.executionArn,
    name,
    startDate: started.startDate.toISOString(),
    consoleUrl: consoleUrl(started.executionArn),
    alreadyStarted: started.alreadyStarted,
  };
}

interface Started {
  readonly executionArn: string;
  readonly startDate: Date;
  readonly alreadyStarted: boolean;
}

/**
 * Starts the execution, or finds the one this exact command already started: re-running a runbook
 * step with the same `--name` and flags is then harmless. The same name with other input is refused.
 */
async function startOrFind(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: string,
  named: boolean,
): Promise<Started> {
  // StartExecution is idempotent only while the first run is RUNNING, and does not say whether it
  // started anything, so a chosen name is looked up first.
  const existing = named ? await findExisting(sfn, stateMachineArn, name, input) : null;
  if (existing) return existing;
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    if (!out.executionArn) throw new Error('StartExecution returned no execution ARN');
    return { executionArn: out.executionArn, startDate: out.startDate ?? new Date(), alreadyStarted: false };
  } catch (error) {
    // Someone started it between the look-up and now.
    const raced =
      awsErrorCode(error) === 'ExecutionAlreadyExists'
        ? await findExisting(sfn, stateMachineArn, name, input)
        : null;
    if (raced) return raced;
    throw error;
  }
}

async function findExisting(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: string,
): Promise<Started | null> {
  const executionArn = executionArnFor(stateMachineArn, name);
  let existing: DescribeExecutionCommandOutput;
  try {
    existing = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionDoesNotExist') return null;
    throw error;
  }
  if (!sameJson(existing.input, input)) {
    throw usageError(
      `--name ${name} is taken by an execution with different input (${existing.status}, started ${utc(existing.startDate?.toISOString())}).`,
      `Pick another --name, or look at it: ec2-restore status ${name}`,
    );
  }
  return { executionArn, startDate: existing.startDate ?? new Date(), alreadyStarted: true };
}

function sameJson(a: string | undefined, b: string): boolean {
  try {
    return canonical(JSON.parse(a ?? 'null')) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
