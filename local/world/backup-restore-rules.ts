/**
 * What an AWS Backup EC2 restore job does, under AWS's rules: the metadata Backup records for an
 * instance, how a job progresses over simulated time, and what it creates when it completes
 * (RunInstances from the AMI with the metadata, the original key pair, the backed-up profile only
 * if the restore role may pass its role, RunInstances' network rules).
 */
import { randomUUID } from 'node:crypto';
import { isBurstable } from '@shared/instance-types';
import { BACKUP_SOURCE_TAG } from '@shared/tags';
import { mustExist } from './ec2-filters';
import type { InstanceProfile } from './iam-store';
import { parseJson } from './json-text';
import { checkLaunchParameters } from './launch-checks';
import { generateEd25519Key } from './ssh-keys';
import type { Instance, RecoveryPoint, RestoreJob, WorldContext } from './types';

/** Keys AWS Backup reports in EC2 restore metadata; a restore accepts the A.6 list. */
const BACKED_UP_PROFILE_SENTINEL = 'UseBackedUpValue';

export class BackupRestoreRules {
  constructor(private readonly world: WorldContext) {}

  /** The restore metadata AWS Backup records for an instance (every value a string). */
  metadataOf(instance: Instance): Record<string, string> {
    const subnet = this.world.ec2.network.mustGetSubnet(instance.subnetId);
    const association = this.world.ec2.associations.active(instance.id);
    const profile = association ? this.world.iam.profileByArn(association.profileArn) : undefined;
    return {
      CapacityReservationSpecification: '{"CapacityReservationPreference":"open"}',
      CpuOptions: '{"CoreCount":1,"ThreadsPerCore":2}',
      // T3's default mode; only burstable types have one.
      ...(isBurstable(instance.instanceType) ? { CreditSpecification: '{"CpuCredits":"unlimited"}' } : {}),
      DisableApiTermination: String(instance.disableApiTermination),
      EbsOptimized: 'false',
      HibernationOptions: '{"Configured":false}',
      InstanceInitiatedShutdownBehavior: 'stop',
      InstanceType: instance.instanceType,
      ...(instance.keyName ? { KeyName: instance.keyName } : {}),
      Monitoring: '{"State":"disabled"}',
      NetworkInterfaces: JSON.stringify([
        {
          AssociatePublicIpAddress: instance.autoPublicIp !== null,
          DeleteOnTermination: true,
          Description: '',
          DeviceIndex: 0,
          Groups: instance.securityGroupIds,
          Ipv6AddressCount: 0,
          Ipv6Addresses: [],
          NetworkInterfaceId: instance.eniId,
          PrivateIpAddress: instance.privateIp,
          PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: instance.privateIp }],
          SecondaryPrivateIpAddressCount: 0,
          SubnetId: instance.subnetId,
          InterfaceType: 'interface',
        },
      ]),
      Placement: JSON.stringify({
        AvailabilityZone: subnet.availabilityZone,
        GroupName: '',
        Tenancy: 'default',
      }),
      SecurityGroupIds: JSON.stringify(instance.securityGroupIds),
      SubnetId: instance.subnetId,
      VpcId: instance.vpcId,
      ...(profile ? { IamInstanceProfileName: profile.name } : {}),
      'aws:backup:request-id': randomUUID(),
    };
  }

  /** Moves a job to where it is at `now`: PENDING, RUNNING, then its outcome and the instance it created. */
  advanceJob(job: RestoreJob, now: number): void {
    if (job.status !== 'PENDING' && job.status !== 'RUNNING') return;
    const elapsed = now - job.createdAt.getTime();
    if (elapsed < job.durationMs) {
      if (elapsed >= Math.min(30_000, job.durationMs * 0.05)) job.status = 'RUNNING';
      return;
    }
    job.completedAt = new Date(job.createdAt.getTime() + job.durationMs);
    if (job.fault.outcome === 'FAILED' || job.fault.outcome === 'ABORTED') {
      job.status = job.fault.outcome;
      job.statusMessage =
        job.fault.statusMessage ??
        (job.status === 'ABORTED' ? 'Restore job was aborted by a user.' : 'Restore job failed.');
      return;
    }
    try {
      const instance = this.restoreInstance(job);
      job.status = 'COMPLETED';
      job.createdInstanceId = instance.id;
    } catch (error) {
      job.status = 'FAILED';
      job.statusMessage = error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * What AWS Backup does when a job completes: RunInstances from the AMI with the metadata, the
   * original key pair (it cannot be changed), and RunInstances' rules on the network settings.
   */
  private restoreInstance(job: RestoreJob): Instance {
    const { backup, ec2, faults, loopback } = this.world;
    const point = mustExist(backup.recoveryPoints.get(job.recoveryPointArn), job.recoveryPointArn);
    const m = job.metadata;
    const launches = `arn:aws:ec2:${this.world.region}:${this.world.accountId}:instance/*`;
    if (
      !this.world.iam.allows(job.iamRoleArn, 'AWSBackup', {
        action: 'ec2:RunInstances',
        resource: launches,
        context: {},
      })
    ) {
      const role = job.iamRoleArn.split('/').pop() ?? job.iamRoleArn;
      throw new Error(
        `You are not authorized to perform this operation. User: arn:aws:sts::${this.world.accountId}:assumed-role/${role}/AWSBackup is not authorized to perform: ec2:RunInstances on resource: ${launches} because no identity-based policy allows the ec2:RunInstances action`,
      );
    }
    const interfaces = parseJson<Record<string, unknown>[]>(m.NetworkInterfaces) ?? [];
    const nic = interfaces[0];
    if (nic && (m.SubnetId || m.SecurityGroupIds)) {
      // RunInstances rejects both forms together; AWS may reconcile them for restores, which is
      // unconfirmed, so the emulator fails as RunInstances would.
      throw new Error(
        'Network interfaces and an instance-level subnet ID may not be specified on the same request (InvalidParameterCombination)',
      );
    }
    const subnetId = (nic?.SubnetId as string | undefined) ?? m.SubnetId;
    if (!subnetId) throw new Error('No subnet specified and no default VPC exists (VPCIdNotSpecified)');
    const subnet = ec2.network.subnets.get(subnetId);
    if (!subnet) throw new Error(`The subnet ID '${subnetId}' does not exist (InvalidSubnetID.NotFound)`);
    const groupIds = (nic?.Groups as string[] | undefined) ?? parseJson<string[]>(m.SecurityGroupIds) ?? [];
    for (const g of groupIds) {
      const group = ec2.network.securityGroups.get(g);
      if (!group) throw new Error(`The security group '${g}' does not exist (InvalidGroup.NotFound)`);
      if (group.vpcId !== subnet.vpcId)
        throw new Error(
          `Security group ${g} and subnet ${subnet.id} belong to different networks (InvalidParameter)`,
        );
    }
    const instanceType = m.InstanceType ?? point.metadata.InstanceType ?? 't3.micro';
    checkLaunchParameters({ instanceType, subnet, groupIds, metadata: m });
    const eni = nic?.NetworkInterfaceId as string | undefined;
    if (eni) {
      const owner = [...ec2.instances.instances.values()].find(
        (i) => i.eniId === eni && i.state !== 'terminated',
      );
      throw new Error(
        owner
          ? `Interface ${eni} is currently in use (InvalidNetworkInterface.InUse)`
          : `The networkInterface ID '${eni}' does not exist (InvalidNetworkInterfaceID.NotFound)`,
      );
    }
    const requestedIp = nic?.PrivateIpAddress as string | undefined;
    if (requestedIp && loopback.has(requestedIp))
      throw new Error(`Address ${requestedIp} is in use. (InvalidIPAddress.InUse)`);

    const profile = this.restoreProfile(job, point);
    const keyName = point.metadata.KeyName ?? null;
    const keyPairs = ec2.network.keyPairs;
    if (keyName && !keyPairs.has(keyName))
      throw new Error(`The key pair '${keyName}' does not exist (InvalidKeyPair.NotFound)`);
    const source = ec2.instances.instances.get(point.instanceId);
    const sourceTags = job.copySourceTags ? Object.fromEntries(point.tags) : {};
    // AWS Backup marks what it restores (docs/aws-facts.md C, H.8): the workflow's first write on
    // the instance is allowed only where this tag is. The value's format is unconfirmed; only
    // its presence is relied on.
    const restoredTags = { ...sourceTags, [BACKUP_SOURCE_TAG]: `${point.instanceId}:${point.imageId}` };
    const wantsPublic = nic
      ? nic.AssociatePublicIpAddress === true || nic.AssociatePublicIpAddress === 'true'
      : subnet.mapPublicIpOnLaunch;
    const instance = ec2.instances.launch({
      id: null,
      imageId: point.imageId,
      subnet,
      securityGroupIds: groupIds,
      keyName,
      instanceType,
      publicIp: wantsPublic,
      privateIp: requestedIp ?? null,
      tags: restoredTags,
      disableApiTermination: m.DisableApiTermination === 'true',
      requireImdsV2: m.RequireIMDSv2 === 'true',
      authorizedKey: faults.ssh.rejectKey
        ? `${generateEd25519Key().public}`
        : keyName
          ? (keyPairs.get(keyName)?.publicKey ?? null)
          : (source?.authorizedKey ?? null),
    });
    if (profile && !job.fault.dropInstanceProfile) ec2.associations.add(instance.id, profile, true);
    return instance;
  }

  /** The profile a restore launches with, under AWS Backup's rules (aws-facts A.6, C). */
  private restoreProfile(job: RestoreJob, point: RecoveryPoint): InstanceProfile | null {
    const requested = job.metadata.IamInstanceProfileName;
    if (requested === undefined || requested === '') return null;
    const backedUp = point.metadata.IamInstanceProfileName;
    const name = requested === BACKED_UP_PROFILE_SENTINEL ? backedUp : requested;
    if (!name) return null;
    if (name !== backedUp) {
      throw new Error(
        'AWS Backup does not permit attaching a new instance profile to an EC2 instance. Please restore using the backed up instance profile.',
      );
    }
    const { iam } = this.world;
    const profile = iam.instanceProfiles.get(name);
    if (!profile)
      throw new Error(
        `Value (${name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
      );
    const restoreRole = iam.roleByArn(job.iamRoleArn);
    const instanceRole = iam.roles.get(profile.roleName);
    // The restore runs as the restore role: its policies decide (world/iam-store.ts).
    const mayPass =
      restoreRole !== undefined &&
      instanceRole !== undefined &&
      iam.allows(restoreRole.arn, 'AWSBackup', {
        action: 'iam:PassRole',
        resource: instanceRole.arn,
        context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
      });
    if (!mayPass) {
      const decoded = JSON.stringify({
        allowed: false,
        explicitDeny: false,
        matchedStatements: { items: [] },
        context: {
          principal: {
            arn: `arn:aws:sts::${this.world.accountId}:assumed-role/${restoreRole?.name ?? 'unknown'}/AWSBackup`,
          },
          action: 'iam:PassRole',
          resource: instanceRole?.arn ?? profile.roleName,
          conditions: {
            items: [{ key: 'iam:PassedToService', values: { items: [{ value: 'ec2.amazonaws.com' }] } }],
          },
        },
      });
      // AWS encodes the details (sts:DecodeAuthorizationMessage reveals them); so does the emulator.
      throw new Error(
        `You are not authorized to perform this operation. Encoded authorization failure message: ${Buffer.from(decoded).toString('base64')}`,
      );
    }
    return profile;
  }
}
