/**
 * `ec2-restore start`: builds the restore-instance input from flags, validates it with the
 * workflow's own schema (a bad flag is named and exits 2 before anything starts), starts the
 * execution under a readable name, and with `--wait` follows it to the end.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { awsErrorCode, InvalidInputError } from '@shared/errors';
import { parseRestoreRequest, type RestoreRequest } from '@shared/restore-request';
import { consoleUrl, EXECUTION_NAME, executionArnFor } from '../arns';
import type { CliContext, Workflow } from '../context';
import { usageError } from '../errors';
import { ExitCodes } from '../exit-codes';
import { utc } from '../format';
import { type WatchOptions, watchExecution } from './watch';

export interface StartFlags {
  readonly instanceId?: string;
  readonly recoveryPoint?: string;
  readonly before?: string;
  readonly vault?: string;
  readonly subnetId?: string;
  readonly securityGroupIds?: string;
  readonly instanceType?: string;
  readonly instanceProfile?: string;
  readonly publicIp?: string;
  readonly sshUser?: string;
  readonly sshPort?: string;
  /** False with `--no-ssh`. */
  readonly ssh?: boolean;
  readonly mode?: string;
  readonly dryRun?: boolean;
  readonly restoreTimeoutMinutes?: string;
  readonly name?: string;
  readonly wait?: boolean;
  readonly pollInterval: number;
}

/** Input fields → the flag that sets each, so a schema error names what the person typed. */
export const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  instanceId: '--instance-id',
  resourceArn: '--instance-id',
  recoveryPointArn: '--recovery-point',
  restorePointBefore: '--before',
  backupVaultName: '--vault',
  'overrides.subnetId': '--subnet-id',
  'overrides.securityGroupIds': '--security-group-ids',
  'overrides.instanceType': '--instance-type',
  instanceProfile: '--instance-profile',
  publicIp: '--public-ip',
  'ssh.username': '--ssh-user',
  'ssh.port': '--ssh-port',
  mode: '--mode',
  restoreTimeoutMinutes: '--restore-timeout-minutes',
};

export async function runStart(flags: StartFlags, ctx: CliContext): Promise<number> {
  const input = buildRestoreInput(flags);
  const request = validateFlags(parseRestoreRequest, input, 'start');
  const name = flags.name ?? defaultExecutionName(request, new Date());
  return launch(
    ctx,
    'restoreInstance',
    input,
    { ...flags, name, explicitName: flags.name !== undefined },
    watchExecution,
  );
}

/**
 * Starts the execution (or finds the one a re-run with the same --name started), says where it
 * is, and with --wait follows it with `follow`. `start` and `fleet` both end here.
 */
export async function launch(
  ctx: CliContext,
  workflow: Workflow,
  input: Record<string, unknown>,
  flags: WatchOptions & { readonly name: string; readonly explicitName: boolean; readonly wait?: boolean },
  follow: (ctx: CliContext, sfn: SFNClient, executionArn: string, options: WatchOptions) => Promise<number>,
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

/** The execution input, holding only what the flags set: the workflow fills in its own defaults. */
export function buildRestoreInput(flags: StartFlags): Record<string, unknown> {
  const overrides = defined({
    subnetId: flags.subnetId,
    securityGroupIds: flags.securityGroupIds?.split(',').map((s) => s.trim()),
    instanceType: flags.instanceType,
  });
  const ssh = defined({
    enabled: flags.ssh === false ? false : undefined,
    username: flags.sshUser,
    port: flags.sshPort === undefined ? undefined : numberOrText(flags.sshPort),
  });
  const instanceKey = flags.instanceId?.startsWith('arn:') ? 'resourceArn' : 'instanceId';
  return defined({
    [instanceKey]: flags.instanceId,
    recoveryPointArn: flags.recoveryPoint,
    restorePointBefore: flags.before,
    backupVaultName: flags.vault,
    overrides: Object.keys(overrides).length > 0 ? overrides : undefined,
    instanceProfile: flags.instanceProfile,
    publicIp: flags.publicIp,
    ssh: Object.keys(ssh).length > 0 ? ssh : undefined,
    mode: flags.mode,
    dryRun: flags.dryRun ? true : undefined,
    restoreTimeoutMinutes:
      flags.restoreTimeoutMinutes === undefined ? undefined : numberOrText(flags.restoreTimeoutMinutes),
  });
}

/** `restore-i-0123…-20261120T101500Z`: what, which instance, when; `test-…` and `plan-…` for rehearsals and dry runs. */
export function defaultExecutionName(request: RestoreRequest, now: Date): string {
  const target =
    request.instanceId ??
    request.resourceArn?.split('/').pop() ??
    request.recoveryPointArn?.split('/').pop() ??
    'instance';
  return `${executionVerb(request)}-${target}-${executionStamp(now)}`;
}

/** What a run does, as the first word of its name. */
export function executionVerb(request: { dryRun?: boolean; mode?: string }): 'plan' | 'test' | 'restore' {
  return request.dryRun ? 'plan' : request.mode === 'test' ? 'test' : 'restore';
}

/** `20261120T101500Z`. */
export function executionStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * The workflow's own schema applied to what the flags built; a rejection becomes a usage error
 * (exit 2) that names the flag, not the request field.
 */
export function validateFlags<T>(
  parse: (input: Record<string, unknown>) => T,
  input: Record<string, unknown>,
  command: string,
  flagForField: Readonly<Record<string, string>> = FLAG_FOR_FIELD,
): T {
  try {
    return parse(input);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw usageError(
      flagMessage(error.message, flagForField),
      `See \`ec2-restore ${command} --help\` for each flag and an example.`,
    );
  }
}

/** "Invalid restore request: overrides.subnetId: must look like …" → "--subnet-id: must look like …". */
function flagMessage(
  message: string,
  flagForField: Readonly<Record<string, string>> = FLAG_FOR_FIELD,
): string {
  const body = message.replace(/^Invalid [\w ]+ request: /, '').replace(/\.$/, '');
  return body
    .split('; ')
    .map((problem) => {
      const [field = '', ...rest] = problem.split(': ');
      const key = Object.keys(flagForField)
        .filter((k) => field === k || field.startsWith(`${k}.`))
        .sort((a, b) => b.length - a.length)[0];
      return key ? [flagForField[key], ...rest].join(': ') : problem;
    })
    .join('; ');
}

export interface Started {
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

/** Numbers stay numbers; anything else goes to the schema as typed, so its error shows the value. */
export function numberOrText(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

export function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
