import type { BackupClient } from '@aws-sdk/client-backup';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { instanceProfileNameFromArn } from '@shared/arns';
import { findInstance, tagOf } from '@shared/ec2';
import type { Logger } from '@shared/logger';
import {
  getRestoreMetadata,
  groupIds,
  networkInterfaces,
  nonEmpty,
  parseJson,
  primaryInterface,
  type RestoreMetadata,
} from '@shared/restore-metadata';
import { requireSlices, type Selection, type SourceFacts, type WorkflowState } from '@shared/workflow-state';

export interface ResolveSourceDeps {
  readonly ec2: EC2Client;
  readonly backup: BackupClient;
  readonly logger?: Logger;
}

/**
 * Step 2, which runs after select-recovery-point (it reads the chosen point): what the original
 * instance was (instance profile, key pair, subnet, security groups, type, Name). From the live
 * instance while it exists, because that is what the operators see today; otherwise (terminated
 * or gone: a disaster) from the recovery point's restore metadata.
 */
export async function resolveSource(state: WorkflowState, deps: ResolveSourceDeps): Promise<SourceFacts> {
  const { selection } = requireSlices(state, 'selection');
  const instance = await findInstance(deps.ec2, selection.sourceInstanceId);

  if (instance && instance.State?.Name !== 'terminated') {
    const facts = liveFacts(selection.sourceInstanceId, instance);
    deps.logger?.info('source resolved from the live instance', { ...facts });
    return facts;
  }

  const metadata = await getRestoreMetadata(deps.backup, selection.recoveryPoint);
  const facts = metadataFacts(selection, metadata);
  deps.logger?.info('source instance is gone; resolved from the restore metadata', {
    ...facts,
    instanceState: instance?.State?.Name ?? 'not found',
  });
  return facts;
}

function liveFacts(instanceId: string, instance: Instance): SourceFacts {
  const profileArn = nonEmpty(instance.IamInstanceProfile?.Arn);
  return {
    instanceId,
    exists: true,
    from: 'live-instance',
    instanceProfileArn: profileArn,
    instanceProfileName: profileArn ? instanceProfileNameFromArn(profileArn) : null,
    keyName: nonEmpty(instance.KeyName),
    subnetId: nonEmpty(instance.SubnetId),
    vpcId: nonEmpty(instance.VpcId),
    securityGroupIds: groupIds(instance.SecurityGroups ?? []),
    instanceType: nonEmpty(instance.InstanceType),
    name: tagOf(instance.Tags, 'Name'),
  };
}

function metadataFacts(selection: Selection, metadata: RestoreMetadata): SourceFacts {
  const primary = primaryInterface(networkInterfaces(metadata));
  const metadataGroups = groupIds(parseJson(metadata.SecurityGroupIds));
  const profile = instanceProfileOf(selection, nonEmpty(metadata.IamInstanceProfileName));
  return {
    instanceId: selection.sourceInstanceId,
    exists: false,
    from: 'restore-metadata',
    instanceProfileArn: profile?.arn ?? null,
    instanceProfileName: profile?.name ?? null,
    keyName: nonEmpty(metadata.KeyName),
    subnetId: nonEmpty(metadata.SubnetId) ?? nonEmpty(primary?.SubnetId),
    vpcId: nonEmpty(metadata.VpcId),
    securityGroupIds: metadataGroups.length > 0 ? metadataGroups : groupIds(primary?.Groups),
    instanceType: nonEmpty(metadata.InstanceType),
    // Tags are not part of the restore metadata.
    name: null,
  };
}

/**
 * The metadata holds the profile's name only. Its ARN is built in the source's partition and
 * account; a profile created with a path has that path in its real ARN, which plan-restore reads
 * back from IAM (GetInstanceProfile) before anything uses it.
 */
function instanceProfileOf(selection: Selection, value: string | null): { arn: string; name: string } | null {
  if (!value) return null;
  if (value.startsWith('arn:')) return { arn: value, name: instanceProfileNameFromArn(value) };
  const partition = selection.resourceArn.split(':')[1] || 'aws';
  return { arn: `arn:${partition}:iam::${selection.accountId}:instance-profile/${value}`, name: value };
}
