/**
 * Instances' primary network interfaces: DescribeNetworkInterfaces, and the security groups on an
 * interface, which ModifyNetworkInterfaceAttribute (`SecurityGroupId.N`) and ModifyInstanceAttribute
 * (`GroupId.N`) replace as a whole (docs/aws-facts.md I.2). The emulated network admits connections
 * by these groups, so a change takes effect on the next connection.
 */
import { AwsError } from '../aws-error';
import { type Ec2Filter, matchesFilters, tagFilterValues } from './ec2-filters';
import type { Ec2Network } from './ec2-network';
import type { Instance } from './types';

/** AWS's default quota of groups per network interface (adjustable to 16; aws-facts I.2). */
export const GROUPS_PER_INTERFACE = 5;

export interface InterfaceContext {
  readonly network: Ec2Network;
  instances(): Iterable<Instance>;
  publicIpsOf(instance: Instance): readonly string[];
}

export class Ec2Interfaces {
  constructor(private readonly context: InterfaceContext) {}

  /** The instances whose (primary) interfaces the ids and filters select; terminated ones have none. */
  describeNetworkInterfaces(ids: readonly string[], filters: readonly Ec2Filter[]): Instance[] {
    const attached = [...this.context.instances()].filter((i) => i.state !== 'terminated');
    const missing = ids.find((id) => !attached.some((i) => i.eniId === id));
    if (missing)
      throw new AwsError(
        'InvalidNetworkInterfaceID.NotFound',
        `The networkInterface ID '${missing}' does not exist`,
      );
    return attached
      .filter((i) => ids.length === 0 || ids.includes(i.eniId))
      .filter((i) =>
        matchesFilters(
          filters,
          (name) =>
            ({
              'network-interface-id': [i.eniId],
              'attachment.instance-id': [i.id],
              'attachment.status': ['attached'],
              'subnet-id': [i.subnetId],
              'vpc-id': [i.vpcId],
              'availability-zone': [i.availabilityZone],
              'private-ip-address': [i.privateIp],
              'addresses.private-ip-address': [i.privateIp],
              'association.public-ip': [...this.context.publicIpsOf(i)],
              'group-id': [...i.securityGroupIds],
              'group-name': i.securityGroupIds.map(
                (g) => this.context.network.securityGroups.get(g)?.name ?? '',
              ),
              status: ['in-use'],
              'interface-type': ['interface'],
            })[name] ?? tagFilterValues(new Map(), name),
        ),
      );
  }

  mustGetByEni(eniId: string): Instance {
    const instance = [...this.context.instances()].find((i) => i.eniId === eniId && i.state !== 'terminated');
    if (!instance)
      throw new AwsError(
        'InvalidNetworkInterfaceID.NotFound',
        `The networkInterface ID '${eniId}' does not exist`,
      );
    return instance;
  }

  /** Replaces the interface's groups with `groupIds` (all of them, in the interface's VPC). */
  setGroups(instance: Instance, groupIds: readonly string[]): void {
    if (groupIds.length === 0)
      throw new AwsError('MissingParameter', 'The request must contain the parameter groupId');
    const unique = [...new Set(groupIds)];
    for (const id of unique) {
      if (!/^sg-[0-9a-f]{8,17}$/.test(id))
        throw new AwsError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
      const group = this.context.network.securityGroups.get(id);
      if (!group) throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      if (group.vpcId !== instance.vpcId) {
        throw new AwsError(
          'InvalidParameter',
          `Security group ${id} and subnet ${instance.subnetId} belong to different networks.`,
        );
      }
    }
    if (unique.length > GROUPS_PER_INTERFACE) {
      throw new AwsError(
        'SecurityGroupsPerInterfaceLimitExceeded',
        `The maximum number of security groups per interface has been reached (${GROUPS_PER_INTERFACE}).`,
      );
    }
    if (instance.state === 'terminated' || instance.state === 'shutting-down') {
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instance.id}' is not in a valid state for this operation.`,
      );
    }
    instance.securityGroupIds = unique;
  }
}
