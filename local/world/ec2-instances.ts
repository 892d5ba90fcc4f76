/** EC2 instances: launch, state over simulated time, DescribeInstances' filters, termination. */
import { AwsError } from '../aws-error';
import { newId } from '../ids';
import { type Ec2Filter, matchesFilters, mustExist, tagFilterValues, toTags } from './ec2-filters';
import { subnetPrefix } from './ec2-network';
import { generateEd25519Key } from './ssh-keys';
import type { Instance, InstanceStateName, InstanceStore, LaunchSpec, WorldContext } from './types';

export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export class Ec2Instances implements InstanceStore {
  readonly instances = new Map<string, Instance>();

  constructor(private readonly world: WorldContext) {}

  launch(spec: LaunchSpec): Instance {
    const { clock, faults, loopback } = this.world;
    const now = clock.nowMs();
    const privateIp = spec.privateIp ?? loopback.next(subnetPrefix(spec.subnet));
    loopback.take(privateIp);
    const instance: Instance = {
      id: spec.id ?? newId('i'),
      imageId: spec.imageId,
      state: 'pending',
      stateReason: null,
      stateTransitionReason: '',
      launchTime: new Date(now),
      bootAt: now + faults.instanceBootSeconds * 1000,
      runningSince: null,
      keyName: spec.keyName,
      instanceType: spec.instanceType,
      subnetId: spec.subnet.id,
      vpcId: spec.subnet.vpcId,
      availabilityZone: spec.subnet.availabilityZone,
      privateIp,
      autoPublicIp: spec.publicIp ? loopback.next(loopback.autoPublicPrefix) : null,
      securityGroupIds: [...spec.securityGroupIds],
      tags: toTags(spec.tags),
      eniId: newId('eni'),
      disableApiTermination: spec.disableApiTermination,
      requireImdsV2: spec.requireImdsV2,
      hostKey: generateEd25519Key().private,
      authorizedKey: spec.authorizedKey,
      addressesBound: this.world.addressGuard === undefined,
    };
    this.instances.set(instance.id, instance);
    return instance;
  }

  /** Pending instances boot, shutting-down ones terminate, stopping ones stop. */
  tick(now: number): void {
    for (const instance of this.instances.values()) {
      if (instance.state === 'pending' && now >= instance.bootAt && instance.addressesBound) {
        instance.state = 'running';
        instance.runningSince = instance.bootAt;
      } else if (instance.state === 'shutting-down' && now >= instance.bootAt) {
        instance.state = 'terminated';
      } else if (instance.state === 'stopping' && now >= instance.bootAt) {
        instance.state = 'stopped';
      }
    }
  }

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
    return selected.filter((i) => matchesFilters(filters, (name) => this.filterValues(i, name)));
  }

  /** The one instance `id` names, with DescribeInstances' errors when it does not exist. */
  mustGet(id: string): Instance {
    return mustExist(this.describeInstances([id], [])[0], id);
  }

  private filterValues(i: Instance, name: string): readonly string[] | undefined {
    const association = this.world.ec2.associations.active(i.id);
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
        return this.world.ec2.addresses.publicIpsOf(i);
      case 'iam-instance-profile.arn':
        return association ? [association.profileArn] : [];
      default:
        return tagFilterValues(i.tags, name);
    }
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
    const { clock } = this.world;
    return instances.map((i) => {
      const previous = i.state;
      if (i.state !== 'terminated' && i.state !== 'shutting-down') {
        i.state = 'shutting-down';
        i.bootAt = clock.nowMs() + 10_000;
        i.stateTransitionReason = `User initiated (${clock.now().toISOString()})`;
        i.stateReason = {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        };
        this.releaseResources(i);
      }
      return { id: i.id, previous, current: i.state };
    });
  }

  /**
   * The emulator cannot serve the instance (another process holds one of its addresses): it ends
   * as a launch EC2 could not complete does, terminated with a Server.InternalError reason.
   */
  failOnHost(instance: Instance, cause: string): void {
    if (instance.state === 'terminated') return;
    instance.state = 'terminated';
    instance.stateTransitionReason = 'Server.InternalError';
    instance.stateReason = { code: 'Server.InternalError', message: `Server.InternalError: ${cause}` };
    this.releaseResources(instance);
  }

  /** What AWS does on termination: Elastic IPs disassociate, profile associations end. */
  releaseResources(i: Instance): void {
    this.world.ec2.addresses.detachFrom(i.id);
    this.world.ec2.associations.endFor(i.id);
    i.autoPublicIp = null;
  }

  setDisableApiTermination(instanceId: string, value: boolean): void {
    this.mustGet(instanceId).disableApiTermination = value;
  }

  instanceArn(instanceId: string): string {
    return `arn:aws:ec2:${this.world.region}:${this.world.accountId}:instance/${instanceId}`;
  }
}
