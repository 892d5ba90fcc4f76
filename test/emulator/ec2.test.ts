/**
 * The EC2 adapter on the wire: the unmodified SDK v3 client and the AWS CLI against the
 * emulator's front door, for every operation the workflow and its tools use, errors included.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateIamInstanceProfileCommand,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DisassociateAddressCommand,
  DisassociateIamInstanceProfileCommand,
  EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
  paginateDescribeInstances,
  ReleaseAddressCommand,
  ReplaceIamInstanceProfileAssociationCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { ScenarioInput } from '@local/scenario';
import { Ec2Adapter } from '@local/services/ec2';
import { IamAdapter } from '@local/services/iam';
import { awsCli } from '@test/helpers/aws-cli';
import { awsFailure } from '@test/helpers/failure';
import { clientConfig, type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import { parseableEd25519Key } from '@test/helpers/ssh-keys';
import { xmlPaths, xmlText } from '@test/helpers/xml-paths';

/** Instances besides the demo one: web servers (one stopped), one with a public IP, no profile. */
const WEB = ['i-0de00000000000011', 'i-0de00000000000012', 'i-0de00000000000013', 'i-0de00000000000014'];
const STOPPED = 'i-0de00000000000015';
const PUBLIC = 'i-0de00000000000016';
const FAKE_ID = 'i-0123456789abcdef0';

function scenario(): ScenarioInput {
  const base = demoScenario({
    keyPairs: [{ name: DEMO.keyName, id: DEMO.keyPairId, privateKey: parseableEd25519Key() }],
  });
  const plain = { subnetId: DEMO.subnet, securityGroupIds: [DEMO.securityGroup], keyName: DEMO.keyName };
  return {
    ...base,
    instances: [
      ...(base.instances ?? []),
      ...WEB.map((id, n) => ({ ...plain, id, name: `web-${n + 1}`, tags: { Role: 'web' } })),
      { ...plain, id: STOPPED, name: 'batch', state: 'stopped' as const, tags: { Role: 'batch' } },
      { ...plain, id: PUBLIC, name: 'bastion', subnetId: DEMO.autoAssignSubnet },
    ],
    faults: { ...base.faults, elasticIpQuota: 2 },
  };
}

async function startEc2(input: ScenarioInput = scenario()): Promise<{ door: FrontDoor; ec2: EC2Client }> {
  const door = await startFrontDoor(input, (world) => ({
    ec2: new Ec2Adapter(world),
    iam: new IamAdapter(world),
  }));
  return { door, ec2: new EC2Client(clientConfig(door.endpoint)) };
}

/** A raw Query call, as an unsigned form POST (the front door routes it to EC2 by shape). */
async function rawEc2(
  endpoint: string,
  params: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2016-11-15', ...params }),
  });
  return { status: response.status, body: await response.text() };
}

async function describeOne(ec2: EC2Client, id: string): Promise<Instance> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`no instance ${id} in the response`);
  return instance;
}

describe('EC2 adapter: instances, network and images (read-only)', () => {
  let door: FrontDoor;
  let ec2: EC2Client;

  beforeAll(async () => {
    ({ door, ec2 } = await startEc2());
  });
  afterAll(() => door.stop());

  it('describes an instance with the fields the workflow reads', async () => {
    const instance = await describeOne(ec2, DEMO.instance);

    const profile = door.world.iam.instanceProfiles.get(DEMO.profileName);
    const world = door.world.instances.get(DEMO.instance);
    expect(instance).toMatchObject({
      InstanceId: DEMO.instance,
      State: { Code: 16, Name: 'running' },
      KeyName: DEMO.keyName,
      InstanceType: 't3.micro',
      SubnetId: DEMO.subnet,
      VpcId: DEMO.vpc,
      PrivateIpAddress: world?.privateIp,
      PublicDnsName: '',
      StateTransitionReason: '',
      SecurityGroups: [{ GroupId: DEMO.securityGroup, GroupName: 'app-ssh' }],
      IamInstanceProfile: { Arn: profile?.arn, Id: profile?.id },
      Placement: { AvailabilityZone: world?.availabilityZone, Tenancy: 'default' },
      MetadataOptions: { HttpTokens: 'optional' },
      Architecture: 'x86_64',
      RootDeviceType: 'ebs',
    });
    expect(instance.PublicIpAddress).toBeUndefined();
    expect(instance.LaunchTime).toBeInstanceOf(Date);
    expect(instance.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'app-server' }]));
    expect(instance.NetworkInterfaces).toHaveLength(1);
    expect(instance.NetworkInterfaces?.[0]).toMatchObject({
      NetworkInterfaceId: world?.eniId,
      Status: 'in-use',
      PrivateIpAddress: world?.privateIp,
      Attachment: { DeviceIndex: 0, Status: 'attached', DeleteOnTermination: true },
      Groups: [{ GroupId: DEMO.securityGroup, GroupName: 'app-ssh' }],
    });
    expect(instance.NetworkInterfaces?.[0]?.Association).toBeUndefined();
  });

  it('reports an auto-assigned public IP as ipAddress and on the network interface', async () => {
    const instance = await describeOne(ec2, PUBLIC);

    expect(instance.PublicIpAddress).toMatch(/^127\.\d+\.251\.\d+$/);
    expect(instance.PublicDnsName).toBe(
      `ec2-${instance.PublicIpAddress?.replaceAll('.', '-')}.compute-1.amazonaws.com`,
    );
    expect(instance.NetworkInterfaces?.[0]?.Association).toMatchObject({
      PublicIp: instance.PublicIpAddress,
      IpOwnerId: 'amazon',
    });
    expect(instance.IamInstanceProfile).toBeUndefined();
  });

  it('writes element names that differ from the SDK names, and timestamps with milliseconds', async () => {
    const { status, body } = await rawEc2(door.endpoint, {
      Action: 'DescribeInstances',
      'InstanceId.1': PUBLIC,
    });

    expect(status).toBe(200);
    const paths = xmlPaths(body);
    const instance = 'DescribeInstancesResponse/reservationSet/item/instancesSet/item';
    for (const leaf of [
      'instanceState/name',
      'ipAddress',
      'dnsName',
      'reason',
      'groupSet/item/groupId',
      'tagSet/item/key',
    ]) {
      expect(paths).toContain(`${instance}/${leaf}`);
    }
    expect(paths).toContain('DescribeInstancesResponse/requestId');
    expect(body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeInstancesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/">/,
    );
    expect(xmlText(body, 'launchTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('answers a GET with the parameters in the query string', async () => {
    const query = new URLSearchParams({ Action: 'DescribeVpcs', Version: '2016-11-15' });
    // The front door tells an unsigned request's service by its body, so this GET carries a SigV4 scope.
    const authorization =
      'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0';
    const response = await fetch(`${door.endpoint}/?${query}`, { headers: { authorization } });

    expect(response.status).toBe(200);
    expect(xmlText(await response.text(), 'vpcId')).toBe(DEMO.vpc);
  });

  it('raises NotFound for an unknown instance and Malformed for a bad id', async () => {
    const notFound = await awsFailure(ec2.send(new DescribeInstancesCommand({ InstanceIds: [FAKE_ID] })));
    const malformed = await awsFailure(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-xyz'] })));

    expect(notFound).toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      status: 400,
      message: `The instance ID '${FAKE_ID}' does not exist`,
    });
    expect(malformed).toMatchObject({ name: 'InvalidInstanceID.Malformed', status: 400 });
  });

  it('filters by tag, state and wildcard, ANDing filters and ORing values', async () => {
    const ids = async (filters: { Name: string; Values: string[] }[]) => {
      const out = await ec2.send(new DescribeInstancesCommand({ Filters: filters }));
      return (out.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => i.InstanceId)
        .sort();
    };

    expect(await ids([{ Name: 'tag:Role', Values: ['web'] }])).toEqual(WEB);
    expect(await ids([{ Name: 'instance-state-name', Values: ['stopped'] }])).toEqual([STOPPED]);
    expect(await ids([{ Name: 'tag:Name', Values: ['web-?', 'bat*'] }])).toEqual([...WEB, STOPPED]);
    expect(
      await ids([
        { Name: 'tag:Role', Values: ['web', 'batch'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ]),
    ).toEqual(WEB);
    expect(await ids([{ Name: 'tag:Role', Values: ['nobody'] }])).toEqual([]);
    expect(
      await awsFailure(
        ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })),
      ),
    ).toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('pages DescribeInstances with MaxResults and NextToken', async () => {
    const pages: string[][] = [];
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, {})) {
      pages.push((page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? ''));
    }

    expect(pages.map((p) => p.length)).toEqual([5, 2]);
    expect(new Set(pages.flat()).size).toBe(7);
  });

  it('rejects MaxResults together with InstanceIds, and MaxResults out of range', async () => {
    const combination = await awsFailure(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [DEMO.instance], MaxResults: 5 })),
    );
    const range = await awsFailure(ec2.send(new DescribeInstancesCommand({ MaxResults: 3 })));
    const token = await awsFailure(
      ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: 'not-a-token' })),
    );

    expect(combination).toMatchObject({ name: 'InvalidParameterCombination', status: 400 });
    expect(range).toMatchObject({ name: 'InvalidParameterValue' });
    expect(token).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('reports status checks for running instances only, unless IncludeAllInstances', async () => {
    const running = await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [DEMO.instance, STOPPED] }),
    );
    const all = await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [DEMO.instance, STOPPED], IncludeAllInstances: true }),
    );

    expect(running.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([DEMO.instance]);
    expect(running.InstanceStatuses?.[0]).toMatchObject({
      InstanceState: { Code: 16, Name: 'running' },
      InstanceStatus: { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] },
      SystemStatus: { Status: 'ok' },
    });
    expect(all.InstanceStatuses?.find((s) => s.InstanceId === STOPPED)).toMatchObject({
      InstanceState: { Code: 80, Name: 'stopped' },
      InstanceStatus: { Status: 'not-applicable' },
    });
  });

  it('describes subnets with whether they auto-assign public IPs', async () => {
    const out = await ec2.send(
      new DescribeSubnetsCommand({ SubnetIds: [DEMO.subnet, DEMO.autoAssignSubnet] }),
    );

    const [privateSubnet, publicSubnet] = out.Subnets ?? [];
    expect(privateSubnet).toMatchObject({
      SubnetId: DEMO.subnet,
      VpcId: DEMO.vpc,
      State: 'available',
      MapPublicIpOnLaunch: false,
      DefaultForAz: false,
      SubnetArn: `arn:aws:ec2:us-east-1:123456789012:subnet/${DEMO.subnet}`,
    });
    // Seven addresses are taken: six instances' and the in-VPC SSH probe's network interface's.
    expect(privateSubnet?.AvailableIpAddressCount).toBe(251 - 7);
    expect(publicSubnet).toMatchObject({ SubnetId: DEMO.autoAssignSubnet, MapPublicIpOnLaunch: true });
    const filtered = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'map-public-ip-on-launch', Values: ['true'] }] }),
    );
    expect(filtered.Subnets?.map((s) => s.SubnetId)).toEqual([DEMO.autoAssignSubnet]);
    expect(
      await awsFailure(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] }))),
    ).toMatchObject({
      name: 'InvalidSubnetID.NotFound',
    });
  });

  it('describes security groups and VPCs', async () => {
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [DEMO.securityGroup] }));
    const byName = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['app-ssh'] }));
    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [DEMO.vpc] }));

    expect(groups.SecurityGroups).toEqual([
      expect.objectContaining({
        GroupId: DEMO.securityGroup,
        GroupName: 'app-ssh',
        VpcId: DEMO.vpc,
        OwnerId: '123456789012',
      }),
    ]);
    expect(byName.SecurityGroups?.map((g) => g.GroupId)).toEqual([DEMO.securityGroup]);
    expect(vpcs.Vpcs).toEqual([
      expect.objectContaining({ VpcId: DEMO.vpc, State: 'available', IsDefault: false }),
    ]);
    expect(vpcs.Vpcs?.[0]?.CidrBlock).toMatch(/^127\.\d+\.0\.0\/16$/);
    expect(
      await awsFailure(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] }))),
    ).toMatchObject({
      name: 'InvalidGroup.NotFound',
    });
    expect(
      await awsFailure(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] }))),
    ).toMatchObject({
      name: 'InvalidVpcID.NotFound',
    });
  });

  it('describes key pairs, with the public key only when asked', async () => {
    const plain = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [DEMO.keyName] }));
    const withKey = await ec2.send(
      new DescribeKeyPairsCommand({ KeyPairIds: [DEMO.keyPairId], IncludePublicKey: true }),
    );

    expect(plain.KeyPairs).toEqual([
      expect.objectContaining({
        KeyPairId: DEMO.keyPairId,
        KeyName: DEMO.keyName,
        KeyType: 'ed25519',
        CreateTime: expect.any(Date),
      }),
    ]);
    expect(plain.KeyPairs?.[0]?.KeyFingerprint).toMatch(/^SHA256:/);
    expect(plain.KeyPairs?.[0]?.PublicKey).toBeUndefined();
    expect(withKey.KeyPairs?.[0]?.PublicKey).toMatch(/^ssh-ed25519 AAAA/);
    expect(await awsFailure(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['nope'] })))).toMatchObject({
      name: 'InvalidKeyPair.NotFound',
    });
  });

  it('describes the recovery points as AMIs owned by the account', async () => {
    const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
    const [first] = door.world.recoveryPoints.values();
    const one = await ec2.send(new DescribeImagesCommand({ ImageIds: [first?.imageId ?? ''] }));

    expect(out.Images).toHaveLength(door.world.recoveryPoints.size);
    expect(one.Images?.[0]).toMatchObject({
      ImageId: first?.imageId,
      State: 'available',
      OwnerId: '123456789012',
      Public: false,
      RootDeviceType: 'ebs',
    });
    expect(one.Images?.[0]?.Name).toMatch(new RegExp(`^AWSBackup_${DEMO.instance}_[0-9A-F-]{36}$`));
    expect(
      await awsFailure(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] }))),
    ).toMatchObject({
      name: 'InvalidAMIID.NotFound',
    });
  });

  it('answers DryRun with DryRunOperation (412)', async () => {
    const dryRun = await awsFailure(ec2.send(new DescribeInstancesCommand({ DryRun: true })));

    expect(dryRun).toMatchObject({
      name: 'DryRunOperation',
      status: 412,
      message: 'Request would have succeeded, but DryRun flag is set.',
    });
  });

  it('rejects an unknown action with InvalidAction in the EC2 error envelope', async () => {
    const { status, body } = await rawEc2(door.endpoint, { Action: 'LaunchRockets' });

    expect(status).toBe(400);
    expect([...xmlPaths(body)].sort()).toEqual([
      'Response',
      'Response/Errors',
      'Response/Errors/Error',
      'Response/Errors/Error/Code',
      'Response/Errors/Error/Message',
      'Response/RequestID',
    ]);
    expect(xmlText(body, 'Code')).toBe('InvalidAction');
    expect(xmlText(body, 'Message')).toBe('The action LaunchRockets is not valid for this web service.');
    expect(xmlText((await rawEc2(door.endpoint, { Action: 'toString' })).body, 'Code')).toBe('InvalidAction');
  });

  it('rejects a call without a required parameter with MissingParameter', async () => {
    const terminate = await awsFailure(ec2.send(new TerminateInstancesCommand({ InstanceIds: [] })));
    const associate = await awsFailure(
      ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: DEMO.instance, IamInstanceProfile: {} })),
    );

    expect(terminate).toMatchObject({ name: 'MissingParameter', status: 400 });
    expect(associate).toMatchObject({
      name: 'MissingParameter',
      message: 'The request must contain the parameter IamInstanceProfile',
    });
  });

  it('runs the AWS CLI against the emulator (describe-instances)', async () => {
    const result = await awsCli(door.endpoint, [
      'ec2',
      'describe-instances',
      '--instance-ids',
      DEMO.instance,
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(result.stdout) as { Reservations: { Instances: Record<string, unknown>[] }[] };
    expect(out.Reservations[0]?.Instances[0]).toMatchObject({
      InstanceId: DEMO.instance,
      State: { Code: 16, Name: 'running' },
      SecurityGroups: [{ GroupId: DEMO.securityGroup, GroupName: 'app-ssh' }],
      IamInstanceProfile: { Arn: door.world.iam.instanceProfiles.get(DEMO.profileName)?.arn },
    });
  });

  it('surfaces EC2 errors through the AWS CLI', async () => {
    const result = await awsCli(door.endpoint, ['ec2', 'describe-instances', '--instance-ids', FAKE_ID]);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('(InvalidInstanceID.NotFound)');
  });
});

describe('EC2 adapter: instance profile associations', () => {
  let door: FrontDoor;
  let ec2: EC2Client;

  beforeAll(async () => {
    ({ door, ec2 } = await startEc2());
  });
  afterAll(() => door.stop());

  it('describes the existing association, filtered by instance', async () => {
    const out = await ec2.send(
      new DescribeIamInstanceProfileAssociationsCommand({
        Filters: [{ Name: 'instance-id', Values: [DEMO.instance] }],
      }),
    );

    const profile = door.world.iam.instanceProfiles.get(DEMO.profileName);
    expect(out.IamInstanceProfileAssociations).toEqual([
      {
        AssociationId: expect.stringMatching(/^iip-assoc-[0-9a-f]{17}$/),
        InstanceId: DEMO.instance,
        IamInstanceProfile: { Arn: profile?.arn, Id: profile?.id },
        State: 'associated',
        Timestamp: expect.any(Date),
      },
    ]);
  });

  it('refuses a second association with IncorrectState', async () => {
    const second = await awsFailure(
      ec2.send(
        new AssociateIamInstanceProfileCommand({
          InstanceId: DEMO.instance,
          IamInstanceProfile: { Name: DEMO.profileName },
        }),
      ),
    );

    expect(second).toMatchObject({
      name: 'IncorrectState',
      status: 400,
      message: `There is an existing association for instance ${DEMO.instance}`,
    });
  });

  it('associates, replaces and disassociates a profile', async () => {
    const arn = door.world.iam.instanceProfiles.get(DEMO.profileName)?.arn;

    const associated = await ec2.send(
      new AssociateIamInstanceProfileCommand({ InstanceId: PUBLIC, IamInstanceProfile: { Arn: arn } }),
    );
    const first = associated.IamInstanceProfileAssociation?.AssociationId ?? '';
    const described = await ec2.send(
      new DescribeIamInstanceProfileAssociationsCommand({ AssociationIds: [first] }),
    );
    const replaced = await ec2.send(
      new ReplaceIamInstanceProfileAssociationCommand({
        AssociationId: first,
        IamInstanceProfile: { Name: DEMO.profileName },
      }),
    );
    const second = replaced.IamInstanceProfileAssociation?.AssociationId ?? '';
    const disassociated = await ec2.send(
      new DisassociateIamInstanceProfileCommand({ AssociationId: second }),
    );
    const gone = await awsFailure(
      ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ AssociationIds: [second] })),
    );

    expect(associated.IamInstanceProfileAssociation).toMatchObject({
      InstanceId: PUBLIC,
      State: 'associating',
      IamInstanceProfile: { Arn: arn },
    });
    expect(described.IamInstanceProfileAssociations?.[0]?.InstanceId).toBe(PUBLIC);
    expect(second).not.toBe(first);
    expect(disassociated.IamInstanceProfileAssociation).toMatchObject({
      AssociationId: second,
      State: 'disassociating',
    });
    expect(gone).toMatchObject({ name: 'InvalidAssociationID.NotFound' });
  });

  it('rejects an unknown profile and an unknown association', async () => {
    const badProfile = await awsFailure(
      ec2.send(
        new AssociateIamInstanceProfileCommand({
          InstanceId: PUBLIC,
          IamInstanceProfile: { Name: 'no-such-profile' },
        }),
      ),
    );
    const badAssociation = await awsFailure(
      ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: 'iip-assoc-0123456789abcdef0' })),
    );

    expect(badProfile).toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('Invalid IAM Instance Profile name'),
    });
    expect(badAssociation).toMatchObject({ name: 'InvalidAssociationID.NotFound' });
  });
});

describe('EC2 adapter: Elastic IPs', () => {
  let door: FrontDoor;
  let ec2: EC2Client;

  beforeAll(async () => {
    ({ door, ec2 } = await startEc2());
  });
  afterAll(() => door.stop());

  it('refuses an address for an instance whose VPC has no internet gateway (Gateway.NotAttached)', async () => {
    const isolated = await startEc2({ ...scenario(), routeTables: [] });
    try {
      const client = new EC2Client(clientConfig(isolated.door.endpoint));
      const { AllocationId } = await client.send(new AllocateAddressCommand({ Domain: 'vpc' }));

      const refused = await awsFailure(
        client.send(new AssociateAddressCommand({ AllocationId, InstanceId: DEMO.instance })),
      );

      expect(refused).toMatchObject({
        name: 'Gateway.NotAttached',
        message: `Network ${DEMO.vpc} is not attached to any internet gateway`,
      });
    } finally {
      await isolated.door.stop();
    }
  });

  it('allocates, associates, reassociates, disassociates and releases an address', async () => {
    const allocated = await ec2.send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: [
          { ResourceType: 'elastic-ip', Tags: [{ Key: 'Purpose', Value: 'restore <&> "test"' }] },
        ],
      }),
    );
    const allocationId = allocated.AllocationId ?? '';
    const associated = await ec2.send(
      new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: DEMO.instance }),
    );
    const instance = await describeOne(ec2, DEMO.instance);
    const described = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
    const moved = await ec2.send(
      new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: WEB[0] }),
    );
    const refused = await awsFailure(
      ec2.send(
        new AssociateAddressCommand({
          AllocationId: allocationId,
          InstanceId: DEMO.instance,
          AllowReassociation: false,
        }),
      ),
    );
    const inUse = await awsFailure(ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId })));
    await ec2.send(new DisassociateAddressCommand({ AssociationId: moved.AssociationId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
    const released = await awsFailure(
      ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] })),
    );

    expect(allocated).toMatchObject({
      PublicIp: expect.stringMatching(/^127\.\d+\.250\.\d+$/),
      AllocationId: expect.stringMatching(/^eipalloc-[0-9a-f]{17}$/),
      Domain: 'vpc',
      PublicIpv4Pool: 'amazon',
      NetworkBorderGroup: 'us-east-1',
    });
    expect(associated.AssociationId).toMatch(/^eipassoc-[0-9a-f]{17}$/);
    expect(instance.PublicIpAddress).toBe(allocated.PublicIp);
    expect(instance.NetworkInterfaces?.[0]?.Association).toMatchObject({
      PublicIp: allocated.PublicIp,
      IpOwnerId: '123456789012',
    });
    expect(described.Addresses).toEqual([
      expect.objectContaining({
        AllocationId: allocationId,
        AssociationId: associated.AssociationId,
        InstanceId: DEMO.instance,
        PublicIp: allocated.PublicIp,
        Domain: 'vpc',
        NetworkInterfaceOwnerId: '123456789012',
        Tags: [{ Key: 'Purpose', Value: 'restore <&> "test"' }],
      }),
    ]);
    expect(moved.AssociationId).not.toBe(associated.AssociationId);
    expect(refused).toMatchObject({ name: 'Resource.AlreadyAssociated' });
    expect(inUse).toMatchObject({ name: 'InvalidIPAddress.InUse' });
    expect(released).toMatchObject({ name: 'InvalidAllocationID.NotFound' });
  });

  it('looks addresses up by public IP and rejects an unknown one', async () => {
    const allocated = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));

    const byIp = await ec2.send(new DescribeAddressesCommand({ PublicIps: [allocated.PublicIp ?? ''] }));
    const unknown = await awsFailure(ec2.send(new DescribeAddressesCommand({ PublicIps: ['127.9.9.9'] })));
    const all = await ec2.send(
      new DescribeAddressesCommand({ Filters: [{ Name: 'domain', Values: ['vpc'] }] }),
    );
    await ec2.send(new ReleaseAddressCommand({ AllocationId: allocated.AllocationId }));

    expect(byIp.Addresses?.map((a) => a.AllocationId)).toEqual([allocated.AllocationId]);
    expect(byIp.Addresses?.[0]?.AssociationId).toBeUndefined();
    expect(unknown).toMatchObject({ name: 'InvalidAddress.NotFound' });
    expect(all.Addresses?.map((a) => a.AllocationId)).toContain(allocated.AllocationId);
  });

  it('fails with AddressLimitExceeded once the scenario quota is used', async () => {
    const first = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const second = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));

    const third = await awsFailure(ec2.send(new AllocateAddressCommand({ Domain: 'vpc' })));

    expect(third).toMatchObject({
      name: 'AddressLimitExceeded',
      status: 400,
      message: 'The maximum number of addresses has been reached.',
    });
    await ec2.send(new ReleaseAddressCommand({ AllocationId: first.AllocationId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: second.AllocationId }));
  });

  it('rejects an unknown allocation and an unknown association', async () => {
    const associate = await awsFailure(
      ec2.send(
        new AssociateAddressCommand({
          AllocationId: 'eipalloc-0123456789abcdef0',
          InstanceId: DEMO.instance,
        }),
      ),
    );
    const disassociate = await awsFailure(
      ec2.send(new DisassociateAddressCommand({ AssociationId: 'eipassoc-0123456789abcdef0' })),
    );

    expect(associate).toMatchObject({ name: 'InvalidAllocationID.NotFound' });
    expect(disassociate).toMatchObject({ name: 'InvalidAssociationID.NotFound' });
  });
});

describe('EC2 adapter: tags, attributes and termination', () => {
  let door: FrontDoor;
  let ec2: EC2Client;

  beforeAll(async () => {
    ({ door, ec2 } = await startEc2());
  });
  afterAll(() => door.stop());

  it('creates tags that DescribeInstances then reports, escaped on the wire', async () => {
    await ec2.send(
      new CreateTagsCommand({
        Resources: [WEB[1] ?? ''],
        Tags: [{ Key: 'Restored<From>', Value: `a&b "c" 'd'` }],
      }),
    );

    const instance = await describeOne(ec2, WEB[1] ?? '');

    expect(instance.Tags).toEqual(expect.arrayContaining([{ Key: 'Restored<From>', Value: `a&b "c" 'd'` }]));
    expect(
      await awsFailure(
        ec2.send(new CreateTagsCommand({ Resources: [FAKE_ID], Tags: [{ Key: 'k', Value: 'v' }] })),
      ),
    ).toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
  });

  it('blocks termination of a protected instance until the attribute is cleared', async () => {
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: WEB[2], DisableApiTermination: { Value: true } }),
    );
    const protectedAttr = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: WEB[2], Attribute: 'disableApiTermination' }),
    );
    const blocked = await awsFailure(
      ec2.send(new TerminateInstancesCommand({ InstanceIds: [WEB[2] ?? ''] })),
    );
    await ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: WEB[2],
        Attribute: 'disableApiTermination',
        Value: 'false',
      }),
    );
    const clearedAttr = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: WEB[2], Attribute: 'disableApiTermination' }),
    );

    const terminated = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [WEB[2] ?? ''] }));

    expect(protectedAttr).toMatchObject({ InstanceId: WEB[2], DisableApiTermination: { Value: true } });
    expect(blocked).toMatchObject({ name: 'OperationNotPermitted', status: 400 });
    expect(clearedAttr.DisableApiTermination).toEqual({ Value: false });
    expect(terminated.TerminatingInstances).toEqual([
      {
        InstanceId: WEB[2],
        CurrentState: { Code: 32, Name: 'shutting-down' },
        PreviousState: { Code: 16, Name: 'running' },
      },
    ]);
  });

  it('reports a terminated instance without its network placement', async () => {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [WEB[3] ?? ''] }));

    const instance = await pollUntil(() => describeOne(ec2, WEB[3] ?? ''), {
      describe: `${WEB[3]} to be terminated`,
      until: (i) => i.State?.Name === 'terminated',
    });

    expect(instance.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(instance.NetworkInterfaces).toEqual([]);
    expect(instance.PrivateIpAddress).toBeUndefined();
    expect(instance.SubnetId).toBeUndefined();
  });

  it('rejects attributes the emulator does not model', async () => {
    const describe = await awsFailure(
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: DEMO.instance, Attribute: 'userData' })),
    );
    const modify = await awsFailure(
      ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: DEMO.instance,
          InstanceType: { Value: 't3.large' },
        }),
      ),
    );
    const nothing = await awsFailure(
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: DEMO.instance })),
    );

    expect(describe).toMatchObject({ name: 'InvalidParameterValue' });
    expect(modify).toMatchObject({ name: 'UnsupportedOperation' });
    expect(nothing).toMatchObject({ name: 'InvalidParameterCombination' });
  });
});
