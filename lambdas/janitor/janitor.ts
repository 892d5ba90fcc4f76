/**
 * The janitor: makes test mode's promise (nothing left behind) hold however an execution ends.
 * The workflow's own Catch → HandleFailure path cleans up only the failures it sees; this runs on
 * the events of every other ending (docs/architecture.md, "The janitor"):
 * - an execution ABORTED, TIMED_OUT or FAILED (StopExecution, the state machine's timeout, a
 *   failure no Catch saw, a cleanup that itself failed): test mode removes what the execution
 *   created, recovery mode tags it with the outcome and notifies, never terminating;
 * - a restore job COMPLETED whose execution had already ended (RestoreTimeoutError gave up on it):
 *   the same, for the instance the job created;
 * - the scheduled sweep (./sweep.ts), for whatever the best-effort events missed.
 * Every action is idempotent: already-gone resources count as removed, tags are rewritten as is.
 */
import { type BackupClient, DescribeRestoreJobCommand, ListRestoreJobsCommand } from '@aws-sdk/client-backup';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { childExecutionName } from '@lambdas/resolve-fleet-targets/resolve-fleet-targets';
import { awsErrorCode } from '@shared/errors';
import type { Logger } from '@shared/logger';
import type { Clock } from '@shared/time';
import { type ResourceIds, removeTestResources, tagRecoveryResources } from './execution-cleanup';
import {
  describeExecutionFacts,
  type ExecutionFacts,
  findExecutionOfRestoreJob,
  type RestoreJobTraits,
} from './execution-lookup';
import {
  ENDED_STATUSES,
  type ExecutionStatusChangeEvent,
  instanceIdOfArn,
  type JanitorInvocation,
  type RestoreJobStateChangeEvent,
} from './janitor-events';
import { findLeftovers, removeLeftovers, type SweepRemoval } from './sweep';

export interface JanitorConfig {
  readonly restoreStateMachineArn: string;
  readonly fleetStateMachineArn: string;
  /** The role restore jobs run with: a job with another role is not this product's. */
  readonly restoreRoleArn?: string;
  readonly notificationTopicArn?: string;
  readonly retentionMinutes: number;
  readonly restoreJobLookbackHours: number;
  readonly metricNamespace: string;
}

export interface JanitorDeps {
  readonly ec2: EC2Client;
  readonly sfn: SFNClient;
  readonly backup: BackupClient;
  readonly sns: SNSClient;
  readonly now: Clock;
  readonly logger: Logger;
  /** Where the EMF metric line goes: stdout as is in Lambda, so CloudWatch extracts the metric. */
  readonly emitMetric: (line: string) => void;
  readonly config: JanitorConfig;
}

/** One execution the janitor dealt with. */
export interface Settlement {
  readonly executionArn: string;
  readonly mode: 'test' | 'recovery' | 'unknown';
  readonly executionStatus: string;
  /** removed: test mode, gone now; tagged: recovery mode; none: nothing of it exists; skipped: see `note`. */
  readonly action: 'removed' | 'tagged' | 'none' | 'skipped';
  readonly instanceIds: readonly string[];
  readonly allocationIds: readonly string[];
  readonly note?: string;
}

export interface JanitorResult {
  readonly trigger: JanitorInvocation['kind'];
  readonly settlements: readonly Settlement[];
}

export async function runJanitor(invocation: JanitorInvocation, deps: JanitorDeps): Promise<JanitorResult> {
  switch (invocation.kind) {
    case 'execution-ended':
      return report('execution-ended', await onExecutionEnded(invocation.event, deps), deps);
    case 'restore-job-changed':
      return report('restore-job-changed', await onRestoreJobChanged(invocation.event, deps), deps);
    case 'sweep':
      return report('sweep', await sweep(deps), deps);
  }
}

async function onExecutionEnded(event: ExecutionStatusChangeEvent, deps: JanitorDeps): Promise<Settlement[]> {
  const { executionArn, stateMachineArn, status } = event.detail;
  if (!(ENDED_STATUSES as readonly string[]).includes(status)) return [];
  if (stateMachineArn === deps.config.fleetStateMachineArn) return onFleetEnded(event, deps);
  if (stateMachineArn !== deps.config.restoreStateMachineArn) {
    deps.logger.warn('janitor ignored an execution of a state machine it does not look after', {
      executionArn,
      stateMachineArn,
    });
    return [];
  }
  return [await settle(executionArn, deps)];
}

/**
 * A fleet that ended: its children are restore-instance executions with names derived from the
 * fleet's (resolve-fleet-targets), each ending with its own event. Children that ended without
 * success are settled again here, in case their own event was lost; running ones are left to
 * their workflow (and to their own event when they end).
 */
async function onFleetEnded(event: ExecutionStatusChangeEvent, deps: JanitorDeps): Promise<Settlement[]> {
  const fleetName = event.detail.executionArn.split(':').at(-1) ?? '';
  const prefix = childExecutionName(fleetName, '');
  const settlements: Settlement[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: deps.config.restoreStateMachineArn,
        nextToken,
        maxResults: 100,
      }),
    );
    for (const child of page.executions ?? []) {
      if (!child.executionArn || !child.name?.startsWith(prefix)) continue;
      if (child.status === 'RUNNING' || child.status === 'SUCCEEDED') continue;
      settlements.push(await settle(child.executionArn, deps));
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return settlements;
}

/** Settles one ended restore-instance execution: everything it created, by its own account. */
async function settle(executionArn: string, deps: JanitorDeps, lateInstanceId?: string): Promise<Settlement> {
  const facts = await describeExecutionFacts(deps.sfn, executionArn);
  if (!facts) {
    return skipped(executionArn, 'unknown', 'UNKNOWN', 'Step Functions does not know this execution');
  }
  if (facts.status === 'RUNNING') {
    return skipped(
      executionArn,
      facts.mode,
      facts.status,
      'the execution is running: its workflow cleans up',
    );
  }
  const created = await createdInstances(facts, deps, lateInstanceId);
  const ids: ResourceIds =
    facts.mode === 'test'
      ? await removeTestResources(executionArn, created.instanceIds, deps)
      : await tagRecoveryResources(executionArn, facts.status, created.instanceIds, deps);
  const found = ids.instanceIds.length + ids.allocationIds.length > 0;
  return {
    executionArn,
    mode: facts.mode,
    executionStatus: facts.status,
    action: found ? (facts.mode === 'test' ? 'removed' : 'tagged') : 'none',
    ...ids,
    ...(created.note && { note: created.note }),
  };
}

/** The instance the execution's restore job created, tagged or not, and whether one may still come. */
async function createdInstances(
  facts: ExecutionFacts,
  deps: JanitorDeps,
  lateInstanceId: string | undefined,
): Promise<{ instanceIds: string[]; note?: string }> {
  if (lateInstanceId) return { instanceIds: [lateInstanceId] };
  const job = facts.restoreJob ?? (await unrecordedRestoreJob(facts, deps));
  if (!job) return { instanceIds: [] };
  if (job.createdInstanceId) return { instanceIds: [job.createdInstanceId] };
  try {
    const described = await deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: job.id }));
    const instanceId = instanceIdOfArn(described.CreatedResourceArn);
    if (instanceId) return { instanceIds: [instanceId] };
    if (described.Status === 'PENDING' || described.Status === 'RUNNING') {
      return {
        instanceIds: [],
        note: `restore job ${job.id} is still ${described.Status}: the janitor settles the instance it creates when the job completes`,
      };
    }
  } catch (error) {
    if (awsErrorCode(error) !== 'ResourceNotFoundException') throw error;
  }
  return { instanceIds: [] };
}

/**
 * The restore job an execution started but never stored (stopped inside StartRestoreJob): a job
 * created while it was in the step, for the recovery point the step was given, that the lookup
 * traces back to this execution and no other.
 */
async function unrecordedRestoreJob(
  facts: ExecutionFacts,
  deps: JanitorDeps,
): Promise<{ id: string; createdInstanceId: string | null } | undefined> {
  const windows = facts.unrecordedStarts;
  if (windows.length === 0) return undefined;
  const earliest = Math.min(...windows.map((w) => w.from.getTime()));
  let nextToken: string | undefined;
  do {
    const page = await deps.backup.send(
      new ListRestoreJobsCommand({
        ByResourceType: 'EC2',
        // Backup's filter and Step Functions' timestamps may disagree by a little.
        ByCreatedAfter: new Date(earliest - 60_000),
        NextToken: nextToken,
      }),
    );
    for (const job of page.RestoreJobs ?? []) {
      if (!job.RestoreJobId || !job.CreationDate || !job.RecoveryPointArn) continue;
      if (!windows.some((w) => w.recoveryPointArn === job.RecoveryPointArn)) continue;
      const owner = await findExecutionOfRestoreJob(
        deps.sfn,
        deps.config.restoreStateMachineArn,
        job.RestoreJobId,
        job.CreationDate,
        traitsOf(job, deps),
      );
      if (owner?.arn === facts.arn) {
        deps.logger.info('janitor traced a restore job the execution never stored', {
          executionArn: facts.arn,
          restoreJobId: job.RestoreJobId,
        });
        return { id: job.RestoreJobId, createdInstanceId: instanceIdOfArn(job.CreatedResourceArn) ?? null };
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

function traitsOf(
  job: { RecoveryPointArn?: string; IamRoleArn?: string; ResourceType?: string },
  deps: JanitorDeps,
): RestoreJobTraits {
  return {
    recoveryPointArn: job.RecoveryPointArn,
    iamRoleArn: job.IamRoleArn,
    resourceType: job.ResourceType,
    expectedRoleArn: deps.config.restoreRoleArn,
  };
}

async function onRestoreJobChanged(
  event: RestoreJobStateChangeEvent,
  deps: JanitorDeps,
): Promise<Settlement[]> {
  const { restoreJobId, status, iamRoleArn, createdResourceArn } = event.detail;
  if (status !== 'COMPLETED') return [];
  const { restoreRoleArn } = deps.config;
  if (restoreRoleArn && iamRoleArn && iamRoleArn !== restoreRoleArn) return [];
  const instanceId = instanceIdOfArn(createdResourceArn);
  if (!instanceId) return [];
  // The job itself: its creation date and what it restored (the event carries no recovery point).
  const described = await deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  const createdAt = event.detail.creationDate ? new Date(event.detail.creationDate) : undefined;
  const creation = createdAt && !Number.isNaN(createdAt.getTime()) ? createdAt : described.CreationDate;
  if (!creation) return [];
  const facts = await findExecutionOfRestoreJob(
    deps.sfn,
    deps.config.restoreStateMachineArn,
    restoreJobId,
    creation,
    traitsOf({ ...described, IamRoleArn: described.IamRoleArn ?? iamRoleArn }, deps),
  );
  if (!facts) {
    // Another tool's job, or one whose execution runs (PollRestoreJob, then cleanup or report
    // follow it to the end) or succeeded (they did).
    deps.logger.info('no execution that ended without success started this restore job; left alone', {
      restoreJobId,
    });
    return [];
  }
  if (facts.status === 'RUNNING') return [];
  return [await settle(facts.arn, deps, instanceId)];
}

async function sweep(deps: JanitorDeps): Promise<Settlement[]> {
  const leftovers = await findLeftovers(deps, {
    now: deps.now(),
    retentionMinutes: deps.config.retentionMinutes,
    restoreStateMachineArn: deps.config.restoreStateMachineArn,
    restoreJobLookbackHours: deps.config.restoreJobLookbackHours,
    restoreRoleArn: deps.config.restoreRoleArn,
  });
  const removals = await removeLeftovers(leftovers, deps);
  return removals.map((r: SweepRemoval) => ({
    executionArn: r.executionArn,
    mode: 'test',
    executionStatus: leftovers.find((l) => l.executionArn === r.executionArn)?.executionStatus ?? 'UNKNOWN',
    action: r.removed ? 'removed' : 'skipped',
    instanceIds: r.instanceIds,
    allocationIds: r.allocationIds,
    ...(r.error && { note: r.error }),
  }));
}

function skipped(executionArn: string, mode: Settlement['mode'], status: string, note: string): Settlement {
  return {
    executionArn,
    mode,
    executionStatus: status,
    action: 'skipped',
    instanceIds: [],
    allocationIds: [],
    note,
  };
}

/**
 * What was done, three ways: one structured log line, an EMF metric line (instances and addresses
 * removed, per trigger) and, when anything was removed or tagged, one SNS message. A removal that
 * failed is reported and then thrown, so the invocation fails and is retried (EventBridge's
 * asynchronous Lambda retries; the next sweep).
 */
async function report(
  trigger: JanitorInvocation['kind'],
  settlements: Settlement[],
  deps: JanitorDeps,
): Promise<JanitorResult> {
  const removed = settlements.filter((s) => s.action === 'removed');
  const tagged = settlements.filter((s) => s.action === 'tagged');
  const failed = settlements.filter((s) => s.action === 'skipped' && trigger === 'sweep');
  const instancesRemoved = removed.reduce((n, s) => n + s.instanceIds.length, 0);
  const addressesReleased = removed.reduce((n, s) => n + s.allocationIds.length, 0);
  deps.logger.info('janitor finished', { trigger, settlements });
  deps.emitMetric(
    JSON.stringify({
      _aws: {
        Timestamp: deps.now().getTime(),
        CloudWatchMetrics: [
          {
            Namespace: deps.config.metricNamespace,
            Dimensions: [['Trigger']],
            Metrics: [
              { Name: 'InstancesRemoved', Unit: 'Count' },
              { Name: 'ElasticIpsReleased', Unit: 'Count' },
              { Name: 'RecoveryExecutionsTagged', Unit: 'Count' },
            ],
          },
        ],
      },
      Trigger: trigger,
      InstancesRemoved: instancesRemoved,
      ElasticIpsReleased: addressesReleased,
      RecoveryExecutionsTagged: tagged.length,
    }),
  );
  const topic = deps.config.notificationTopicArn;
  if (topic && removed.length + tagged.length + failed.length > 0) {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: topic,
        Subject: subjectOf(trigger, removed.length, tagged.length, failed.length),
        Message: JSON.stringify({ janitor: trigger, settlements }, null, 2),
      }),
    );
  }
  if (failed.length > 0) {
    throw new Error(
      `The janitor's sweep could not remove everything: ${failed.map((s) => `${s.executionArn}: ${s.note}`).join('; ')}`,
    );
  }
  return { trigger, settlements };
}

function subjectOf(trigger: string, removed: number, tagged: number, failed: number): string {
  const parts = [
    removed > 0 && `removed what ${removed} test-mode execution(s) left`,
    tagged > 0 && `tagged what ${tagged} recovery-mode execution(s) left (not terminated)`,
    failed > 0 && `${failed} removal(s) failed`,
  ].filter(Boolean);
  // SNS subjects are at most 100 characters.
  return `ec2-restore janitor (${trigger}): ${parts.join(', ')}`.slice(0, 100);
}
