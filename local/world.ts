/**
 * The emulated AWS account: every resource the product touches, the rules AWS applies to them,
 * and how they change over simulated time (restore jobs, instance boot, profile associations).
 * The protocol adapters in `services/` translate wire requests into calls on this model and its
 * results into wire responses; nothing here knows about HTTP, XML or JSON.
 *
 * Where AWS's behaviour is unconfirmed (../shared/reference/aws-facts.md), the model picks the
 * behaviour that fails safe, and says so where it does.
 */
import { createHash, randomUUID } from 'node:crypto';
import { utils as sshUtils } from 'ssh2';
import { AwsError } from './aws-error';
import type { SimulatedClock } from './clock';
import { newId, newRestoreJobId } from './ids';
import type { RestoreJobFault, Scenario } from './scenario';

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export type Tags = Map<string, string>;

export interface Vpc {
  readonly id: string;
  readonly cidrBlock: string;
  readonly tags: Tags;
}
export interface Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
  readonly mapPublicIpOnLaunch: boolean;
  readonly tags: Tags;
}
export interface SecurityGroup {
  readonly id: string;
  readonly name: string;
  readonly vpcId: string;
  readonly description: string;
}
export interface KeyPair {
  readonly id: string;
  readonly name: string;
  readonly type: 'ed25519' | 'rsa';
  /** OpenSSH public key line. */
  readonly publicKey: string;
  readonly privateKey: string;
  readonly fingerprint: string;
  readonly createTime: Date;
}
export interface Role {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  readonly path: string;
  readonly passRoles: readonly string[];
  readonly createDate: Date;
}
export interface InstanceProfile {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  readonly path: string;
  readonly roleName: string;
  readonly createDate: Date;
}
export interface Instance {
  readonly id: string;
  readonly imageId: string;
  state: InstanceStateName;
  stateReason: { code: string; message: string } | null;
  stateTransitionReason: string;
  readonly launchTime: Date;
  /** Simulated ms when a pending instance becomes running. */
  bootAt: number;
  runningSince: number | null;
  readonly keyName: string | null;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly privateIp: string;
  /** Auto-assigned public IPv4 (not an Elastic IP). */
  autoPublicIp: string | null;
  readonly securityGroupIds: readonly string[];
  readonly tags: Tags;
  readonly eniId: string;
  disableApiTermination: boolean;
  readonly requireImdsV2: boolean;
  readonly hostKey: string;
  /** The key sshd accepts (the key pair's, unless a fault swaps it). */
  readonly authorizedKey: string | null;
}
export interface ProfileAssociation {
  readonly id: string;
  readonly instanceId: string;
  profileArn: string;
  profileId: string;
  state: 'associating' | 'associated' | 'disassociating' | 'disassociated';
  /** Simulated ms when an "associating" association becomes "associated". */
  readyAt: number;
  timestamp: Date;
}
export interface Address {
  readonly allocationId: string;
  readonly publicIp: string;
  associationId: string | null;
  instanceId: string | null;
  eniId: string | null;
  privateIp: string | null;
  readonly tags: Tags;
}
export interface Parameter {
  readonly name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModified: Date;
}
export interface BackupVault {
  readonly name: string;
  readonly arn: string;
  readonly creationDate: Date;
}
export interface RecoveryPoint {
  readonly arn: string;
  readonly imageId: string;
  readonly vault: string;
  readonly resourceArn: string;
  readonly instanceId: string;
  readonly creationDate: Date;
  readonly completionDate: Date;
  readonly status: string;
  readonly statusMessage: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: Tags;
  readonly sizeBytes: number;
}
export interface RestoreJob {
  readonly id: string;
  readonly recoveryPointArn: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly iamRoleArn: string;
  readonly idempotencyToken: string | null;
  readonly copySourceTags: boolean;
  readonly createdAt: Date;
  readonly durationMs: number;
  readonly fault: RestoreJobFault;
  status: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'ABORTED' | 'FAILED';
  statusMessage: string | null;
  completedAt: Date | null;
  createdInstanceId: string | null;
  validationStatus: string | null;
  validationMessage: string | null;
}

export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/** What an SSH host needs to serve one running instance. */
export interface SshTarget {
  readonly instanceId: string;
  readonly addresses: readonly string[];
  readonly hostKey: string;
  readonly authorizedKey: string | null;
}

/** Keys AWS Backup reports in EC2 restore metadata; a restore accepts the A.6 list. */
const BACKED_UP_PROFILE_SENTINEL = 'UseBackedUpValue';

export class World {
  readonly region: string;
  readonly accountId: string;
  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  readonly keyPairs = new Map<string, KeyPair>();
  readonly roles = new Map<string, Role>();
  readonly instanceProfiles = new Map<string, InstanceProfile>();
  readonly instances = new Map<string, Instance>();
  readonly associations = new Map<string, ProfileAssociation>();
  readonly addresses = new Map<string, Address>();
  readonly parameters = new Map<string, Parameter>();
  readonly vaults = new Map<string, BackupVault>();
  readonly recoveryPoints = new Map<string, RecoveryPoint>();
  readonly restoreJobs = new Map<string, RestoreJob>();
  readonly restoreRoleArn: string;
  private readonly octet: number;
  private readonly usedIps = new Set<string>();

  constructor(
    readonly scenario: Scenario,
    readonly clock: SimulatedClock,
  ) {
    this.region = scenario.region;
    this.accountId = scenario.accountId;
    this.octet = scenario.loopbackOctet ?? pickLoopbackOctet();
    this.restoreRoleArn = this.roleArn(scenario.iam.restoreRoleName, '/');
    this.load(scenario);
  }

  get faults(): Scenario['faults'] {
    return this.scenario.faults;
  }

  // ---------------------------------------------------------------- loading the scenario

  private load(s: Scenario): void {
    const created = this.clock.now();
    for (const vpc of s.vpcs)
      this.vpcs.set(vpc.id, { id: vpc.id, cidrBlock: `127.${this.octet}.0.0/16`, tags: toTags(vpc.tags) });
    s.subnets.forEach((sub, i) => {
      const cidrBlock = sub.cidrBlock ?? `127.${this.octet}.${i + 1}.0/24`;
      this.subnets.set(sub.id, {
        id: sub.id,
        vpcId: sub.vpcId,
        cidrBlock,
        availabilityZone: sub.availabilityZone ?? `${this.region}${'abcdef'[i % 6]}`,
        mapPublicIpOnLaunch: sub.mapPublicIpOnLaunch,
        tags: toTags(sub.tags),
      });
    });
    for (const g of s.securityGroups) this.securityGroups.set(g.id, { ...g });
    for (const k of s.keyPairs) {
      const material = k.privateKey ?? generateEd25519Key().private;
      const parsed = sshUtils.parseKey(material);
      if (parsed instanceof Error)
        throw new AwsError('InvalidScenario', `keyPairs ${k.name}: ${parsed.message}`);
      const publicBlob = parsed.getPublicSSH();
      const keyPair: KeyPair = {
        id: k.id,
        name: k.name,
        type: parsed.type === 'ssh-ed25519' ? 'ed25519' : 'rsa',
        publicKey: `${parsed.type} ${publicBlob.toString('base64')} ${k.name}`,
        privateKey: material,
        fingerprint: sha256Fingerprint(publicBlob),
        createTime: created,
      };
      this.keyPairs.set(k.name, keyPair);
      if (k.storeInParameterStore) this.putParameter(`/ec2/keypair/${k.id}`, 'SecureString', material, false);
    }
    for (const r of s.iam.roles) {
      this.roles.set(r.name, {
        name: r.name,
        path: r.path,
        arn: this.roleArn(r.name, r.path),
        id: `AROA${hex(16).toUpperCase()}`,
        passRoles: r.passRoles,
        createDate: created,
      });
    }
    for (const p of s.instanceProfiles) {
      this.instanceProfiles.set(p.name, {
        name: p.name,
        path: p.path,
        arn: `arn:aws:iam::${this.accountId}:instance-profile${p.path}${p.name}`,
        id: `AIPA${hex(16).toUpperCase()}`,
        roleName: p.roleName,
        createDate: created,
      });
    }
    for (const v of s.backupVaults) {
      this.vaults.set(v.name, {
        name: v.name,
        arn: `arn:aws:backup:${this.region}:${this.accountId}:backup-vault:${v.name}`,
        creationDate: created,
      });
    }
    for (const spec of s.instances) {
      const subnet = this.mustGetSubnet(spec.subnetId);
      const instance = this.launch({
        imageId: newId('ami'),
        id: spec.id,
        subnet,
        securityGroupIds: spec.securityGroupIds,
        keyName: spec.keyName ?? null,
        instanceType: spec.instanceType,
        publicIp: spec.publicIp || subnet.mapPublicIpOnLaunch,
        privateIp: null,
        tags: { ...(spec.name ? { Name: spec.name } : {}), ...spec.tags },
        disableApiTermination: false,
        requireImdsV2: false,
        authorizedKey: spec.keyName ? (this.keyPairs.get(spec.keyName)?.publicKey ?? null) : null,
      });
      instance.state = spec.state;
      instance.bootAt = 0;
      instance.runningSince = spec.state === 'running' ? this.clock.nowMs() - 86_400_000 : null;
      // A terminated source had its profile while it was backed up; released below.
      if (spec.instanceProfileName) {
        this.addAssociation(instance.id, this.mustGetProfile(spec.instanceProfileName), true);
      }
    }
    for (const rp of s.recoveryPoints) {
      const instance = this.instances.get(rp.instanceId);
      this.addRecoveryPoint({
        imageId: rp.imageId ?? newId('ami'),
        vault: rp.vault,
        instanceId: rp.instanceId,
        creationDate: new Date(rp.creationDate),
        status: rp.status,
        statusMessage: rp.statusMessage ?? null,
        metadata: rp.restoreMetadata ?? this.metadataOf(mustExist(instance, rp.instanceId)),
        tags: toTags(rp.tags),
      });
    }
    if (s.backupPlan) this.runBackupPlan(s.backupPlan);
    // Terminated sources are gone after their recovery points were taken from them.
    for (const i of this.instances.values()) if (i.state === 'terminated') this.releaseInstanceResources(i);
  }

  /** Daily points at hourUtc for the last `days` days, for every instance carrying the selection tag. */
  private runBackupPlan(plan: NonNullable<Scenario['backupPlan']>): void {
    const now = this.clock.now();
    const latest = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), plan.hourUtc),
    );
    if (latest.getTime() > now.getTime() - 3_600_000) latest.setUTCDate(latest.getUTCDate() - 1);
    const selected = [...this.instances.values()].filter(
      (i) => i.tags.get(plan.selectionTag.key) === plan.selectionTag.value,
    );
    for (const instance of selected) {
      for (let day = plan.days - 1; day >= 0; day--) {
        const created = new Date(latest.getTime() - day * 86_400_000 + Math.floor(Math.random() * 600_000));
        this.addRecoveryPoint({
          imageId: newId('ami'),
          vault: plan.vault,
          instanceId: instance.id,
          creationDate: created,
          status: day === 0 ? plan.latestStatus : 'COMPLETED',
          statusMessage:
            day === 0 && plan.latestStatus === 'PARTIAL'
              ? 'Backup job completed with errors: some volumes were not snapshotted'
              : null,
          metadata: this.metadataOf(instance),
          tags: new Map([[plan.selectionTag.key, plan.selectionTag.value], ...instance.tags]),
        });
      }
    }
  }

  private addRecoveryPoint(
    p: Omit<RecoveryPoint, 'arn' | 'resourceArn' | 'completionDate' | 'sizeBytes'>,
  ): void {
    const arn = `arn:aws:ec2:${this.region}::image/${p.imageId}`;
    this.recoveryPoints.set(arn, {
      ...p,
      arn,
      resourceArn: this.instanceArn(p.instanceId),
      completionDate: new Date(p.creationDate.getTime() + 420_000),
      sizeBytes: 8 * 1024 ** 3,
    });
  }

  /** The restore metadata AWS Backup records for an instance (every value a string). */
  metadataOf(instance: Instance): Record<string, string> {
    const subnet = this.mustGetSubnet(instance.subnetId);
    const association = this.activeAssociation(instance.id);
    const profile = association ? this.profileByArn(association.profileArn) : undefined;
    return {
      CapacityReservationSpecification: '{"CapacityReservationPreference":"open"}',
      CpuOptions: '{"CoreCount":1,"ThreadsPerCore":2}',
      CreditSpecification: '{"CpuCredits":"unlimited"}',
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

  // ---------------------------------------------------------------- time

  /** Moves everything that changes over time to the current simulated instant. */
  tick(): void {
    const now = this.clock.nowMs();
    for (const job of this.restoreJobs.values()) this.advanceJob(job, now);
    for (const instance of this.instances.values()) {
      if (instance.state === 'pending' && now >= instance.bootAt) {
        instance.state = 'running';
        instance.runningSince = instance.bootAt;
      } else if (instance.state === 'shutting-down' && now >= instance.bootAt) {
        instance.state = 'terminated';
      } else if (instance.state === 'stopping' && now >= instance.bootAt) {
        instance.state = 'stopped';
      }
    }
    for (const a of this.associations.values()) {
      if (a.state === 'associating' && now >= a.readyAt) a.state = 'associated';
    }
  }

  /** Running instances whose sshd is up, with every address that reaches them. */
  sshTargets(): SshTarget[] {
    const now = this.clock.nowMs();
    const ssh = this.faults.ssh;
    if (ssh.unreachable) return [];
    return [...this.instances.values()]
      .filter(
        (i) =>
          i.state === 'running' &&
          i.runningSince !== null &&
          now >= i.runningSince + ssh.bootDelaySeconds * 1000,
      )
      .map((i) => ({
        instanceId: i.id,
        addresses: [i.privateIp, ...this.publicIpsOf(i)],
        hostKey: i.hostKey,
        authorizedKey: i.authorizedKey,
      }));
  }

  publicIpsOf(instance: Instance): string[] {
    const eips = [...this.addresses.values()]
      .filter((a) => a.instanceId === instance.id)
      .map((a) => a.publicIp);
    return eips.length > 0 ? eips : instance.autoPublicIp ? [instance.autoPublicIp] : [];
  }

  // ---------------------------------------------------------------- EC2: instances

  describeInstances(ids: readonly string[], filters: readonly Ec2Filter[]): Instance[] {
    for (const id of ids) {
      if (!/^i-[0-9a-f]{8,17}$/.test(id))
        throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
    const missing = ids.filter((id) => !this.instances.has(id));
    if (missing.length > 0) {
      const list = missing.map((m) => `'${m}'`).join(', ');
      throw new AwsError(
        'InvalidInstanceID.NotFound',
        `The instance ID${missing.length > 1 ? 's' : ''} ${list} ${missing.length > 1 ? 'do' : 'does'} not exist`,
      );
    }
    const selected =
      ids.length > 0 ? ids.map((id) => mustExist(this.instances.get(id), id)) : [...this.instances.values()];
    return selected.filter((i) => matchesFilters(filters, (name) => this.instanceFilterValues(i, name)));
  }

  private instanceFilterValues(i: Instance, name: string): readonly string[] | undefined {
    const association = this.activeAssociation(i.id);
    switch (name) {
      case 'instance-id':
        return [i.id];
      case 'instance-state-name':
        return [i.state];
      case 'instance-state-code':
        return [String(INSTANCE_STATE_CODES[i.state])];
      case 'key-name':
        return i.keyName ? [i.keyName] : [];
      case 'subnet-id':
        return [i.subnetId];
      case 'vpc-id':
        return [i.vpcId];
      case 'image-id':
        return [i.imageId];
      case 'instance-type':
        return [i.instanceType];
      case 'private-ip-address':
        return [i.privateIp];
      case 'ip-address':
        return this.publicIpsOf(i);
      case 'iam-instance-profile.arn':
        return association ? [association.profileArn] : [];
      default:
        return tagFilterValues(i.tags, name);
    }
  }

  instanceProfileOf(instanceId: string): { arn: string; id: string } | null {
    const a = this.activeAssociation(instanceId);
    return a ? { arn: a.profileArn, id: a.profileId } : null;
  }

  terminateInstances(
    ids: readonly string[],
  ): { id: string; previous: InstanceStateName; current: InstanceStateName }[] {
    const instances = this.describeInstances(ids, []);
    const protectedOne = instances.find((i) => i.disableApiTermination && i.state !== 'terminated');
    if (protectedOne) {
      throw new AwsError(
        'OperationNotPermitted',
        `The instance '${protectedOne.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
      );
    }
    return instances.map((i) => {
      const previous = i.state;
      if (i.state !== 'terminated' && i.state !== 'shutting-down') {
        i.state = 'shutting-down';
        i.bootAt = this.clock.nowMs() + 10_000;
        i.stateTransitionReason = `User initiated (${this.clock.now().toISOString()})`;
        i.stateReason = {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        };
        this.releaseInstanceResources(i);
      }
      return { id: i.id, previous, current: i.state };
    });
  }

  /** What AWS does on termination: Elastic IPs disassociate, profile associations end. */
  private releaseInstanceResources(i: Instance): void {
    for (const a of this.addresses.values()) {
      if (a.instanceId === i.id)
        Object.assign(a, { associationId: null, instanceId: null, eniId: null, privateIp: null });
    }
    for (const assoc of this.associations.values())
      if (assoc.instanceId === i.id) this.associations.delete(assoc.id);
    i.autoPublicIp = null;
  }

  setDisableApiTermination(instanceId: string, value: boolean): void {
    mustExist(this.describeInstances([instanceId], [])[0], instanceId).disableApiTermination = value;
  }

  createTags(resourceIds: readonly string[], tags: Readonly<Record<string, string>>): void {
    const targets = resourceIds.map((id) => {
      const target = this.taggable(id);
      if (!target) {
        const kind = id.split('-')[0] ?? 'resource';
        const code =
          kind === 'i'
            ? 'InvalidInstanceID.NotFound'
            : kind === 'eipalloc'
              ? 'InvalidAllocationID.NotFound'
              : 'InvalidID';
        throw new AwsError(code, `The ID '${id}' does not exist`);
      }
      return target;
    });
    for (const target of targets) for (const [k, v] of Object.entries(tags)) target.set(k, v);
  }

  private taggable(id: string): Tags | undefined {
    return (
      this.instances.get(id)?.tags ??
      this.addresses.get(id)?.tags ??
      this.subnets.get(id)?.tags ??
      this.vpcs.get(id)?.tags ??
      (id.startsWith('vol-') || id.startsWith('eni-') ? new Map() : undefined)
    );
  }

  // ---------------------------------------------------------------- EC2: network, keys, images

  describeSubnets(ids: readonly string[], filters: readonly Ec2Filter[]): Subnet[] {
    const missing = ids.find((id) => !this.subnets.has(id));
    if (missing) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${missing}' does not exist`);
    const list =
      ids.length > 0 ? ids.map((id) => mustExist(this.subnets.get(id), id)) : [...this.subnets.values()];
    return list.filter((s) =>
      matchesFilters(
        filters,
        (name) =>
          ({
            'subnet-id': [s.id],
            'vpc-id': [s.vpcId],
            'availability-zone': [s.availabilityZone],
            'map-public-ip-on-launch': [String(s.mapPublicIpOnLaunch)],
            'cidr-block': [s.cidrBlock],
          })[name] ?? tagFilterValues(s.tags, name),
      ),
    );
  }

  availableIpCount(subnet: Subnet): number {
    const prefix = subnet.cidrBlock.split('.').slice(0, 3).join('.');
    return 251 - [...this.usedIps].filter((ip) => ip.startsWith(`${prefix}.`)).length;
  }

  describeSecurityGroups(ids: readonly string[], filters: readonly Ec2Filter[]): SecurityGroup[] {
    const missing = ids.find((id) => !this.securityGroups.has(id));
    if (missing)
      throw new AwsError('InvalidGroup.NotFound', `The security group '${missing}' does not exist`);
    const list =
      ids.length > 0
        ? ids.map((id) => mustExist(this.securityGroups.get(id), id))
        : [...this.securityGroups.values()];
    return list.filter((g) =>
      matchesFilters(
        filters,
        (name) => ({ 'group-id': [g.id], 'group-name': [g.name], 'vpc-id': [g.vpcId] })[name],
      ),
    );
  }

  describeVpcs(ids: readonly string[], filters: readonly Ec2Filter[]): Vpc[] {
    const missing = ids.find((id) => !this.vpcs.has(id));
    if (missing) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${missing}' does not exist`);
    const list = ids.length > 0 ? ids.map((id) => mustExist(this.vpcs.get(id), id)) : [...this.vpcs.values()];
    return list.filter((v) =>
      matchesFilters(filters, (name) => ({ 'vpc-id': [v.id] })[name] ?? tagFilterValues(v.tags, name)),
    );
  }

  describeKeyPairs(
    names: readonly string[],
    ids: readonly string[],
    filters: readonly Ec2Filter[],
  ): KeyPair[] {
    const all = [...this.keyPairs.values()];
    const missingName = names.find((n) => !this.keyPairs.has(n));
    if (missingName)
      throw new AwsError('InvalidKeyPair.NotFound', `The key pair '${missingName}' does not exist`);
    const missingId = ids.find((id) => !all.some((k) => k.id === id));
    if (missingId)
      throw new AwsError('InvalidKeyPair.NotFound', `The key pair '${missingId}' does not exist`);
    return all
      .filter(
        (k) => (names.length === 0 || names.includes(k.name)) && (ids.length === 0 || ids.includes(k.id)),
      )
      .filter((k) =>
        matchesFilters(
          filters,
          (name) => ({ 'key-pair-id': [k.id], 'key-name': [k.name], fingerprint: [k.fingerprint] })[name],
        ),
      );
  }

  /** The AMIs behind the recovery points (AWSBackup_<instanceId>_<jobId>, as Backup names them). */
  describeImages(ids: readonly string[]): RecoveryPoint[] {
    const images = [...this.recoveryPoints.values()];
    const missing = ids.find((id) => !images.some((p) => p.imageId === id));
    if (missing) throw new AwsError('InvalidAMIID.NotFound', `The image id '[${missing}]' does not exist`);
    return ids.length > 0 ? images.filter((p) => ids.includes(p.imageId)) : images;
  }

  // ---------------------------------------------------------------- EC2: instance profile associations

  describeIamInstanceProfileAssociations(
    ids: readonly string[],
    filters: readonly Ec2Filter[],
  ): ProfileAssociation[] {
    const missing = ids.find((id) => !this.associations.has(id));
    if (missing)
      throw new AwsError(
        'InvalidAssociationID.NotFound',
        `An association with ID ${missing} does not exist.`,
      );
    const list =
      ids.length > 0
        ? ids.map((id) => mustExist(this.associations.get(id), id))
        : [...this.associations.values()];
    return list.filter((a) =>
      matchesFilters(filters, (name) => ({ 'instance-id': [a.instanceId], state: [a.state] })[name]),
    );
  }

  associateIamInstanceProfile(
    instanceId: string,
    profileRef: { arn?: string; name?: string },
  ): ProfileAssociation {
    const instance = mustExist(this.describeInstances([instanceId], [])[0], instanceId);
    const profile = this.resolveProfileRef(profileRef);
    if (instance.state !== 'running' && instance.state !== 'stopped') {
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instanceId}' is not in a valid state for this operation.`,
      );
    }
    if (this.activeAssociation(instanceId)) {
      throw new AwsError('IncorrectState', `There is an existing association for instance ${instanceId}`);
    }
    return this.addAssociation(instanceId, profile, false);
  }

  replaceIamInstanceProfileAssociation(
    associationId: string,
    profileRef: { arn?: string; name?: string },
  ): ProfileAssociation {
    const existing = this.associations.get(associationId);
    if (!existing || existing.state === 'disassociated') {
      throw new AwsError(
        'InvalidAssociationID.NotFound',
        `An association with ID ${associationId} does not exist.`,
      );
    }
    const profile = this.resolveProfileRef(profileRef);
    this.associations.delete(associationId);
    return this.addAssociation(existing.instanceId, profile, false);
  }

  disassociateIamInstanceProfile(associationId: string): ProfileAssociation {
    const existing = this.associations.get(associationId);
    if (!existing)
      throw new AwsError(
        'InvalidAssociationID.NotFound',
        `An association with ID ${associationId} does not exist.`,
      );
    this.associations.delete(associationId);
    return { ...existing, state: 'disassociating' };
  }

  private addAssociation(
    instanceId: string,
    profile: InstanceProfile,
    immediate: boolean,
  ): ProfileAssociation {
    const now = this.clock.nowMs();
    const association: ProfileAssociation = {
      id: newId('iip-assoc'),
      instanceId,
      profileArn: profile.arn,
      profileId: profile.id,
      state: immediate ? 'associated' : 'associating',
      readyAt: now + (immediate ? 0 : this.faults.profileAssociationSeconds * 1000),
      timestamp: new Date(now),
    };
    this.associations.set(association.id, association);
    return association;
  }

  private activeAssociation(instanceId: string): ProfileAssociation | undefined {
    return [...this.associations.values()].find(
      (a) => a.instanceId === instanceId && (a.state === 'associated' || a.state === 'associating'),
    );
  }

  private resolveProfileRef(ref: { arn?: string; name?: string }): InstanceProfile {
    if (ref.arn) {
      const profile = this.profileByArn(ref.arn);
      if (!profile) {
        throw new AwsError(
          'InvalidParameterValue',
          `Value (${ref.arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`,
        );
      }
      return profile;
    }
    const profile = ref.name ? this.instanceProfiles.get(ref.name) : undefined;
    if (!profile) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${ref.name ?? ''}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
      );
    }
    return profile;
  }

  profileByArn(arn: string): InstanceProfile | undefined {
    return [...this.instanceProfiles.values()].find((p) => p.arn === arn);
  }

  // ---------------------------------------------------------------- EC2: Elastic IPs

  allocateAddress(tags: Readonly<Record<string, string>>): Address {
    if (this.addresses.size >= this.faults.elasticIpQuota) {
      throw new AwsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
    }
    const address: Address = {
      allocationId: newId('eipalloc'),
      publicIp: this.nextIp(`127.${this.octet}.250`),
      associationId: null,
      instanceId: null,
      eniId: null,
      privateIp: null,
      tags: toTags(tags),
    };
    this.addresses.set(address.allocationId, address);
    return address;
  }

  associateAddress(
    allocationId: string,
    target: { instanceId?: string; eniId?: string },
    allowReassociation: boolean,
  ): Address {
    const address = this.mustGetAddress(allocationId);
    if (Boolean(target.instanceId) === Boolean(target.eniId)) {
      throw new AwsError(
        'InvalidParameterCombination',
        'Specify either an instance ID or a network interface ID, not both',
      );
    }
    const instance = target.instanceId
      ? mustExist(this.describeInstances([target.instanceId], [])[0], target.instanceId)
      : [...this.instances.values()].find((i) => i.eniId === target.eniId);
    if (!instance)
      throw new AwsError(
        'InvalidNetworkInterfaceID.NotFound',
        `The networkInterface ID '${target.eniId}' does not exist`,
      );
    if (instance.state !== 'running') {
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instance.id}' is not in a valid state for this operation.`,
      );
    }
    if (address.instanceId === instance.id && address.associationId) return address;
    if (address.associationId && !allowReassociation) {
      throw new AwsError(
        'Resource.AlreadyAssociated',
        `resource ${allocationId} is already associated with associate-id ${address.associationId}`,
      );
    }
    // An Elastic IP replaces the instance's auto-assigned public IP (and any other EIP on the ENI).
    for (const other of this.addresses.values()) {
      if (other.instanceId === instance.id)
        Object.assign(other, { associationId: null, instanceId: null, eniId: null, privateIp: null });
    }
    instance.autoPublicIp = null;
    Object.assign(address, {
      associationId: newId('eipassoc'),
      instanceId: instance.id,
      eniId: instance.eniId,
      privateIp: instance.privateIp,
    });
    return address;
  }

  disassociateAddress(associationId: string): void {
    const address = [...this.addresses.values()].find((a) => a.associationId === associationId);
    if (!address)
      throw new AwsError(
        'InvalidAssociationID.NotFound',
        `The association ID '${associationId}' does not exist`,
      );
    Object.assign(address, { associationId: null, instanceId: null, eniId: null, privateIp: null });
  }

  releaseAddress(allocationId: string): void {
    const address = this.mustGetAddress(allocationId);
    if (address.associationId)
      throw new AwsError('InvalidIPAddress.InUse', `Address ${address.publicIp} is in use.`);
    this.addresses.delete(allocationId);
    this.usedIps.delete(address.publicIp);
  }

  describeAddresses(
    allocationIds: readonly string[],
    publicIps: readonly string[],
    filters: readonly Ec2Filter[],
  ): Address[] {
    const missing = allocationIds.find((id) => !this.addresses.has(id));
    if (missing)
      throw new AwsError('InvalidAllocationID.NotFound', `The allocation ID '${missing}' does not exist`);
    const unknownIp = publicIps.find((ip) => ![...this.addresses.values()].some((a) => a.publicIp === ip));
    if (unknownIp) throw new AwsError('InvalidAddress.NotFound', `Address '${unknownIp}' not found.`);
    return [...this.addresses.values()]
      .filter((a) => allocationIds.length === 0 || allocationIds.includes(a.allocationId))
      .filter((a) => publicIps.length === 0 || publicIps.includes(a.publicIp))
      .filter((a) =>
        matchesFilters(
          filters,
          (name) =>
            ({
              'allocation-id': [a.allocationId],
              'association-id': a.associationId ? [a.associationId] : [],
              'instance-id': a.instanceId ? [a.instanceId] : [],
              'network-interface-id': a.eniId ? [a.eniId] : [],
              'public-ip': [a.publicIp],
              domain: ['vpc'],
            })[name] ?? tagFilterValues(a.tags, name),
        ),
      );
  }

  private mustGetAddress(allocationId: string): Address {
    const address = this.addresses.get(allocationId);
    if (!address)
      throw new AwsError(
        'InvalidAllocationID.NotFound',
        `The allocation ID '${allocationId}' does not exist`,
      );
    return address;
  }

  // ---------------------------------------------------------------- SSM and IAM

  putParameter(name: string, type: Parameter['type'], value: string, overwrite: boolean): number {
    const existing = this.parameters.get(name);
    if (existing && !overwrite)
      throw new AwsError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, { name, type, value, version, lastModified: this.clock.now() });
    return version;
  }

  getParameter(name: string): Parameter {
    const parameter = this.parameters.get(name.trim());
    if (!parameter) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return parameter;
  }

  getInstanceProfile(name: string): InstanceProfile {
    const profile = this.instanceProfiles.get(name);
    if (!profile) throw new AwsError('NoSuchEntity', `Instance Profile ${name} cannot be found.`, 404);
    return profile;
  }

  getRole(name: string): Role {
    const role = this.roles.get(name);
    if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return role;
  }

  // ---------------------------------------------------------------- Backup

  listRecoveryPointsByResource(resourceArn: string): RecoveryPoint[] {
    return [...this.recoveryPoints.values()].filter((p) => p.resourceArn === resourceArn);
  }

  listRecoveryPointsByVault(
    vault: string,
    filter: { resourceArn?: string; resourceType?: string; createdBefore?: Date; createdAfter?: Date },
  ): RecoveryPoint[] {
    this.mustGetVault(vault);
    return [...this.recoveryPoints.values()].filter(
      (p) =>
        p.vault === vault &&
        (!filter.resourceArn || p.resourceArn === filter.resourceArn) &&
        (!filter.resourceType || filter.resourceType === 'EC2') &&
        (!filter.createdBefore || p.creationDate.getTime() <= filter.createdBefore.getTime()) &&
        (!filter.createdAfter || p.creationDate.getTime() >= filter.createdAfter.getTime()),
    );
  }

  describeRecoveryPoint(vault: string, arn: string): RecoveryPoint {
    this.mustGetVault(vault);
    const point = this.recoveryPoints.get(arn);
    if (!point || point.vault !== vault) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Recovery point ${arn} not found in backup vault ${vault}`,
      );
    }
    return point;
  }

  mustGetVault(name: string): BackupVault {
    const vault = this.vaults.get(name);
    if (!vault) throw new AwsError('ResourceNotFoundException', `Backup vault ${name} does not exist`);
    return vault;
  }

  startRestoreJob(req: {
    recoveryPointArn: string;
    metadata: Record<string, string>;
    iamRoleArn: string | undefined;
    idempotencyToken: string | undefined;
    resourceType: string | undefined;
    copySourceTags: boolean;
  }): RestoreJob {
    const point = this.recoveryPoints.get(req.recoveryPointArn);
    if (!point)
      throw new AwsError('ResourceNotFoundException', `Recovery point ${req.recoveryPointArn} not found`);
    if (req.resourceType && req.resourceType !== 'EC2') {
      throw new AwsError(
        'InvalidParameterValueException',
        `Resource type ${req.resourceType} does not match the recovery point (EC2)`,
      );
    }
    if (point.status !== 'COMPLETED' && point.status !== 'AVAILABLE') {
      throw new AwsError(
        'InvalidRequestException',
        `Recovery point ${point.arn} is ${point.status} and cannot be restored`,
      );
    }
    if (!req.iamRoleArn)
      throw new AwsError(
        'MissingParameterValueException',
        'IamRoleArn is required to restore an EC2 instance',
      );
    const now = this.clock.now();
    // Idempotency tokens are honoured for an hour (aws-facts A.7).
    if (req.idempotencyToken) {
      const previous = [...this.restoreJobs.values()].find(
        (j) =>
          j.idempotencyToken === req.idempotencyToken && now.getTime() - j.createdAt.getTime() < 3_600_000,
      );
      if (previous) return previous;
    }
    for (const [key, value] of Object.entries(req.metadata)) {
      if (typeof value !== 'string')
        throw new AwsError('InvalidParameterValueException', `Metadata value for ${key} must be a string`);
    }
    const fault = { ...this.faults.restoreJob, ...this.faults.restoreJobsBySource[point.instanceId] };
    const job: RestoreJob = {
      id: newRestoreJobId(),
      recoveryPointArn: point.arn,
      metadata: { ...req.metadata },
      iamRoleArn: req.iamRoleArn,
      idempotencyToken: req.idempotencyToken ?? null,
      copySourceTags: req.copySourceTags,
      createdAt: now,
      durationMs: (fault.durationMinutes ?? 10) * 60_000,
      fault,
      status: 'PENDING',
      statusMessage: null,
      completedAt: null,
      createdInstanceId: null,
      validationStatus: null,
      validationMessage: null,
    };
    this.restoreJobs.set(job.id, job);
    return job;
  }

  describeRestoreJob(id: string): RestoreJob {
    const job = this.restoreJobs.get(id);
    if (!job) throw new AwsError('ResourceNotFoundException', `Restore job ${id} not found`);
    return job;
  }

  /** Percent done as AWS reports it (a string such as "45.00%"). */
  percentDone(job: RestoreJob): string {
    if (job.status === 'COMPLETED') return '100.00%';
    if (job.status === 'PENDING') return '0.00%';
    const fraction = Math.min(0.99, (this.clock.nowMs() - job.createdAt.getTime()) / job.durationMs);
    return `${(fraction * 100).toFixed(2)}%`;
  }

  putRestoreValidationResult(id: string, status: string): void {
    const job = this.describeRestoreJob(id);
    // Unconfirmed whether AWS accepts this for jobs no restore testing plan created (aws-facts
    // A.9, H.4); failing is the safe assumption, so the workflow must tolerate it.
    if (job.status !== 'COMPLETED')
      throw new AwsError(
        'InvalidRequestException',
        `Restore job ${id} is ${job.status}; only completed jobs can be validated`,
      );
    throw new AwsError(
      'InvalidRequestException',
      `Restore job ${id} was not created by a restore testing plan; validation status ${status} cannot be set`,
    );
  }

  private advanceJob(job: RestoreJob, now: number): void {
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
    const point = mustExist(this.recoveryPoints.get(job.recoveryPointArn), job.recoveryPointArn);
    const m = job.metadata;
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
    const subnet = this.subnets.get(subnetId);
    if (!subnet) throw new Error(`The subnet ID '${subnetId}' does not exist (InvalidSubnetID.NotFound)`);
    const groupIds = (nic?.Groups as string[] | undefined) ?? parseJson<string[]>(m.SecurityGroupIds) ?? [];
    for (const g of groupIds) {
      const group = this.securityGroups.get(g);
      if (!group) throw new Error(`The security group '${g}' does not exist (InvalidGroup.NotFound)`);
      if (group.vpcId !== subnet.vpcId)
        throw new Error(
          `Security group ${g} and subnet ${subnet.id} belong to different networks (InvalidParameter)`,
        );
    }
    const eni = nic?.NetworkInterfaceId as string | undefined;
    if (eni) {
      const owner = [...this.instances.values()].find((i) => i.eniId === eni && i.state !== 'terminated');
      throw new Error(
        owner
          ? `Interface ${eni} is currently in use (InvalidNetworkInterface.InUse)`
          : `The networkInterface ID '${eni}' does not exist (InvalidNetworkInterfaceID.NotFound)`,
      );
    }
    const requestedIp = nic?.PrivateIpAddress as string | undefined;
    if (requestedIp && this.usedIps.has(requestedIp))
      throw new Error(`Address ${requestedIp} is in use. (InvalidIPAddress.InUse)`);

    const profile = this.restoreProfile(job, point);
    const keyName = point.metadata.KeyName ?? null;
    if (keyName && !this.keyPairs.has(keyName))
      throw new Error(`The key pair '${keyName}' does not exist (InvalidKeyPair.NotFound)`);
    const source = this.instances.get(point.instanceId);
    const sourceTags = job.copySourceTags ? Object.fromEntries(point.tags) : {};
    const wantsPublic = nic
      ? nic.AssociatePublicIpAddress === true || nic.AssociatePublicIpAddress === 'true'
      : subnet.mapPublicIpOnLaunch;
    const instance = this.launch({
      id: null,
      imageId: point.imageId,
      subnet,
      securityGroupIds: groupIds,
      keyName,
      instanceType: m.InstanceType ?? point.metadata.InstanceType ?? 't3.micro',
      publicIp: wantsPublic,
      privateIp: requestedIp ?? null,
      tags: sourceTags,
      disableApiTermination: m.DisableApiTermination === 'true',
      requireImdsV2: m.RequireIMDSv2 === 'true',
      authorizedKey: this.faults.ssh.rejectKey
        ? `${generateEd25519Key().public}`
        : keyName
          ? (this.keyPairs.get(keyName)?.publicKey ?? null)
          : (source?.authorizedKey ?? null),
    });
    if (profile && !job.fault.dropInstanceProfile) this.addAssociation(instance.id, profile, true);
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
    const profile = this.instanceProfiles.get(name);
    if (!profile)
      throw new Error(
        `Value (${name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
      );
    const restoreRole = [...this.roles.values()].find((r) => r.arn === job.iamRoleArn);
    const instanceRole = this.roles.get(profile.roleName);
    if (!restoreRole || !instanceRole || !restoreRole.passRoles.includes(instanceRole.name)) {
      const decoded = JSON.stringify({
        allowed: false,
        explicitDeny: false,
        matchedStatements: { items: [] },
        context: {
          principal: {
            arn: `arn:aws:sts::${this.accountId}:assumed-role/${restoreRole?.name ?? 'unknown'}/AWSBackup`,
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

  private launch(spec: {
    id: string | null;
    imageId: string;
    subnet: Subnet;
    securityGroupIds: readonly string[];
    keyName: string | null;
    instanceType: string;
    publicIp: boolean;
    privateIp: string | null;
    tags: Readonly<Record<string, string>>;
    disableApiTermination: boolean;
    requireImdsV2: boolean;
    authorizedKey: string | null;
  }): Instance {
    const now = this.clock.nowMs();
    const privateIp = spec.privateIp ?? this.nextIp(spec.subnet.cidrBlock.split('.').slice(0, 3).join('.'));
    this.usedIps.add(privateIp);
    const instance: Instance = {
      id: spec.id ?? newId('i'),
      imageId: spec.imageId,
      state: 'pending',
      stateReason: null,
      stateTransitionReason: '',
      launchTime: new Date(now),
      bootAt: now + this.faults.instanceBootSeconds * 1000,
      runningSince: null,
      keyName: spec.keyName,
      instanceType: spec.instanceType,
      subnetId: spec.subnet.id,
      vpcId: spec.subnet.vpcId,
      availabilityZone: spec.subnet.availabilityZone,
      privateIp,
      autoPublicIp: spec.publicIp ? this.nextIp(`127.${this.octet}.251`) : null,
      securityGroupIds: [...spec.securityGroupIds],
      tags: toTags(spec.tags),
      eniId: newId('eni'),
      disableApiTermination: spec.disableApiTermination,
      requireImdsV2: spec.requireImdsV2,
      hostKey: generateEd25519Key().private,
      authorizedKey: spec.authorizedKey,
    };
    this.instances.set(instance.id, instance);
    return instance;
  }

  private nextIp(prefix24: string): string {
    for (let host = 10; host < 255; host++) {
      const ip = `${prefix24}.${host}`;
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        return ip;
      }
    }
    throw new AwsError('InsufficientFreeAddressesInSubnet', `No free addresses left in ${prefix24}.0/24`);
  }

  private mustGetSubnet(id: string): Subnet {
    const subnet = this.subnets.get(id);
    if (!subnet) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    return subnet;
  }

  private mustGetProfile(name: string): InstanceProfile {
    return this.getInstanceProfile(name);
  }

  instanceArn(instanceId: string): string {
    return `arn:aws:ec2:${this.region}:${this.accountId}:instance/${instanceId}`;
  }

  private roleArn(name: string, path: string): string {
    return `arn:aws:iam::${this.accountId}:role${path}${name}`;
  }
}

// ---------------------------------------------------------------- helpers

/** EC2 filter semantics: every filter must match; values within a filter are ORed; `*` and `?` are wildcards. */
export function matchesFilters(
  filters: readonly Ec2Filter[],
  valuesOf: (name: string) => readonly string[] | undefined,
): boolean {
  return filters.every((filter) => {
    const actual = valuesOf(filter.name);
    if (actual === undefined)
      throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    return filter.values.some((pattern) => actual.some((value) => wildcard(pattern).test(value)));
  });
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** `tag:<key>` → the tag's value; `tag-key` → all keys; anything else is not a tag filter. */
export function tagFilterValues(tags: Tags, name: string): readonly string[] | undefined {
  if (name.startsWith('tag:')) {
    const value = tags.get(name.slice(4));
    return value === undefined ? [] : [value];
  }
  if (name === 'tag-key') return [...tags.keys()];
  if (name === 'tag-value') return [...tags.values()];
  return undefined;
}

function toTags(record: Readonly<Record<string, string>>): Tags {
  return new Map(Object.entries(record));
}

function mustExist<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AwsError('InternalError', `emulator invariant: ${what} vanished`, 500);
  return value;
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function hex(length: number): string {
  return createHash('sha256').update(randomUUID()).digest('hex').slice(0, length);
}

export function sha256Fingerprint(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}

let loopbackCounter = 0;
/** A second octet for this emulator's loopback range, distinct across concurrent test processes. */
function pickLoopbackOctet(): number {
  loopbackCounter += 1;
  return 20 + ((process.pid * 7 + loopbackCounter * 31) % 220);
}

/**
 * A fresh ed25519 key pair. ssh2's generator now and then (about one key in 200) emits a private
 * key its own parser rejects; such a key would break the instance's SSH server, so draw again.
 */
function generateEd25519Key(): { private: string; public: string } {
  for (;;) {
    const pair = sshUtils.generateKeyPairSync('ed25519');
    if (!(sshUtils.parseKey(pair.private) instanceof Error)) return pair;
  }
}
