/**
 * Is a subnet public? Only its route table says so: a route 0.0.0.0/0 to an internet gateway
 * (docs/aws-facts.md I.3). `MapPublicIpOnLaunch` only decides whether instances get an address.
 */
import { DescribeRouteTablesCommand, type EC2Client, type RouteTable } from '@aws-sdk/client-ec2';

export interface SubnetRoute {
  /** The table that routes the subnet; null when the VPC has none we can see (treated as private). */
  readonly routeTableId: string | null;
  /** True when the subnet has its own association; false for the VPC's main table. */
  readonly explicit: boolean;
  /** The igw-… of an active default route, or null: no direct route to the internet. */
  readonly internetGatewayId: string | null;
  /** What the default route points at instead (nat-…, tgw-…, …), for messages. */
  readonly defaultRouteTarget: string | null;
}

/** The route table of a subnet: its explicit association, else the VPC's main table (I.3). */
export async function subnetRoute(ec2: EC2Client, subnetId: string, vpcId: string): Promise<SubnetRoute> {
  const explicit = await describe(ec2, [{ Name: 'association.subnet-id', Values: [subnetId] }]);
  const table =
    explicit[0] ??
    (
      await describe(ec2, [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ])
    )[0];
  if (!table)
    return { routeTableId: null, explicit: false, internetGatewayId: null, defaultRouteTarget: null };
  const defaultRoute = (table.Routes ?? []).find(
    (r) => r.DestinationCidrBlock === '0.0.0.0/0' && (r.State === undefined || r.State === 'active'),
  );
  const target =
    defaultRoute?.GatewayId ??
    defaultRoute?.NatGatewayId ??
    defaultRoute?.TransitGatewayId ??
    defaultRoute?.NetworkInterfaceId ??
    defaultRoute?.VpcPeeringConnectionId ??
    null;
  return {
    routeTableId: table.RouteTableId ?? null,
    explicit: explicit.length > 0,
    internetGatewayId: target?.startsWith('igw-') ? target : null,
    defaultRouteTarget: target,
  };
}

async function describe(
  ec2: EC2Client,
  Filters: { Name: string; Values: string[] }[],
): Promise<RouteTable[]> {
  const result = await ec2.send(new DescribeRouteTablesCommand({ Filters }));
  return result?.RouteTables ?? [];
}

/** "route table rtb-1 (main) sends 0.0.0.0/0 to nat-1", for reasons and errors. */
export function describeRoute(subnetId: string, route: SubnetRoute): string {
  if (!route.routeTableId) return `no route table of subnet ${subnetId} could be found`;
  const table = `route table ${route.routeTableId}${route.explicit ? '' : ' (the VPC’s main table)'}`;
  return route.defaultRouteTarget
    ? `${table} sends 0.0.0.0/0 to ${route.defaultRouteTarget}`
    : `${table} has no 0.0.0.0/0 route`;
}
