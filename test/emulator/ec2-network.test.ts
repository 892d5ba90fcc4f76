/**
 * The EC2 calls issue 12's workflow reads and makes, over the real SDK client: route tables,
 * security-group rules (CIDR and source-group), network interfaces and their groups, console
 * output with the instance's host-key fingerprints. Wire elements are checked against moto in
 * ec2-moto-conformance.test.ts.
 */

import { createHash } from 'node:crypto';
import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { ScenarioInput } from '@local/scenario';
import { Ec2Adapter } from '@local/services/ec2';
import { clientConfig, type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { DEMO, NETWORK, networkScenario } from '@test/helpers/scenarios';
import { utils } from 'ssh2';

const doors: FrontDoor[] = [];
afterAll(() => Promise.all(doors.map((d) => d.stop())));

async function start(input: ScenarioInput = networkScenario()): Promise<{ door: FrontDoor; ec2: EC2Client }> {
  const door = await startFrontDoor(input, (world) => ({ ec2: new Ec2Adapter(world) }));
  doors.push(door);
  return { door, ec2: new EC2Client(clientConfig(door.endpoint)) };
}

function fingerprintOf(privateKey: string): string {
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  return `SHA256:${createHash('sha256').update(parsed.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}

describe('EC2 adapter: the network the SSH check depends on', () => {
  it("finds a subnet's route table, or the main one, and tells public (igw) from private", async () => {
    const { ec2 } = await start();

    const explicit = await ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'association.subnet-id', Values: [NETWORK.privateSubnet] }],
      }),
    );
    const implicit = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [DEMO.subnet] }] }),
    );
    const main = await ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [DEMO.vpc] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );

    expect(explicit.RouteTables?.map((t) => t.RouteTableId)).toEqual([NETWORK.privateRouteTable]);
    expect(explicit.RouteTables?.[0]?.Associations).toEqual([
      expect.objectContaining({
        SubnetId: NETWORK.privateSubnet,
        Main: false,
        AssociationState: { State: 'associated' },
      }),
    ]);
    expect(explicit.RouteTables?.[0]?.Routes?.some((r) => r.GatewayId?.startsWith('igw-'))).toBe(false);
    expect(implicit.RouteTables).toEqual([]);
    expect(main.RouteTables?.[0]).toMatchObject({
      RouteTableId: DEMO.routeTable,
      Associations: [expect.objectContaining({ Main: true })],
      Routes: expect.arrayContaining([
        expect.objectContaining({ GatewayId: 'local', State: 'active' }),
        expect.objectContaining({
          DestinationCidrBlock: '0.0.0.0/0',
          GatewayId: DEMO.internetGateway,
          State: 'active',
        }),
      ]),
    });
  });

  it('reports VPC and subnet ranges, and group rules with CIDR and source-group sources', async () => {
    const { door, ec2 } = await start();
    const probe = door.world.network.sshProbe(DEMO.vpc)!;

    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [DEMO.vpc] }));
    const subnets = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [NETWORK.privateSubnet] }));
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({
        GroupIds: [NETWORK.corporateGroup, probe.ingressGroupId, probe.groupId],
      }),
    );

    expect(vpcs.Vpcs?.[0]?.CidrBlock).toBe(`127.${door.world.loopback.octet}.0.0/16`);
    expect(subnets.Subnets?.[0]?.CidrBlock).toMatch(/^127\.\d+\.\d+\.0\/24$/);
    const [corporate, ingress, own] = groups.SecurityGroups ?? [];
    expect(corporate?.IpPermissions).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: DEMO.sshPort,
        ToPort: DEMO.sshPort,
        IpRanges: [{ CidrIp: '10.0.0.0/8' }],
        UserIdGroupPairs: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
      },
    ]);
    expect(ingress?.IpPermissions?.[0]?.UserIdGroupPairs).toEqual([
      expect.objectContaining({ GroupId: probe.groupId, UserId: '123456789012' }),
    ]);
    expect(own?.IpPermissions).toEqual([]);
    expect(own?.IpPermissionsEgress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: DEMO.sshPort,
        IpRanges: [expect.objectContaining({ CidrIp: '0.0.0.0/0' })],
      }),
    ]);
    const byRule = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: 'ip-permission.group-id', Values: [probe.groupId] }],
      }),
    );
    expect(byRule.SecurityGroups?.map((g) => g.GroupId)).toEqual([probe.ingressGroupId]);
  });

  it("replaces an interface's groups (both calls) and DescribeInstances shows them at once", async () => {
    const { door, ec2 } = await start();
    const probe = door.world.network.sshProbe(DEMO.vpc)!;
    const instance = door.world.instances.get(NETWORK.privateInstance)!;

    const [eni] =
      (
        await ec2.send(
          new DescribeNetworkInterfacesCommand({
            Filters: [{ Name: 'attachment.instance-id', Values: [instance.id] }],
          }),
        )
      ).NetworkInterfaces ?? [];
    expect(eni).toMatchObject({
      NetworkInterfaceId: instance.eniId,
      PrivateIpAddress: instance.privateIp,
      Attachment: expect.objectContaining({ InstanceId: instance.id }),
      Groups: [{ GroupId: NETWORK.corporateGroup, GroupName: 'ssh-corporate' }],
    });
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: instance.eniId,
        Groups: [NETWORK.corporateGroup, probe.ingressGroupId],
      }),
    );
    const after = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance.id] }));
    const described = after.Reservations?.[0]?.Instances?.[0];
    expect(described?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId)).toEqual([
      NETWORK.corporateGroup,
      probe.ingressGroupId,
    ]);
    expect(described?.SecurityGroups?.map((g) => g.GroupId)).toEqual([
      NETWORK.corporateGroup,
      probe.ingressGroupId,
    ]);
    expect(described?.PrivateIpAddress).toBe(instance.privateIp);
    expect(door.world.network.admits(probe.sourceAddress, instance.privateIp, DEMO.sshPort, instance)).toBe(
      true,
    );

    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: instance.id, Groups: [NETWORK.corporateGroup] }),
    );
    expect(instance.securityGroupIds).toEqual([NETWORK.corporateGroup]);
    expect(door.world.network.admits(probe.sourceAddress, instance.privateIp, DEMO.sshPort, instance)).toBe(
      false,
    );
    await expect(
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instance.id, Groups: [NETWORK.otherGroup] })),
    ).rejects.toMatchObject({
      name: 'InvalidParameter',
      message: expect.stringMatching(/different networks/),
    });
    await expect(
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: 'eni-0123456789abcdef0',
          Groups: [DEMO.securityGroup],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidNetworkInterfaceID.NotFound' });
  });

  it('prints the host key fingerprints on the console once the sshd is up, as cloud-init does', async () => {
    const { door, ec2 } = await start();
    const instance = door.world.instances.get(DEMO.instance)!;

    const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instance.id }));
    const text = Buffer.from(out.Output ?? '', 'base64').toString('utf8');

    expect(out.Timestamp).toBeInstanceOf(Date);
    expect(text).toMatch(
      /-----BEGIN SSH HOST KEY FINGERPRINTS-----\n.*256 (SHA256:[A-Za-z0-9+/]{43}) root@\S+ \(ED25519\)\n.*-----END SSH HOST KEY FINGERPRINTS-----/,
    );
    expect(/(SHA256:[A-Za-z0-9+/]{43})/.exec(text)?.[1]).toBe(fingerprintOf(instance.hostKey));
  });

  it('posts nothing before the sshd is up, and nothing ever (or another key) under the faults', async () => {
    const fresh = await start(
      networkScenario({ faults: { ssh: { bootDelaySeconds: 3000 } }, clock: { speed: 1 } }),
    );
    const launched = fresh.door.world.instances.get(DEMO.instance)!;
    launched.runningSince = fresh.door.clock.nowMs();
    const early = await fresh.ec2.send(new GetConsoleOutputCommand({ InstanceId: launched.id }));
    expect(early.Output).toBeUndefined();

    const none = await start(networkScenario({ faults: { consoleOutput: 'none' } }));
    const silent = await none.ec2.send(new GetConsoleOutputCommand({ InstanceId: DEMO.instance }));
    expect(silent).toMatchObject({ InstanceId: DEMO.instance });
    expect(silent.Output).toBeUndefined();

    const mismatch = await start(networkScenario({ faults: { consoleOutput: 'mismatch' } }));
    const instance = mismatch.door.world.instances.get(DEMO.instance)!;
    const read = async () =>
      /(SHA256:[A-Za-z0-9+/]{43})/.exec(
        Buffer.from(
          (await mismatch.ec2.send(new GetConsoleOutputCommand({ InstanceId: instance.id }))).Output ?? '',
          'base64',
        ).toString(),
      )?.[1];
    const shown = await read();
    expect(shown).toMatch(/^SHA256:/);
    expect(shown).not.toBe(fingerprintOf(instance.hostKey));
    expect(await read()).toBe(shown);
  });
});
