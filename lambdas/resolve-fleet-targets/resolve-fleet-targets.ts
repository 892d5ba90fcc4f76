/**
 * First step of restore-fleet: validate the fleet request and turn it into one restore-instance
 * input per source instance.
 *
 * Explicit ids are taken as they are (each child selects its own point and, when there is none,
 * fails visibly with NoRecoveryPointError). A tag is evaluated on the recovery points' tags, not
 * the instances', so it works when the instances or their Region are gone: every EC2 point in the
 * vault(s) is listed once, grouped by source resource (de-duplicated across vaults), and the newest
 * point of each resource is asked for its tags — one ListTags call per resource, not per point.
 * Matching resources without a restorable point are reported, never silently dropped.
 */
import { createHash } from 'node:crypto';
import {
  type BackupClient,
  ListRecoveryPointsByBackupVaultCommand,
  ListTagsCommand,
  type RecoveryPointByBackupVault,
} from '@aws-sdk/client-backup';
import { parseInstanceArn } from '@shared/arns';
import { listVaultNames, newestPoint, USABLE_STATUSES } from '@shared/backup';
import { ErrorNames, InvalidInputError } from '@shared/errors';
import { type FleetRequest, MAX_FLEET_TARGETS, parseFleetRequest } from '@shared/fleet-request';
import type { FleetPlan, FleetTarget, UnusableTarget } from '@shared/fleet-state';
import type { Logger } from '@shared/logger';

export interface ResolveFleetTargetsDeps {
  readonly backup: BackupClient;
  readonly logger?: Logger;
  /** Parallel ListTags calls; small, to stay well inside Backup's API rate limits. */
  readonly tagLookupConcurrency?: number;
}

export async function resolveFleetTargets(
  input: unknown,
  executionName: string,
  deps: ResolveFleetTargetsDeps,
): Promise<FleetPlan> {
  const request = parseFleetRequest(input);
  // The defaults as given (now known valid): each child fills in its own defaults, so a child's
  // input shows only what the person asked for.
  const given = (input as { defaults?: Record<string, unknown> }).defaults ?? {};
  const childInput = (instanceId: string) => ({
    ...given,
    instanceId,
    ...(request.backupVaultName && { backupVaultName: request.backupVaultName }),
  });
  const target = (instanceId: string): FleetTarget => ({
    instanceId,
    executionName: childExecutionName(executionName, instanceId),
    input: childInput(instanceId),
  });

  if (request.instanceIds) {
    const targets = request.instanceIds.map(target);
    return { request, targets, targetCount: targets.length, unusable: [], note: null };
  }
  const tag = request.tag as NonNullable<FleetRequest['tag']>;
  const vaults = request.backupVaultName ? [request.backupVaultName] : await listVaultNames(deps.backup);
  const byResource = new Map<string, RecoveryPointByBackupVault[]>();
  for (const vault of vaults) {
    for (const point of await listEc2Points(deps.backup, vault)) {
      if (!point.ResourceArn || !parseInstanceArn(point.ResourceArn)) continue;
      const points = byResource.get(point.ResourceArn);
      if (points) points.push(point);
      else byResource.set(point.ResourceArn, [point]);
    }
  }

  const resources = [...byResource.entries()].sort(([a], [b]) => a.localeCompare(b));
  const matches = await mapLimited(resources, deps.tagLookupConcurrency ?? 4, async ([, points]) => {
    const newest = newestPoint(points);
    if (!newest?.RecoveryPointArn) return false;
    const tags = await listTags(deps.backup, newest.RecoveryPointArn);
    return tags[tag.key] === tag.value;
  });

  const targets: FleetTarget[] = [];
  const unusable: UnusableTarget[] = [];
  resources.forEach(([resourceArn, points], i) => {
    if (!matches[i]) return;
    const instanceId = parseInstanceArn(resourceArn)?.instanceId as string;
    const usable = points.filter((p) => USABLE_STATUSES.has(p.Status ?? ''));
    if (usable.length > 0) {
      targets.push(target(instanceId));
      return;
    }
    const latest = newestPoint(points);
    unusable.push({
      instanceId,
      status: 'FAILED',
      error: ErrorNames.NoRecoveryPoint,
      cause:
        `${points.length} recovery point(s) for ${instanceId} carry ${tag.key}=${tag.value}, none COMPLETED; ` +
        `latest ${latest?.Status ?? '?'} at ${latest?.CreationDate?.toISOString() ?? '?'}` +
        (latest?.StatusMessage ? ` ("${latest.StatusMessage}")` : ''),
    });
  });
  // Sources without a usable point are results too, so they count against the payload.
  if (targets.length + unusable.length > MAX_FLEET_TARGETS) {
    throw new InvalidInputError(
      `${targets.length + unusable.length} instances match ${tag.key}=${tag.value}; one fleet execution takes at most ` +
        `${MAX_FLEET_TARGETS}. Narrow the tag, or split the fleet by backupVaultName or instanceIds.`,
      ['tag'],
    );
  }
  deps.logger?.info('fleet targets resolved', {
    vaults: vaults.length,
    resources: resources.length,
    targets: targets.length,
    unusable: unusable.length,
  });
  const note =
    targets.length + unusable.length === 0
      ? `No recovery point in vault(s) ${vaults.join(', ') || '(none)'} carries the tag ${tag.key}=${tag.value}` +
        ` (${resources.length} backed-up instance(s) looked at); nothing to restore.`
      : null;
  return { request, targets, targetCount: targets.length, unusable, note };
}

/**
 * `<fleet name, up to 40 chars>-<8 hex of the full fleet name>-<instance id>`: at most 80
 * characters, unique per fleet execution, and the same on a re-run of the same fleet execution.
 */
export function childExecutionName(fleetExecutionName: string, instanceId: string): string {
  const hash = createHash('sha256').update(fleetExecutionName).digest('hex').slice(0, 8);
  return `${fleetExecutionName.slice(0, 40)}-${hash}-${instanceId}`;
}

async function listEc2Points(backup: BackupClient, vault: string): Promise<RecoveryPointByBackupVault[]> {
  const points: RecoveryPointByBackupVault[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backup.send(
      new ListRecoveryPointsByBackupVaultCommand({
        BackupVaultName: vault,
        ByResourceType: 'EC2',
        NextToken: nextToken,
      }),
    );
    points.push(...(page.RecoveryPoints ?? []));
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return points;
}

async function listTags(backup: BackupClient, arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let nextToken: string | undefined;
  do {
    const page = await backup.send(new ListTagsCommand({ ResourceArn: arn, NextToken: nextToken }));
    Object.assign(tags, page.Tags);
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return tags;
}

/** `items.map(work)` with at most `limit` calls in flight, results in input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
