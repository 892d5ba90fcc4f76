/**
 * What the janitor does to one execution's resources: in test mode remove them (through
 * lambdas/cleanup, the workflow's own cleanup, so termination protection and address
 * disassociation are handled the same way), in recovery mode only tag them with the outcome.
 *
 * An instance a restore job created but the workflow never tagged (the execution ended before
 * TagResources, or the job completed after RestoreTimeoutError) is first claimed: tagged with the
 * execution and its mode. That is what lets the cleanup's tag conditions allow the termination,
 * what lets a later sweep find it if this run fails, and what tells a person whose it is.
 */
import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { cleanUp } from '@lambdas/cleanup/cleanup';
import { claimInstance, ownershipOf } from '@lambdas/tag-resources/claim-instance';
import type { Logger } from '@shared/logger';
import type { RestoreRequest } from '@shared/restore-request';
import { TagKeys, tagValue } from '@shared/tags';
import type { Clock } from '@shared/time';
import type { ExecutionInfo, WorkflowState } from '@shared/workflow-state';
import type { ExecutionMode } from './execution-lookup';
import { liveInstances, type OwnedResources, resourcesOfExecution } from './owned-resources';

export interface CleanupDeps {
  readonly ec2: EC2Client;
  readonly now: Clock;
  readonly logger: Logger;
}

/** What was found for an execution (and, in test mode, removed). */
export interface ResourceIds {
  readonly instanceIds: readonly string[];
  readonly allocationIds: readonly string[];
}

/**
 * Test mode: terminates every live instance of the execution and releases its Elastic IPs,
 * `createdInstanceIds` (the restore job's instance, maybe untagged) included. Returns what
 * existed before; throws (CleanupError, TransientAwsError) when something remains.
 */
export async function removeTestResources(
  executionArn: string,
  createdInstanceIds: readonly string[],
  deps: CleanupDeps,
): Promise<ResourceIds> {
  const found = await findWithClaims(executionArn, 'test', createdInstanceIds, deps);
  if (found.instanceIds.length === 0 && found.allocationIds.length === 0) return found;
  // cleanUp reads request.mode and execution.id, and finds the rest by this execution's tag.
  const state = {
    request: { mode: 'test' } as RestoreRequest,
    execution: { id: executionArn } as ExecutionInfo,
  } as WorkflowState;
  await cleanUp(state, deps);
  deps.logger.info('janitor removed test-mode resources', { executionArn, ...found });
  return found;
}

/**
 * Recovery mode: never terminates. Tags every instance and address of the execution with
 * `ec2-restore:outcome` (the execution's status), so whoever finds them knows they are the
 * remains of a restore that did not finish.
 */
export async function tagRecoveryResources(
  executionArn: string,
  outcome: string,
  createdInstanceIds: readonly string[],
  deps: CleanupDeps,
): Promise<ResourceIds> {
  const found = await findWithClaims(executionArn, 'recovery', createdInstanceIds, deps);
  const ids = [...found.instanceIds, ...found.allocationIds];
  if (ids.length > 0) {
    await deps.ec2.send(
      new CreateTagsCommand({ Resources: ids, Tags: [{ Key: TagKeys.Outcome, Value: tagValue(outcome) }] }),
    );
    deps.logger.info('janitor tagged recovery-mode resources', { executionArn, outcome, ...found });
  }
  return found;
}

async function findWithClaims(
  executionArn: string,
  mode: ExecutionMode,
  createdInstanceIds: readonly string[],
  deps: CleanupDeps,
): Promise<ResourceIds> {
  const owned: OwnedResources = await resourcesOfExecution(deps.ec2, executionArn);
  // Already shutting down: terminated by an earlier run (cleanUp terminates it again, harmlessly).
  const tagged = new Set(owned.instances.filter((i) => i.state !== 'shutting-down').map((i) => i.instanceId));
  const untagged = (
    await liveInstances(
      deps.ec2,
      createdInstanceIds.filter((id) => !tagged.has(id)),
    )
  ).filter((i) => i.state !== 'shutting-down' && i.tags[TagKeys.Execution] === undefined);
  // Claimed as the workflow's steps claim (claim-instance.ts), under the same IAM conditions: only
  // an instance no execution tagged and that AWS Backup restored; anything else is refused there.
  const unclaimed: string[] = [];
  for (const instance of untagged) {
    const tags = Object.entries(instance.tags).map(([Key, Value]) => ({ Key, Value }));
    const ownership = ownershipOf(tags, executionArn);
    if (ownership.kind !== 'unclaimed') continue;
    await claimInstance(deps.ec2, instance.instanceId, ownership, { executionArn, mode });
    unclaimed.push(instance.instanceId);
  }
  if (unclaimed.length > 0) {
    deps.logger.info('janitor claimed the instance a restore job of this execution created', {
      executionArn,
      instanceIds: unclaimed,
    });
  }
  return {
    instanceIds: [...tagged, ...unclaimed],
    allocationIds: owned.addresses.map((a) => a.allocationId),
  };
}
