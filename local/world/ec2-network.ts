/**
 * EC2's network and key pairs as the scenario lays them out: VPCs, subnets, route tables, security
 * groups (with their rules), key pairs.
 */
import { AwsError } from '../aws-error';
import { type Ec2Filter, matchesFilters, mustExist, type Tags, tagFilterValues } from './ec2-filters';
import type { LoopbackAddresses } from './loopback-addresses';

export interface Vpc {
  readonly id: string;
  readonly cidrBlock: string;
  /** The orchestrator has an in-VPC SSH probe here (scenario `vpcs[].sshProbe`). */
  readonly sshProbe: boolean;
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
/** One security-group rule: `-1` is every protocol and port; exactly one of cidrIp and sourceGroupId. */
export interface SecurityGroupRule {
  readonly protocol: 'tcp' | '-1';
  readonly fromPort?: number | undefined;
  readonly toPort?: number | undefined;
  readonly cidrIp?: string | undefined;
  readonly sourceGroupId?: string | undefined;
  readonly description?: string | undefined;
}
export interface SecurityGroup {
  readonly id: string;
  readonly name: string;
  readonly vpcId: string;
  readonly description: string;
  readonly ingress: readonly SecurityGroupRule[];
  readonly egress: readonly SecurityGroupRule[];
  readonly tags: Tags;
}
export interface Route {
  readonly destinationCidrBlock: string;
  readonly gatewayId?: string | undefined;
  readonly natGatewayId?: string | undefined;
}
export interface RouteTable {
  readonly id: string;
  readonly vpcId: string;
  readonly main: boolean;
  readonly subnetIds: readonly string[];
  readonly routes: readonly Route[];
  readonly tags: Tags;
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

const toInternetGateway = (route: Route): boolean => route.gatewayId?.startsWith('igw-') === true;

export class Ec2Network {
  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  readonly routeTables = new Map<string, RouteTable>();
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
        (name) =>
          ({
            'group-id': [g.id],
            'group-name': [g.name],
            'vpc-id': [g.vpcId],
            description: [g.description],
            'ip-permission.cidr': g.ingress.flatMap((r) => (r.cidrIp ? [r.cidrIp] : [])),
            'ip-permission.group-id': g.ingress.flatMap((r) => (r.sourceGroupId ? [r.sourceGroupId] : [])),
            'ip-permission.protocol': g.ingress.map((r) => r.protocol),
            'ip-permission.from-port': g.ingress.flatMap((r) =>
              r.fromPort === undefined ? [] : [String(r.fromPort)],
            ),
            'ip-permission.to-port': g.ingress.flatMap((r) =>
              r.toPort === undefined ? [] : [String(r.toPort)],
            ),
          })[name] ?? tagFilterValues(g.tags, name),
      ),
    );
  }

  describeRouteTables(ids: readonly string[], filters: readonly Ec2Filter[]): RouteTable[] {
    const missing = ids.find((id) => !this.routeTables.has(id));
    if (missing)
      throw new AwsError('InvalidRouteTableID.NotFound', `The routeTable ID '${missing}' does not exist`);
    const list =
      ids.length > 0
        ? ids.map((id) => mustExist(this.routeTables.get(id), id))
        : [...this.routeTables.values()];
    return list.filter((t) =>
      matchesFilters(
        filters,
        (name) =>
          ({
            'route-table-id': [t.id],
            'vpc-id': [t.vpcId],
            'association.subnet-id': [...t.subnetIds],
            'association.main': [String(t.main)],
            'association.route-table-id': t.main || t.subnetIds.length > 0 ? [t.id] : [],
            'route.destination-cidr-block': t.routes.map((r) => r.destinationCidrBlock),
            'route.gateway-id': t.routes.flatMap((r) => (r.gatewayId ? [r.gatewayId] : [])),
            'route.nat-gateway-id': t.routes.flatMap((r) => (r.natGatewayId ? [r.natGatewayId] : [])),
            'route.state': t.routes.length > 0 ? ['active'] : [],
          })[name] ?? tagFilterValues(t.tags, name),
      ),
    );
  }

  /** The table a subnet uses: the one associated with it, else its VPC's main table, else none. */
  routeTableOf(subnet: Subnet): RouteTable | undefined {
    const tables = [...this.routeTables.values()].filter((t) => t.vpcId === subnet.vpcId);
    return tables.find((t) => t.subnetIds.includes(subnet.id)) ?? tables.find((t) => t.main);
  }

  /**
   * A public subnet: its table sends 0.0.0.0/0 to an internet gateway (aws-facts I.3). A subnet
   * without a table, or whose default route is a NAT gateway, is private.
   */
  routesToInternetGateway(subnet: Subnet): boolean {
    return (
      this.routeTableOf(subnet)?.routes.some(
        (r) => r.destinationCidrBlock === '0.0.0.0/0' && toInternetGateway(r),
      ) ?? false
    );
  }

  /**
   * Whether an internet gateway is attached to the VPC. A scenario names gateways only as route
   * targets, so a VPC has one when some table of it routes to an `igw-` (one attached but routed
   * nowhere is not modelled: refused, which fails safe).
   */
  hasInternetGateway(vpcId: string): boolean {
    return [...this.routeTables.values()].some((t) => t.vpcId === vpcId && t.routes.some(toInternetGateway));
  }

  mustGetSecurityGroup(id: string): SecurityGroup {
    const group = this.securityGroups.get(id);
    if (!group) throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    return group;
  }

  describeVpcs(ids: readonly string[], filters: readonly Ec2Filter[]): Vpc[] {
    const missing = ids.find((id) => !this.vpcs.has(id));
    if (missing) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${missing}' does not exist`);
    const list = ids.length > 0 ? ids.map((id) => mustExist(this.vpcs.get(id), id)) : [...this.vpcs.values()];
    return list.filter((v) =>
      matchesFilters(
        filters,
        (name) => ({ 'vpc-id': [v.id], 'cidr-block': [v.cidrBlock] })[name] ?? tagFilterValues(v.tags, name),
      ),
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
