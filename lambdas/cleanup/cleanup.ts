import {
  type Address,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DisassociateAddressCommand,
  type EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { claimInstance, ownershipOf } from '@lambdas/tag-resources/claim-instance';
import { findInstance } from '@shared/ec2';
import {
  awsErrorCode,
  CleanupError,
  errorMessage,
  isTransientAwsError,
  TransientAwsError,
} from '@shared/errors';
import type { Logger } from '@shared/logger';
import { TagKeys, tagValue } from '@shared/tags';
import type { Clock } from '@shared/time';
import { type CleanupState, requireSlices, type WorkflowState } from '@shared/workflow-state';

export interface CleanUpDeps {
  readonly ec2: EC2Client;
  readonly now: Clock;
  readonly logger: Logger;
}

/** States in which an instance may still cost money or hold an address. */
const LIVE_INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

interface Problem {
  readonly what: string;
  readonly transient: boolean;
}

/**
 * Test mode's last step (and the failure handler's, in test mode): release the Elastic IPs and
 * terminate the instances that this execution provably created — the restore job's own instance,
 * and anything carrying this execution's tag — and nothing else: never by name, never by the
 * source-instance tag alone, never an instance tagged as another execution's or as a recovery. Already-gone resources count as removed, so a second run is a no-op.
 * Everything is attempted before reporting, so one stuck resource does not keep the others alive.
 *
 * `instanceTerminated` / `elasticIpReleased` say that there was such a resource and it is gone
 * (false: there was none to remove; anything that remains makes this throw instead).
 */
export async function cleanUp(state: WorkflowState, deps: CleanUpDeps): Promise<CleanupState> {
  const { request, execution } = requireSlices(state, 'request', 'execution');
  if (request.mode !== 'test') {
    throw new TypeError('cleanup ran in recovery mode: the state machine must keep a recovered instance.');
  }
  const problems: Problem[] = [];
  const remaining: string[] = [];
  const record = (id: string, action: string, error: unknown) => {
    remaining.push(id);
    problems.push({
      what: `${id}: ${action} failed with ${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}`,
      transient: isTransientAwsError(error),
    });
  };

  const releasedAllocationIds: string[] = [];
  const addresses = await listOwn('Elastic IPs', problems, () => ownAddresses(deps.ec2, execution.id));
  for (const address of addresses ?? []) {
    const allocationId = address.AllocationId;
    if (!allocationId) continue;
    try {
      await releaseAddress(deps.ec2, address, allocationId);
      releasedAllocationIds.push(allocationId);
    } catch (error) {
      record(allocationId, 'releasing the Elastic IP', error);
    }
  }

  const terminatedInstanceIds: string[] = [];
  const tagged = await listOwn('instances', problems, () => ownInstances(deps.ec2, execution.id));
  const instances = new Map((tagged ?? []).map((instance) => [instance.InstanceId as string, instance]));
  // The restore job's own instance carries no tag of ours when the run failed before TagResources.
  const createdInstanceId = state.restoreJob?.createdInstanceId;
  if (createdInstanceId && !instances.has(createdInstanceId)) {
    try {
      const live = await findInstance(deps.ec2, createdInstanceId);
      if (live && live.State?.Name !== 'terminated') instances.set(createdInstanceId, live);
      else terminatedInstanceIds.push(createdInstanceId);
    } catch (error) {
      record(createdInstanceId, 'describing the instance', error);
    }
  }
  for (const [instanceId, instance] of instances) {
    try {
      await terminateOwn(deps, instance, instanceId, execution.id);
      terminatedInstanceIds.push(instanceId);
    } catch (error) {
      record(instanceId, 'terminating the instance', error);
    }
  }

  if (problems.length > 0) {
    const message = describeLeftovers(execution.id, remaining, problems);
    deps.logger.error('cleanup incomplete', { remaining, problems: problems.map((p) => p.what) });
    // Only throttling-like failures: the state machine retries the (idempotent) step with backoff.
    if (problems.every((p) => p.transient)) throw new TransientAwsError(message);
    throw new CleanupError(message);
  }
  deps.logger.info('cleanup complete', { terminatedInstanceIds, releasedAllocationIds });
  return {
    instanceTerminated: terminatedInstanceIds.length > 0,
    elasticIpReleased: releasedAllocationIds.length > 0,
    terminatedInstanceIds,
    releasedAllocationIds,
    completedAt: deps.now().toISOString(),
  };
}

/** A failed listing is a problem too: what it would have found may still exist. */
async function listOwn<T>(kind: string, problems: Problem[], list: () => Promise<T[]>): Promise<T[] | null> {
  try {
    return await list();
  } catch (error) {
    problems.push({
      what: `listing the ${kind} tagged with this execution failed with ${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}`,
      transient: isTransientAwsError(error),
    });
    return null;
  }
}

const executionFilter = (executionArn: string) => ({
  Name: `tag:${TagKeys.Execution}`,
  Values: [tagValue(executionArn)],
});

async function ownAddresses(ec2: EC2Client, executionArn: string): Promise<Address[]> {
  const result = await ec2.send(new DescribeAddressesCommand({ Filters: [executionFilter(executionArn)] }));
  return result.Addresses ?? [];
}

async function ownInstances(ec2: EC2Client, executionArn: string): Promise<Instance[]> {
  const found: Instance[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          executionFilter(executionArn),
          { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
        ],
        NextToken: nextToken,
      }),
    );
    for (const instance of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
      if (instance.InstanceId && instance.State?.Name !== 'terminated') found.push(instance);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

async function releaseAddress(ec2: EC2Client, address: Address, allocationId: string): Promise<void> {
  if (address.AssociationId) {
    await ignoring('InvalidAssociationID.NotFound', () =>
      ec2.send(new DisassociateAddressCommand({ AssociationId: address.AssociationId })),
    );
  }
  await ignoring('InvalidAllocationID.NotFound', () =>
    ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId })),
  );
}

/**
 * Terminates an instance only when its tags say it is this execution's test restore; the restore
 * job's instance, untagged when the run failed before TagResources, is claimed as such first (the
 * step policies allow terminating nothing else, claim-instance.ts). Another execution's instance
 * and a recovery-mode restore are refused: they are reported as left, never touched.
 */
async function terminateOwn(
  deps: CleanUpDeps,
  instance: Instance,
  instanceId: string,
  executionArn: string,
): Promise<void> {
  const ownership = ownershipOf(instance.Tags, executionArn);
  if (ownership.kind === 'foreign') {
    throw new CleanupError(
      `it carries ${TagKeys.Execution}=${ownership.execution}, another execution's tag, and cleanup removes only this execution's instances`,
    );
  }
  if (ownership.kind === 'ours' && ownership.mode !== 'test') {
    throw new CleanupError(
      `it is tagged ${TagKeys.Mode}=${ownership.mode ?? '(none)'}, and cleanup never terminates anything but a test-mode restore`,
    );
  }
  if (ownership.kind === 'unclaimed') {
    await claimInstance(deps.ec2, instanceId, ownership, { executionArn, mode: 'test' });
    deps.logger.info('restored instance claimed as this test execution before termination', { instanceId });
  }
  await terminate(deps, instanceId);
}

/**
 * Restore metadata can carry DisableApiTermination=true (aws-facts B.1); the instance is ours, so
 * its protection is lifted once and the termination retried.
 */
async function terminate(deps: CleanUpDeps, instanceId: string): Promise<void> {
  const attempt = () =>
    ignoring('InvalidInstanceID.NotFound', () =>
      deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
    );
  try {
    await attempt();
  } catch (error) {
    if (awsErrorCode(error) !== 'OperationNotPermitted') throw error;
    deps.logger.info('instance has termination protection; turning it off to terminate it', { instanceId });
    await deps.ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: false } }),
    );
    await attempt();
  }
}

/** Already gone is the outcome cleanup wants. */
async function ignoring(code: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (awsErrorCode(error) !== code) throw error;
  }
}

function describeLeftovers(
  executionArn: string,
  remaining: readonly string[],
  problems: readonly Problem[],
): string {
  const left = remaining.length > 0 ? `Still present: ${remaining.join(', ')}.` : 'What remains is unknown.';
  return (
    `Cleanup did not finish. ${left} Problems: ${problems.map((p) => p.what).join('; ')}. ` +
    `Remove them by hand: \`aws ec2 release-address --allocation-id <eipalloc-…>\` for Elastic IPs and ` +
    '`aws ec2 modify-instance-attribute --no-disable-api-termination --instance-id <id>` then ' +
    '`aws ec2 terminate-instances --instance-ids <id>` for instances; check for leftovers with the tag ' +
    `${TagKeys.Execution}=${executionArn}.`
  );
}
