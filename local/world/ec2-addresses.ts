/** Elastic IPs: allocation under the account's quota, association with an instance's ENI, release. */
import { AwsError } from '../aws-error';
import { newId } from '../ids';
import { type Ec2Filter, matchesFilters, tagFilterValues, toTags } from './ec2-filters';
import type { Address, AddressStore, Instance, WorldContext } from './types';

const DETACHED = { associationId: null, instanceId: null, eniId: null, privateIp: null } as const;

export class ElasticIps implements AddressStore {
  readonly addresses = new Map<string, Address>();

  constructor(private readonly world: WorldContext) {}

  allocateAddress(tags: Readonly<Record<string, string>>): Address {
    if (this.addresses.size >= this.world.faults.elasticIpQuota) {
      throw new AwsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
    }
    const { loopback } = this.world;
    const address: Address = {
      allocationId: newId('eipalloc'),
      publicIp: loopback.next(loopback.elasticPrefix),
      ...DETACHED,
      tags: toTags(tags),
    };
    this.addresses.set(address.allocationId, address);
    return address;
  }

  /**
   * AllocateAddress when the emulator guards its addresses: an address another process holds is
   * skipped (and never handed out), so an Elastic IP always reaches this emulator's instance.
   */
  async allocateBindableAddress(tags: Readonly<Record<string, string>>): Promise<Address> {
    const guard = this.world.addressGuard;
    for (;;) {
      const address = this.allocateAddress(tags);
      const problem = guard ? await guard(address.publicIp) : null;
      if (problem === null) return address;
      this.addresses.delete(address.allocationId);
      this.world.loopback.refuse(address.publicIp);
      this.world.log(`Elastic IP ${address.publicIp} skipped: ${problem}`);
    }
  }

  associateAddress(
    allocationId: string,
    target: { instanceId?: string; eniId?: string },
    allowReassociation: boolean,
  ): Address {
    const address = this.mustGet(allocationId);
    if (Boolean(target.instanceId) === Boolean(target.eniId)) {
      throw new AwsError(
        'InvalidParameterCombination',
        'Specify either an instance ID or a network interface ID, not both',
      );
    }
    const instances = this.world.ec2.instances;
    const instance = target.instanceId
      ? instances.mustGet(target.instanceId)
      : [...instances.instances.values()].find((i) => i.eniId === target.eniId);
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
    // aws-facts B.1: an Elastic IP needs the VPC's internet gateway.
    if (!this.world.ec2.network.hasInternetGateway(instance.vpcId)) {
      throw new AwsError(
        'Gateway.NotAttached',
        `Network ${instance.vpcId} is not attached to any internet gateway`,
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
    this.detachFrom(instance.id);
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
    Object.assign(address, DETACHED);
  }

  releaseAddress(allocationId: string): void {
    const address = this.mustGet(allocationId);
    if (address.associationId)
      throw new AwsError('InvalidIPAddress.InUse', `Address ${address.publicIp} is in use.`);
    this.addresses.delete(allocationId);
    this.world.loopback.release(address.publicIp);
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

  /** The instance's public addresses: its Elastic IPs, else its auto-assigned one. */
  publicIpsOf(instance: Instance): string[] {
    const eips = [...this.addresses.values()]
      .filter((a) => a.instanceId === instance.id)
      .map((a) => a.publicIp);
    return eips.length > 0 ? eips : instance.autoPublicIp ? [instance.autoPublicIp] : [];
  }

  /** Every Elastic IP on the instance goes back to unassociated. */
  detachFrom(instanceId: string): void {
    for (const a of this.addresses.values()) if (a.instanceId === instanceId) Object.assign(a, DETACHED);
  }

  private mustGet(allocationId: string): Address {
    const address = this.addresses.get(allocationId);
    if (!address)
      throw new AwsError(
        'InvalidAllocationID.NotFound',
        `The allocation ID '${allocationId}' does not exist`,
      );
    return address;
  }
}
