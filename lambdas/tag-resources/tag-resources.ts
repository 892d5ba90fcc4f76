import { CreateTagsCommand, type EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { findInstance, tagOf } from '@shared/ec2';
import { InstanceNotRunningError } from '@shared/errors';
import type { Logger } from '@shared/logger';
import { TagKeys, tagValue } from '@shared/tags';
import type { Clock } from '@shared/time';
import { requireSlices, type TaggingState, type WorkflowState } from '@shared/workflow-state';
import { claimInstance, claimTags, ownershipOf } from './claim-instance';

export interface TagResourcesDeps {
  readonly ec2: EC2Client;
  readonly now: Clock;
  readonly logger?: Logger;
}

/**
 * Step 8: mark the restored instance and its EBS volumes as this execution's: execution, source
 * instance, mode, recovery point and the request's own tags. The identity tags go first, alone
 * (claim-instance.ts: the only write the step policies allow on an instance no execution has
 * tagged yet), then the request's tags and the Name. Cleanup and re-runs find what the
 * workflow created by these tags. The instance also gets a Name that says what it is, unless it
 * already has one (a person's, or an earlier attempt's). CreateTags is idempotent, so a retry
 * writes the same values again.
 */
export async function tagResources(state: WorkflowState, deps: TagResourcesDeps): Promise<TaggingState> {
  const { request, selection, instance, execution } = requireSlices(
    state,
    'request',
    'selection',
    'instance',
    'execution',
  );
  const live = await findInstance(deps.ec2, instance.instanceId);
  if (!live) {
    throw new InstanceNotRunningError(
      `Restored instance ${instance.instanceId} no longer exists, so it could not be tagged. It disappeared after it ` +
        'was seen running; look at its state transition reason in the EC2 console (CloudTrail shows who terminated it).',
    );
  }

  const ownership = ownershipOf(live.Tags, execution.id);
  if (ownership.kind === 'foreign') {
    throw new InstanceNotRunningError(
      `Restored instance ${instance.instanceId} already carries ${TagKeys.Execution}=${ownership.execution}, another ` +
        "execution's tag, so this execution does not tag it: two executions claim the same restore job's instance. " +
        'Nothing was written; look at both executions before removing anything by hand.',
    );
  }
  const claim = {
    executionArn: execution.id,
    mode: request.mode,
    sourceInstanceId: selection.sourceInstanceId,
    recoveryPointArn: selection.recoveryPoint.arn,
  };
  const identity = claimTags(claim);
  // The first write says whose the instance is, with nothing else (the only write the step
  // policies allow on an untagged instance); a retry after it finds the instance already ours.
  if (ownership.kind === 'unclaimed') {
    await claimInstance(deps.ec2, instance.instanceId, ownership, claim);
  }

  const common: Record<string, string> = {
    ...identity,
    // The request's tags were checked against the reserved prefixes, so they cannot overwrite ours.
    ...Object.fromEntries(Object.entries(request.tags).map(([key, value]) => [key, tagValue(value)])),
  };
  // A Name the request gives wins (it is in `common`); otherwise only an instance without one gets ours.
  const instanceTags =
    common.Name === undefined && tagOf(live.Tags, 'Name') === null
      ? {
          ...common,
          Name: tagValue(restoredName(state.source?.name ?? null, selection.sourceInstanceId, deps.now())),
        }
      : common;
  const afterClaim = Object.fromEntries(Object.entries(instanceTags).filter(([key]) => !(key in identity)));

  const volumeIds = (live.BlockDeviceMappings ?? [])
    .map((mapping) => mapping.Ebs?.VolumeId)
    .filter((id): id is string => typeof id === 'string' && id.length > 0);

  if (Object.keys(afterClaim).length > 0) {
    await deps.ec2.send(
      new CreateTagsCommand({ Resources: [instance.instanceId], Tags: toTags(afterClaim) }),
    );
  }
  if (volumeIds.length > 0) {
    await deps.ec2.send(new CreateTagsCommand({ Resources: volumeIds, Tags: toTags(common) }));
  }
  const taggedResourceIds = [instance.instanceId, ...volumeIds];
  deps.logger?.info('restored resources tagged', { taggedResourceIds, nameSet: 'Name' in instanceTags });
  return { taggedResourceIds, tags: instanceTags };
}

/** "app-server (restored 2026-11-28)": what the console shows in its Name column. */
export function restoredName(sourceName: string | null, sourceInstanceId: string, now: Date): string {
  return `${sourceName?.trim() || sourceInstanceId} (restored ${now.toISOString().slice(0, 10)})`;
}

function toTags(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
