/**
 * The world's network model (local/world/network-paths.ts): which connections AWS would deliver,
 * decided from route tables, security groups and where the connection comes from. The same rules
 * over real TCP and SSH are in ssh-admission.test.ts.
 */
import { SimulatedClock } from '@local/clock';
import { parseScenario, type ScenarioInput } from '@local/scenario';
import { type Instance, World } from '@local/world';
import { DEMO, demoScenario, NETWORK, networkScenario } from '@test/helpers/scenarios';

const INTERNET = '127.0.0.1';

function worldOf(input: ScenarioInput): World {
  const scenario = parseScenario(input);
  return new World(scenario, new SimulatedClock(scenario.clock.speed));
}

function withEip(world: World, instance: Instance): string {
  const address = world.ec2.addresses.allocateAddress({});
  world.ec2.addresses.associateAddress(address.allocationId, { instanceId: instance.id }, true);
  return address.publicIp;
}

describe('network paths', () => {
  const world = worldOf(networkScenario());
  const demo = world.instances.get(DEMO.instance)!;
  const priv = world.instances.get(NETWORK.privateInstance)!;
  const other = world.instances.get(NETWORK.otherInstance)!;
  const probe = world.network.sshProbe(DEMO.vpc)!;
  const otherProbe = world.network.sshProbe(NETWORK.otherVpc)!;
  const port = DEMO.sshPort;

  it('deploys one probe per VPC, inside the VPC, with the groups the CDK construct deploys', () => {
    expect(world.network.sshProbes().map((p) => p.vpcId)).toEqual([DEMO.vpc, NETWORK.otherVpc]);
    expect(probe.functionName).toBe(`ec2-restore-ssh-probe-${DEMO.vpc}`);
    const subnet = world.ec2.network.subnets.get(probe.subnetId)!;
    expect(subnet.vpcId).toBe(DEMO.vpc);
    expect(probe.sourceAddress.startsWith(subnet.cidrBlock.replace(/0\/24$/, ''))).toBe(true);
    expect(world.loopback.has(probe.sourceAddress)).toBe(true);
    expect(probe.sourceAddress).not.toBe(otherProbe.sourceAddress);
    const group = world.ec2.network.securityGroups.get(probe.groupId)!;
    expect(group).toMatchObject({ vpcId: DEMO.vpc, ingress: [] });
    expect(group.egress).toEqual([
      expect.objectContaining({ protocol: 'tcp', fromPort: port, toPort: port, cidrIp: '0.0.0.0/0' }),
    ]);
    const ingress = world.ec2.network.securityGroups.get(probe.ingressGroupId)!;
    expect(ingress.ingress).toEqual([
      expect.objectContaining({
        protocol: 'tcp',
        fromPort: port,
        toPort: port,
        sourceGroupId: probe.groupId,
      }),
    ]);
  });

  it('has no probe where the orchestrator deploys none', () => {
    const noProbe = worldOf(
      networkScenario({ vpcs: [{ id: DEMO.vpc }, { id: NETWORK.otherVpc, sshProbe: false }] }),
    );
    expect(noProbe.network.sshProbe(NETWORK.otherVpc)).toBeUndefined();
    expect(noProbe.network.sshProbe(DEMO.vpc)).toBeDefined();
  });

  it('tells public from private subnets by their route tables, and a subnet without one is private', () => {
    const net = world.ec2.network;
    expect(net.routesToInternetGateway(net.mustGetSubnet(DEMO.subnet))).toBe(true);
    expect(net.routesToInternetGateway(net.mustGetSubnet(NETWORK.privateSubnet))).toBe(false);
    const bare = worldOf(demoScenario({ routeTables: [] }));
    expect(bare.ec2.network.routesToInternetGateway(bare.ec2.network.mustGetSubnet(DEMO.subnet))).toBe(false);
    expect(
      net
        .describeRouteTables([], [{ name: 'association.subnet-id', values: [NETWORK.privateSubnet] }])
        .map((t) => t.id),
    ).toEqual([NETWORK.privateRouteTable]);
    expect(net.describeRouteTables([], [{ name: 'association.subnet-id', values: [DEMO.subnet] }])).toEqual(
      [],
    );
    expect(
      net
        .describeRouteTables(
          [],
          [
            { name: 'vpc-id', values: [DEMO.vpc] },
            { name: 'association.main', values: ['true'] },
          ],
        )
        .map((t) => t.id),
    ).toEqual([DEMO.routeTable]);
  });

  it('admits the probe to a private address by a rule naming its group, and by CIDR', () => {
    expect(world.network.explain(probe.sourceAddress, priv.privateIp, port, priv)).toMatch(
      /no group .* allows TCP/,
    );
    world.ec2.interfaces.setGroups(priv, [NETWORK.corporateGroup, probe.ingressGroupId]);
    expect(world.network.explain(probe.sourceAddress, priv.privateIp, port, priv)).toBeNull();
    // The demo group allows 0.0.0.0/0, which contains the probe's address.
    expect(world.network.explain(probe.sourceAddress, demo.privateIp, port, demo)).toBeNull();
    world.ec2.interfaces.setGroups(priv, [NETWORK.corporateGroup]);
    expect(world.network.admits(probe.sourceAddress, priv.privateIp, port, priv)).toBe(false);
  });

  it('refuses the probe of another VPC, and the other port', () => {
    expect(world.network.explain(otherProbe.sourceAddress, demo.privateIp, port, demo)).toMatch(/no route/);
    expect(world.network.explain(probe.sourceAddress, demo.privateIp, 22, demo)).toMatch(
      /does not allow TCP 22 out/,
    );
  });

  it('admits the internet only to a public address in a subnet routed to an internet gateway, by CIDR', () => {
    expect(world.network.explain(INTERNET, demo.privateIp, port, demo)).toMatch(/private address/);
    const eip = withEip(world, demo);
    expect(world.network.explain(INTERNET, eip, port, demo)).toBeNull();
    // A group-sourced rule matches private addresses only: the probe's ingress group does not open the EIP.
    const eipPriv = withEip(world, priv);
    world.ec2.interfaces.setGroups(priv, [probe.ingressGroupId]);
    expect(world.network.explain(probe.sourceAddress, eipPriv, port, priv)).toMatch(/no group/);
    world.ec2.interfaces.setGroups(priv, [DEMO.securityGroup]);
    expect(world.network.explain(INTERNET, eipPriv, port, priv)).toMatch(/no route to an internet gateway/);
    world.ec2.interfaces.setGroups(demo, [NETWORK.corporateGroup]);
    expect(world.network.explain(INTERNET, eip, port, demo)).toMatch(
      /no group .* allows TCP 2222 from 127\.0\.0\.1/,
    );
    world.ec2.interfaces.setGroups(demo, [DEMO.securityGroup]);
    expect(other.vpcId).toBe(NETWORK.otherVpc);
  });

  it('refuses groups of another VPC, unknown groups and none, as EC2 does', () => {
    expect(() => world.ec2.interfaces.setGroups(demo, [NETWORK.otherGroup])).toThrow(
      /belong to different networks/,
    );
    expect(() => world.ec2.interfaces.setGroups(demo, [])).toThrow(/groupId/);
    expect(() => world.ec2.interfaces.setGroups(demo, ['sg-0de00000000000009'])).toThrow(/does not exist/);
  });

  it('rejects scenario rules and route tables that do not resolve', () => {
    const bad = networkScenario({
      securityGroups: [
        {
          id: DEMO.securityGroup,
          name: 'x',
          vpcId: DEMO.vpc,
          ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, sourceGroupId: 'sg-0de0000000000000f' }],
        },
        {
          id: NETWORK.corporateGroup,
          name: 'y',
          vpcId: DEMO.vpc,
          ingress: [{ protocol: 'tcp', cidrIp: '10.0.0.0/8' } as never],
        },
      ],
      routeTables: [{ id: DEMO.routeTable, vpcId: DEMO.vpc, subnetIds: [NETWORK.otherSubnet], routes: [] }],
    });
    expect(() => parseScenario(bad)).toThrow(/tcp rule needs fromPort and toPort/);
    const unresolved = networkScenario({
      securityGroups: [
        {
          id: DEMO.securityGroup,
          name: 'x',
          vpcId: DEMO.vpc,
          ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, sourceGroupId: 'sg-0de0000000000000f' }],
        },
        { id: NETWORK.corporateGroup, name: 'y', vpcId: DEMO.vpc },
        { id: NETWORK.otherGroup, name: 'z', vpcId: NETWORK.otherVpc },
      ],
      routeTables: [{ id: DEMO.routeTable, vpcId: DEMO.vpc, subnetIds: [NETWORK.otherSubnet], routes: [] }],
    });
    expect(() => parseScenario(unresolved)).toThrow(
      /sourceGroupId: no security group sg-0de0000000000000f[\s\S]*subnet subnet-0de00000000000004 is in vpc-0de00000000000002/,
    );
  });
});
