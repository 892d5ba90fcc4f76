/**
 * The sweep: test-mode leftovers whose execution ended more than `retentionMinutes` ago, found by
 * tag (and, for an instance a restore job created after its execution gave up, through the job).
 * Shared by the scheduled sweep (the janitor Lambda) and `ec2-restore sweep`, so both apply the
 * same rules:
 * - only resources tagged `ec2-restore:mode = test` with an execution tag, or the instance of a
 *   restore job that a test-mode execution of this product started;
 * - only when Step Functions says the execution is over (not RUNNING) and in test mode: the
 *   execution's own word wins over the tag, and a recovery-mode execution is never swept;
 * - only after the retention: the workflow's own cleanup and the event-driven janitor go first.
 * An execution Step Functions no longer knows (history expired after 90 days) counts as ended long
 * ago, but only for resources tagged test mode.
 */
import { type BackupClient, ListRestoreJobsCommand } from '@aws-sdk/client-backup';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { TagKeys } from '@shared/tags';
import { type CleanupDeps, removeTestResources } from './execution-cleanup';
import { describeExecutionFacts, type ExecutionFacts, findExecutionOfRestoreJob } from './execution-lookup';
import { instanceIdOfArn } from './janitor-events';
import { liveInstances, type OwnedAddress, type OwnedInstance, testModeResources } from './owned-resources';

export const DEFAULT_RETENTION_MINUTES = 30;
/** How far back the sweep looks for completed restore jobs whose instance nobody tagged. */
export const DEFAULT_RESTORE_JOB_LOOKBACK_HOURS = 48;

export interface SweepClients {
  readonly ec2: EC2Client;
  readonly sfn: SFNClient;
  /** With `restoreStateMachineArn`: also look through recently completed restore jobs. */
  readonly backup?: BackupClient;
}

export interface SweepOptions {
  readonly now: Date;
  readonly retentionMinutes: number;
  /** The restore-instance state machine whose executions start restore jobs. */
  readonly restoreStateMachineArn?: string;
  readonly restoreJobLookbackHours?: number;
  /** The role this product's restore jobs run with (matches a job its execution never stored). */
  readonly restoreRoleArn?: string;
}

export interface Leftover {
  readonly executionArn: string;
  /** The execution's status, or UNKNOWN when Step Functions no longer knows it. */
  readonly executionStatus: string;
  /** ISO-8601, null when unknown. */
  readonly executionStoppedAt: string | null;
  readonly reason: string;
  readonly instances: readonly Pick<OwnedInstance, 'instanceId' | 'state'>[];
  readonly addresses: readonly Pick<OwnedAddress, 'allocationId' | 'publicIp'>[];
}

export async function findLeftovers(clients: SweepClients, options: SweepOptions): Promise<Leftover[]> {
  const owned = await testModeResources(clients.ec2);
  const byExecution = new Map<string, { instances: OwnedInstance[]; addresses: OwnedAddress[] }>();
  const group = (arn: string) => {
    let entry = byExecution.get(arn);
    if (!entry) {
      entry = { instances: [], addresses: [] };
      byExecution.set(arn, entry);
    }
    return entry;
  };
  for (const instance of owned.instances)
    group(instance.tags[TagKeys.Execution] ?? '').instances.push(instance);
  for (const address of owned.addresses) group(address.tags[TagKeys.Execution] ?? '').addresses.push(address);

  const facts = new Map<string, ExecutionFacts | null>();
  for (const executionArn of byExecution.keys()) {
    if (executionArn) facts.set(executionArn, await describeExecutionFacts(clients.sfn, executionArn));
  }
  // A caller's clock behind the service's (the emulator's simulated clock runs ahead of the wall
  // clock) is moved up to the newest time the service reported. That time is never later than the
  // service's own now, so nothing is swept before the service's clock says the retention is over.
  const reported = [...facts.values()].flatMap((f) => [
    f?.startDate.getTime() ?? 0,
    f?.stopDate?.getTime() ?? 0,
  ]);
  const now = Math.max(options.now.getTime(), ...reported);
  const cutoff = now - options.retentionMinutes * 60_000;

  const leftovers: Leftover[] = [];
  for (const [executionArn, resources] of byExecution) {
    if (!executionArn) continue;
    const fact = facts.get(executionArn) ?? null;
    const verdict = judge(fact, cutoff);
    if (!verdict) continue;
    leftovers.push({
      executionArn,
      executionStatus: fact?.status ?? 'UNKNOWN',
      executionStoppedAt: fact?.stopDate?.toISOString() ?? null,
      reason: verdict,
      instances: resources.instances.map(({ instanceId, state }) => ({ instanceId, state })),
      addresses: resources.addresses.map(({ allocationId, publicIp }) => ({ allocationId, publicIp })),
    });
  }
  if (clients.backup && options.restoreStateMachineArn) {
    leftovers.push(
      ...(await lateRestoreJobInstances(clients, { ...options, now: new Date(now) }, cutoff, byExecution)),
    );
  }
  return leftovers;
}

/** Why the execution's resources are leftovers, or null when they must stay. */
function judge(facts: ExecutionFacts | null, cutoff: number): string | null {
  if (!facts) return 'tagged test mode; Step Functions no longer knows the execution (ended long ago)';
  if (facts.status === 'RUNNING') return null;
  if (facts.mode !== 'test') return null;
  const stopped = facts.stopDate?.getTime() ?? Number.POSITIVE_INFINITY;
  if (stopped > cutoff) return null;
  return `test-mode execution ${facts.status} at ${new Date(stopped).toISOString()}`;
}

/**
 * Instances that restore jobs of ended test-mode executions created after the execution gave up
 * (RestoreTimeoutError), which carry no tag of ours when the janitor's event was missed.
 */
async function lateRestoreJobInstances(
  clients: SweepClients,
  options: SweepOptions,
  cutoff: number,
  seen: ReadonlyMap<string, unknown>,
): Promise<Leftover[]> {
  const backup = clients.backup as BackupClient;
  const lookbackMs = (options.restoreJobLookbackHours ?? DEFAULT_RESTORE_JOB_LOOKBACK_HOURS) * 3_600_000;
  const found: Leftover[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backup.send(
      new ListRestoreJobsCommand({
        ByStatus: 'COMPLETED',
        ByResourceType: 'EC2',
        ByCompleteAfter: new Date(options.now.getTime() - lookbackMs),
        NextToken: nextToken,
      }),
    );
    for (const job of page.RestoreJobs ?? []) {
      const instanceId = instanceIdOfArn(job.CreatedResourceArn);
      if (!job.RestoreJobId || !instanceId || !job.CreationDate) continue;
      const [instance] = await liveInstances(clients.ec2, [instanceId]);
      // Tagged instances are the tag search's business (above).
      if (!instance || instance.tags[TagKeys.Execution] !== undefined) continue;
      const facts = await findExecutionOfRestoreJob(
        clients.sfn,
        options.restoreStateMachineArn as string,
        job.RestoreJobId,
        job.CreationDate,
        {
          recoveryPointArn: job.RecoveryPointArn,
          iamRoleArn: job.IamRoleArn,
          resourceType: job.ResourceType,
          expectedRoleArn: options.restoreRoleArn,
        },
      );
      if (!facts || seen.has(facts.arn)) continue;
      const verdict = judge(facts, cutoff);
      if (!verdict) continue;
      found.push({
        executionArn: facts.arn,
        executionStatus: facts.status,
        executionStoppedAt: facts.stopDate?.toISOString() ?? null,
        reason: `restore job ${job.RestoreJobId} completed after its ${verdict}`,
        instances: [{ instanceId, state: instance.state }],
        addresses: [],
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

export interface SweepRemoval {
  readonly executionArn: string;
  readonly removed: boolean;
  readonly instanceIds: readonly string[];
  readonly allocationIds: readonly string[];
  /** Why it could not all be removed. */
  readonly error?: string;
}

/** Removes each leftover; one that fails does not stop the others. */
export async function removeLeftovers(
  leftovers: readonly Leftover[],
  deps: CleanupDeps,
): Promise<SweepRemoval[]> {
  const results: SweepRemoval[] = [];
  for (const leftover of leftovers) {
    const instanceIds = leftover.instances.map((i) => i.instanceId);
    const allocationIds = leftover.addresses.map((a) => a.allocationId);
    try {
      const removed = await removeTestResources(leftover.executionArn, instanceIds, deps);
      results.push({
        executionArn: leftover.executionArn,
        removed: true,
        instanceIds: [...new Set([...instanceIds, ...removed.instanceIds])],
        allocationIds: [...new Set([...allocationIds, ...removed.allocationIds])],
      });
    } catch (error) {
      results.push({
        executionArn: leftover.executionArn,
        removed: false,
        instanceIds,
        allocationIds,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return results;
}
