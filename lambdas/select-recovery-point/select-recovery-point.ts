import {
  type BackupClient,
  DescribeRecoveryPointCommand,
  type DescribeRecoveryPointCommandOutput,
  type RecoveryPointByResource,
} from '@aws-sdk/client-backup';
import { parseInstanceArn } from '@shared/arns';
import { listRecoveryPoints, listVaultNames, newestPoint, USABLE_STATUSES } from '@shared/backup';
import { awsErrorCode, InvalidInputError, NoRecoveryPointError } from '@shared/errors';
import type { Logger } from '@shared/logger';
import type { RestoreRequest } from '@shared/restore-request';
import { type Clock, secondsBetween } from '@shared/time';
import {
  type RecoveryPointRef,
  requireSlices,
  type Selection,
  type WorkflowState,
} from '@shared/workflow-state';

/** How many usable points the selection keeps for a fallback to an older one. */
export const MAX_CANDIDATES = 10;

export interface SelectRecoveryPointDeps {
  readonly backup: BackupClient;
  readonly now: Clock;
  /** Region of the Backup client, used to build the resource ARN of a bare `instanceId`. */
  readonly region: string;
  /** Account of the execution, used to build the resource ARN of a bare `instanceId`. */
  readonly accountId: string;
  /** @default 'aws' */
  readonly partition?: string;
  readonly logger?: Logger;
}

export interface ExecutionArnParts {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

const EXECUTION_ARN = /^arn:(aws(?:-[a-z]+)*):states:([a-z0-9-]+):(\d{12}):(?:execution|express):/;

/** `arn:<partition>:states:<region>:<account>:execution:…` → its partition, region and account. */
export function executionArnParts(executionArn: string): ExecutionArnParts {
  const match = EXECUTION_ARN.exec(executionArn);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw new TypeError(
      `"${executionArn}" is not a Step Functions execution ARN, so the account is unknown.`,
    );
  }
  return { partition: match[1], region: match[2], accountId: match[3] };
}

/** The instance the request names, when it names one. */
interface Target {
  readonly resourceArn: string;
  readonly instanceId: string;
  readonly region: string;
  readonly accountId: string;
}

interface Chosen {
  readonly strategy: Selection['strategy'];
  readonly target: Target;
  readonly point: RecoveryPointRef & { readonly status: string };
  readonly candidates: readonly RecoveryPointRef[];
}

/**
 * Step 3, which runs before resolve-source (that step reads the chosen point): choose the
 * recovery point to restore: the one the request names, the latest usable one, or the latest usable
 * one at or before `restorePointBefore`, optionally only from one vault. The point's age is the
 * achieved RPO. Fails with NoRecoveryPointError saying what was found instead.
 */
export async function selectRecoveryPoint(
  state: WorkflowState,
  deps: SelectRecoveryPointDeps,
): Promise<Selection> {
  const { request } = requireSlices(state, 'request');
  const requested = requestedTarget(request, deps);

  const chosen = request.recoveryPointArn
    ? await selectExplicit(request, request.recoveryPointArn, requested, deps)
    : await selectFromList(request, requireTarget(requested), deps);

  const now = deps.now().toISOString();
  const selection: Selection = {
    strategy: chosen.strategy,
    resourceArn: chosen.target.resourceArn,
    sourceInstanceId: chosen.target.instanceId,
    region: chosen.target.region,
    accountId: chosen.target.accountId,
    recoveryPoint: {
      ...chosen.point,
      ageSeconds: secondsBetween(chosen.point.creationDate, now) ?? 0,
    },
    candidates: chosen.candidates.slice(0, MAX_CANDIDATES),
    completedAt: now,
  };
  deps.logger?.info('recovery point selected', {
    strategy: selection.strategy,
    recoveryPointArn: selection.recoveryPoint.arn,
    backupVaultName: selection.recoveryPoint.backupVaultName,
    creationDate: selection.recoveryPoint.creationDate,
    ageSeconds: selection.recoveryPoint.ageSeconds,
    candidates: selection.candidates.length,
  });
  return selection;
}

function requestedTarget(request: RestoreRequest, deps: SelectRecoveryPointDeps): Target | null {
  if (request.resourceArn) {
    const parsed = parseInstanceArn(request.resourceArn);
    if (!parsed) {
      throw new InvalidInputError(`resourceArn ${request.resourceArn} is not an EC2 instance ARN.`, [
        'resourceArn',
      ]);
    }
    return { resourceArn: request.resourceArn, ...parsed };
  }
  if (request.instanceId) {
    const partition = deps.partition ?? 'aws';
    return {
      resourceArn: `arn:${partition}:ec2:${deps.region}:${deps.accountId}:instance/${request.instanceId}`,
      instanceId: request.instanceId,
      region: deps.region,
      accountId: deps.accountId,
    };
  }
  return null;
}

function requireTarget(target: Target | null): Target {
  if (target) return target;
  // validate-input guarantees one of the three; this is a wiring bug, not user error.
  throw new InvalidInputError('The request names neither an instance nor a recovery point.', ['instanceId']);
}

// ---------------------------------------------------------------------------------------------
// latest / latest at or before

async function selectFromList(
  request: RestoreRequest,
  target: Target,
  deps: SelectRecoveryPointDeps,
): Promise<Chosen> {
  const all = await listRecoveryPoints(deps.backup, target.resourceArn);
  const vault = request.backupVaultName;
  const inVault = vault ? all.filter((p) => p.BackupVaultName === vault) : all;
  const usable = newestFirst(inVault.filter(isUsable).map(toRef));
  const before = request.restorePointBefore;
  const eligible = before ? usable.filter((p) => Date.parse(p.creationDate) <= Date.parse(before)) : usable;
  const chosen = eligible[0];

  if (!chosen) {
    throw new NoRecoveryPointError(noPointMessage({ target, all, inVault, usable, vault, before }));
  }
  return {
    strategy: before ? 'latest-at-or-before' : 'latest',
    target,
    point: { ...chosen, status: statusOf(inVault, chosen.arn) },
    candidates: eligible,
  };
}

type ListedPoint = RecoveryPointByResource & {
  RecoveryPointArn: string;
  BackupVaultName: string;
  CreationDate: Date;
};

function isUsable(point: RecoveryPointByResource): point is ListedPoint {
  return (
    USABLE_STATUSES.has(point.Status ?? '') &&
    Boolean(point.RecoveryPointArn) &&
    Boolean(point.BackupVaultName) &&
    isValidDate(point.CreationDate)
  );
}

function toRef(point: ListedPoint): RecoveryPointRef {
  return {
    arn: point.RecoveryPointArn,
    backupVaultName: point.BackupVaultName,
    creationDate: point.CreationDate.toISOString(),
  };
}

/** The API documents no order (aws-facts A.1), so sort here; ARN breaks ties for determinism. */
function newestFirst<T extends RecoveryPointRef>(points: readonly T[]): T[] {
  return [...points].sort(
    (a, b) => Date.parse(b.creationDate) - Date.parse(a.creationDate) || a.arn.localeCompare(b.arn),
  );
}

function statusOf(points: readonly RecoveryPointByResource[], arn: string): string {
  return points.find((p) => p.RecoveryPointArn === arn)?.Status ?? 'COMPLETED';
}

interface NoPointFacts {
  readonly target: Target;
  readonly all: readonly RecoveryPointByResource[];
  readonly inVault: readonly RecoveryPointByResource[];
  readonly usable: readonly RecoveryPointRef[];
  readonly vault: string | undefined;
  readonly before: string | undefined;
}

function noPointMessage({ target, all, inVault, usable, vault, before }: NoPointFacts): string {
  const instance = target.instanceId;
  if (all.length === 0) {
    return (
      `No recovery points at all for ${target.resourceArn} — is the instance tagged for backup ` +
      '(a backup plan selection must cover it) and has a backup of it completed yet?'
    );
  }
  if (inVault.length === 0) {
    const vaults = [...new Set(all.map((p) => p.BackupVaultName ?? '?'))].sort().join(', ');
    return (
      `${all.length} recovery point(s) for ${instance}, but none in vault ${vault} (they are in: ${vaults}); ` +
      'pass another backupVaultName or leave it out.'
    );
  }
  const where = vault ? ` (vault ${vault})` : ` (vaults ${vaultsOf(inVault)})`;
  if (usable.length === 0) {
    const latest = newestPoint(inVault);
    const latestText = latest
      ? `; latest ${latest.Status ?? 'without a status'} at ${showDate(latest.CreationDate)}` +
        (latest.StatusMessage ? ` ("${latest.StatusMessage}")` : '')
      : '';
    return `${inVault.length} recovery point(s) for ${instance}${where}, none COMPLETED${latestText}.`;
  }
  const oldest = usable[usable.length - 1];
  return (
    `No recovery point for ${instance}${where} at or before ${before}; the oldest COMPLETED one is from ` +
    `${oldest ? showIso(oldest.creationDate) : '?'} (${usable.length} COMPLETED in all). ` +
    'Pass a later restorePointBefore, or leave it out to take the latest.'
  );
}

function vaultsOf(points: readonly RecoveryPointByResource[]): string {
  return [...new Set(points.map((p) => p.BackupVaultName ?? '?'))].sort().join(', ');
}

// ---------------------------------------------------------------------------------------------
// explicit recovery point ARN

async function selectExplicit(
  request: RestoreRequest,
  recoveryPointArn: string,
  requested: Target | null,
  deps: SelectRecoveryPointDeps,
): Promise<Chosen> {
  const { point, vault } = await describeRecoveryPoint(deps, recoveryPointArn, request.backupVaultName);
  const named = `Recovery point ${recoveryPointArn} (vault ${vault})`;

  if (point.ResourceType !== 'EC2') {
    throw new NoRecoveryPointError(
      `${named} is a backup of ${point.ResourceType ? `a resource of type ${point.ResourceType}` : 'an unknown resource type'}` +
        `${point.ResourceArn ? ` (${point.ResourceArn})` : ''}, not of an EC2 instance.`,
    );
  }
  const status = point.Status ?? 'UNKNOWN';
  if (!USABLE_STATUSES.has(status)) {
    throw new NoRecoveryPointError(
      `${named} is ${status}, not COMPLETED, so it cannot be restored` +
        `${point.StatusMessage ? ` ("${point.StatusMessage}")` : ''}. ` +
        'Name another recovery point, or leave recoveryPointArn out to take the latest completed one.',
    );
  }
  if (!isValidDate(point.CreationDate)) {
    throw new NoRecoveryPointError(`${named} has no creation date, so its age (the RPO) cannot be known.`);
  }
  const source = point.ResourceArn ? parseInstanceArn(point.ResourceArn) : null;
  if (source && requested && source.instanceId !== requested.instanceId) {
    throw new NoRecoveryPointError(
      `${named} is a backup of ${source.instanceId}, not of the requested ${requested.instanceId}.`,
    );
  }
  const target: Target | null =
    source && point.ResourceArn ? { resourceArn: point.ResourceArn, ...source } : requested;
  if (!target) {
    throw new NoRecoveryPointError(
      `${named} does not say which instance it is a backup of (ResourceArn: ${point.ResourceArn ?? 'none'}); ` +
        'pass instanceId as well.',
    );
  }
  const ref: RecoveryPointRef = {
    arn: recoveryPointArn,
    backupVaultName: vault,
    creationDate: point.CreationDate.toISOString(),
  };
  // Only the named point: falling back to another one would restore what the caller did not ask for.
  return { strategy: 'explicit', target, point: { ...ref, status }, candidates: [ref] };
}

type DescribedPoint = DescribeRecoveryPointCommandOutput;

async function describeRecoveryPoint(
  deps: SelectRecoveryPointDeps,
  recoveryPointArn: string,
  vault: string | undefined,
): Promise<{ point: DescribedPoint; vault: string }> {
  if (vault) {
    const point = await describeIn(deps.backup, vault, recoveryPointArn);
    if (!point) {
      throw new NoRecoveryPointError(
        `Recovery point ${recoveryPointArn} is not in backup vault ${vault} (or the vault does not exist). ` +
          'Check backupVaultName, or leave it out to search every vault.',
      );
    }
    return { point, vault };
  }
  // The ARN of an EC2 recovery point (an AMI) does not name its vault, so ask each vault in turn.
  const vaults = await listVaultNames(deps.backup);
  for (const name of vaults) {
    const point = await describeIn(deps.backup, name, recoveryPointArn);
    if (point) return { point, vault: name };
  }
  throw new NoRecoveryPointError(
    `Recovery point ${recoveryPointArn} is in none of the ${vaults.length} backup vault(s) in ${deps.region}` +
      `${vaults.length ? ` (${vaults.join(', ')})` : ''}: it may have expired or been deleted, or it belongs to ` +
      'another Region or account.',
  );
}

async function describeIn(
  backup: BackupClient,
  vault: string,
  recoveryPointArn: string,
): Promise<DescribedPoint | null> {
  try {
    return await backup.send(
      new DescribeRecoveryPointCommand({ BackupVaultName: vault, RecoveryPointArn: recoveryPointArn }),
    );
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceNotFoundException') return null;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------

function isValidDate(value: Date | undefined): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** ISO without zero milliseconds, for messages people read. */
function showIso(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

function showDate(date: Date | undefined): string {
  return isValidDate(date) ? showIso(date.toISOString()) : 'an unknown time';
}
