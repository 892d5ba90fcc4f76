/** EC2's network and key pairs as the scenario lays them out: VPCs, subnets, security groups, key pairs. */
import { AwsError } from '../aws-error';
import { type Ec2Filter, matchesFilters, mustExist, type Tags, tagFilterValues } from './ec2-filters';
import type { LoopbackAddresses } from './loopback-addresses';

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

/** The /24 a subnet's addresses come from, as `127.o.n`. */
export function subnetPrefix(subnet: Subnet): string {
  return subnet.cidrBlock.split('.').slice(0, 3).join('.');
}

export class Ec2Network {
  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  /** By key name, as EC2 and RunInstances refer to them. */
  readonly keyPairs = new Map<string, KeyPair>();

  constructor(private readonly addresses: LoopbackAddresses) {}

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
    return 251 - this.addresses.countIn(subnetPrefix(subnet));
  }

  mustGetSubnet(id: string): Subnet {
    const subnet = this.subnets.get(id);
    if (!subnet) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    return subnet;
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
}
