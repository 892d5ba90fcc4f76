import { createHash } from 'node:crypto';
import { GetRecoveryPointRestoreMetadataCommand } from '@aws-sdk/client-backup';
import {
  DescribeKeyPairsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type RouteTable,
  type SecurityGroup,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { step } from '@lambdas/plan-restore/handler';
import { type PlanRestoreDeps, planRestore } from '@lambdas/plan-restore/plan-restore';
import { PreflightError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import type { Logger } from '@shared/logger';
import type { RestoreRequestInput } from '@shared/restore-request';
import type { SshProbeRef } from '@shared/ssh-probes';
import type { RestorePlan, SourceFacts, WorkflowState } from '@shared/workflow-state';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();

const OLD_ENI = 'eni-0aaaaaaaaaaaaaaaa';
const OLD_IP = '10.0.1.5';
const OTHER_VPC = 'vpc-0bbbbbbbbbbbbbbbb';
const SG_OTHER_VPC = 'sg-0cccccccccccccccc';
const SG_SECOND = 'sg-0dddddddddddddddd';
const SECRET =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----';

function backedUpInterface(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AssociatePublicIpAddress: false,
    DeleteOnTermination: true,
    Description: '',
    DeviceIndex: 0,
    Groups: [IDS.securityGroup],
    Ipv6AddressCount: 0,
    Ipv6Addresses: [],
    NetworkInterfaceId: OLD_ENI,
    PrivateIpAddress: OLD_IP,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: OLD_IP }],
    SecondaryPrivateIpAddressCount: 0,
    SubnetId: IDS.subnet,
    InterfaceType: 'interface',
    ...overrides,
  };
}

/** Restore metadata as AWS Backup returns it for an EC2 point (aws-facts A.5). */
function backedUpMetadata(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const metadata: Record<string, string | undefined> = {
    CapacityReservationSpecification: '{"CapacityReservationPreference":"open"}',
    CpuOptions: '{"CoreCount":1,"ThreadsPerCore":2}',
    CreditSpecification: '{"CpuCredits":"unlimited"}',
    DisableApiTermination: 'false',
    EbsOptimized: 'true',
    HibernationOptions: '{"Configured":false}',
    IamInstanceProfileName: IDS.profileName,
    InstanceInitiatedShutdownBehavior: 'stop',
    InstanceType: 't3.micro',
    KeyName: IDS.keyName,
    Monitoring: '{"State":"disabled"}',
    NetworkInterfaces: JSON.stringify([backedUpInterface()]),
    Placement: '{"AvailabilityZone":"us-east-1a","GroupName":null,"Tenancy":"default"}',
    SecurityGroupIds: JSON.stringify([IDS.securityGroup]),
    SubnetId: IDS.subnet,
    VpcId: IDS.vpc,
    'aws:backup:request-id': '8f2c7d1e-0000-4000-8000-000000000001',
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(metadata).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

interface World {
  metadata: Record<string, unknown>;
  subnets: Map<string, Subnet>;
  groups: Map<string, SecurityGroup>;
  keyPairs: Map<string, string>;
  profiles: Set<string>;
  parameters: Map<string, string>;
  routeTables: RouteTable[];
  probes: SshProbeRef[];
}

const PROBE: SshProbeRef = {
  vpcId: IDS.vpc,
  functionName: `ec2-restore-ssh-probe-${IDS.vpc}`,
  ingressGroupId: 'sg-0eeeeeeeeeeeeeeee',
  ports: [22],
};
const IGW = 'igw-0aaaaaaaaaaaaaaaa';
const MAIN_TABLE = 'rtb-0aaaaaaaaaaaaaaaa';
const PRIVATE_TABLE = 'rtb-0bbbbbbbbbbbbbbbb';

/** The VPC's main table routes to an internet gateway; a second table has only a NAT route. */
function publicMainTable(): RouteTable {
  return {
    RouteTableId: MAIN_TABLE,
    VpcId: IDS.vpc,
    Associations: [{ Main: true, RouteTableId: MAIN_TABLE }],
    Routes: [
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
      { DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'active' },
    ],
  };
}
function privateTableFor(subnetId: string): RouteTable {
  return {
    RouteTableId: PRIVATE_TABLE,
    VpcId: IDS.vpc,
    Associations: [{ Main: false, RouteTableId: PRIVATE_TABLE, SubnetId: subnetId }],
    Routes: [
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
      { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0aaaaaaaaaaaaaaaa', State: 'active' },
    ],
  };
}

function defaultWorld(): World {
  return {
    metadata: backedUpMetadata(),
    subnets: new Map([
      [
        IDS.subnet,
        { SubnetId: IDS.subnet, VpcId: IDS.vpc, AvailabilityZone: 'us-east-1a', MapPublicIpOnLaunch: false },
      ],
      [
        IDS.otherSubnet,
        {
          SubnetId: IDS.otherSubnet,
          VpcId: IDS.vpc,
          AvailabilityZone: 'us-east-1b',
          MapPublicIpOnLaunch: true,
        },
      ],
    ]),
    groups: new Map([
      [IDS.securityGroup, { GroupId: IDS.securityGroup, VpcId: IDS.vpc }],
      [SG_SECOND, { GroupId: SG_SECOND, VpcId: IDS.vpc }],
      [SG_OTHER_VPC, { GroupId: SG_OTHER_VPC, VpcId: OTHER_VPC }],
    ]),
    keyPairs: new Map([[IDS.keyName, IDS.keyPairId]]),
    profiles: new Set([IDS.profileName]),
    parameters: new Map([[`/ec2/keypair/${IDS.keyPairId}`, SECRET]]),
    routeTables: [publicMainTable()],
    probes: [PROBE],
  };
}

/** Answers the plan's AWS calls from the world, with the errors AWS gives for what is missing. */
function install(world: World): void {
  mocks.backup
    .on(GetRecoveryPointRestoreMetadataCommand)
    .resolves({ RestoreMetadata: world.metadata as Record<string, string> });
  mocks.ec2.on(DescribeSubnetsCommand).callsFake(async (input: { SubnetIds?: string[] }) => {
    const found = (input.SubnetIds ?? []).map((id) => world.subnets.get(id));
    if (found.some((s) => !s)) throw awsError('InvalidSubnetID.NotFound', 'The subnet ID does not exist');
    return { Subnets: found };
  });
  mocks.ec2.on(DescribeSecurityGroupsCommand).callsFake(async (input: { GroupIds?: string[] }) => {
    const found = (input.GroupIds ?? []).map((id) => world.groups.get(id));
    if (found.some((g) => !g)) throw awsError('InvalidGroup.NotFound', 'The security group does not exist');
    return { SecurityGroups: found };
  });
  mocks.ec2
    .on(DescribeRouteTablesCommand)
    .callsFake(async (input: { Filters?: { Name?: string; Values?: string[] }[] }) => {
      const filter = (name: string) => input.Filters?.find((f) => f.Name === name)?.Values?.[0];
      const subnet = filter('association.subnet-id');
      const vpc = filter('vpc-id');
      const main = filter('association.main');
      const RouteTables = world.routeTables.filter(
        (t) =>
          (subnet === undefined || t.Associations?.some((a) => a.SubnetId === subnet)) &&
          (vpc === undefined || t.VpcId === vpc) &&
          (main === undefined || t.Associations?.some((a) => a.Main === (main === 'true'))),
      );
      return { RouteTables };
    });
  mocks.ec2.on(DescribeKeyPairsCommand).callsFake(async (input: { KeyNames?: string[] }) => {
    const name = input.KeyNames?.[0] ?? '';
    const id = world.keyPairs.get(name);
    if (!id) throw awsError('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`);
    return { KeyPairs: [{ KeyName: name, KeyPairId: id }] };
  });
  mocks.iam.on(GetInstanceProfileCommand).callsFake(async (input: { InstanceProfileName?: string }) => {
    const name = input.InstanceProfileName ?? '';
    if (!world.profiles.has(name))
      throw awsError('NoSuchEntityException', `Instance Profile ${name} cannot be found.`, 404);
    return {
      InstanceProfile: {
        InstanceProfileName: name,
        Arn: `arn:aws:iam::${IDS.account}:instance-profile/${name}`,
        Roles: [{ RoleName: 'app-instance-role', Arn: IDS.roleArn }],
      },
    };
  });
  // The PassRole pre-flight (passrole-preflight.ts): the restore role may pass every role asked about.
  mocks.iam.on(SimulatePrincipalPolicyCommand).callsFake(async (input: { ResourceArns?: string[] }) => ({
    EvaluationResults: (input.ResourceArns ?? []).map((arn) => ({
      EvalActionName: 'iam:PassRole',
      EvalResourceName: arn,
      EvalDecision: 'allowed',
    })),
  }));
  mocks.ssm.on(GetParameterCommand).callsFake(async (input: { Name?: string }) => {
    const value = world.parameters.get(input.Name ?? '');
    if (value === undefined) throw awsError('ParameterNotFound');
    return { Parameter: { Name: input.Name, Type: 'SecureString', Value: value } };
  });
}

let currentProbes: SshProbeRef[] = [PROBE];

function deps(logger: Logger = captureLogger().logger): PlanRestoreDeps {
  return {
    sshProbes: currentProbes,
    backup: clients.backup,
    ec2: clients.ec2,
    iam: clients.iam,
    ssm: clients.ssm,
    restoreRoleArn: IDS.restoreRoleArn,
    keyPairParameterPrefix: '/ec2/keypair/',
    logger,
  };
}

function state(
  request: RestoreRequestInput = { instanceId: IDS.sourceInstance },
  source?: Partial<SourceFacts>,
): WorkflowState {
  const base = stateAfter('resolve', { request });
  return source && base.source ? { ...base, source: { ...base.source, ...source } } : base;
}

async function plan(
  request?: RestoreRequestInput,
  world: World = defaultWorld(),
  source?: Partial<SourceFacts>,
): Promise<RestorePlan> {
  install(world);
  currentProbes = world.probes;
  return planRestore(state(request, source), deps());
}

async function preflightFailure(promise: Promise<unknown>): Promise<PreflightError> {
  const error = await promise.then(
    () => new Error('expected PreflightError, but the plan passed'),
    (e: unknown) => e,
  );
  if (error instanceof PreflightError) return error;
  throw error;
}

function interfacesSent(metadata: Readonly<Record<string, string>>): Record<string, unknown>[] {
  const text = metadata.NetworkInterfaces;
  if (text === undefined) throw new Error('no NetworkInterfaces in the metadata');
  return JSON.parse(text) as Record<string, unknown>[];
}

function withPublicInterface(world: World, overrides: Record<string, unknown> = {}): World {
  world.metadata = backedUpMetadata({
    NetworkInterfaces: JSON.stringify([
      backedUpInterface({ AssociatePublicIpAddress: true, ...overrides }),
      backedUpInterface({
        DeviceIndex: 1,
        NetworkInterfaceId: 'eni-0bbbbbbbbbbbbbbbb',
        PrivateIpAddress: '10.0.1.6',
      }),
    ]),
  });
  return world;
}

describe('plan-restore', () => {
  describe('the metadata it will send', () => {
    it('plans the happy path: sanitised metadata, subnet facts, profile, key and every passed check', async () => {
      const result = await plan();

      expect(result).toEqual({
        metadata: {
          CapacityReservationSpecification: '{"CapacityReservationPreference":"open"}',
          CpuOptions: '{"CoreCount":1,"ThreadsPerCore":2}',
          CreditSpecification: '{"CpuCredits":"unlimited"}',
          DisableApiTermination: 'false',
          EbsOptimized: 'true',
          HibernationOptions: '{"Configured":false}',
          InstanceInitiatedShutdownBehavior: 'stop',
          InstanceType: 't3.micro',
          Monitoring: '{"State":"disabled"}',
          Placement: '{"AvailabilityZone":"us-east-1a","GroupName":null,"Tenancy":"default"}',
          SecurityGroupIds: JSON.stringify([IDS.securityGroup]),
          SubnetId: IDS.subnet,
          'aws:backup:request-id': '8f2c7d1e-0000-4000-8000-000000000001',
        },
        redactedMetadata: {},
        droppedKeys: expect.arrayContaining([
          'IamInstanceProfileName',
          'KeyName',
          'NetworkInterfaces',
          'VpcId',
        ]),
        networkInterfaces: 'dropped',
        subnetId: IDS.subnet,
        vpcId: IDS.vpc,
        securityGroupIds: [IDS.securityGroup],
        instanceType: 't3.micro',
        subnetMapsPublicIp: false,
        targetInstanceProfile: { arn: IDS.profileArn, name: IDS.profileName },
        keyName: IDS.keyName,
        keyPairId: IDS.keyPairId,
        privateKeyParameter: `/ec2/keypair/${IDS.keyPairId}`,
        restoreRoleArn: IDS.restoreRoleArn,
        checks: [
          expect.stringContaining(`subnet ${IDS.subnet}`),
          expect.stringContaining(`security group(s) ${IDS.securityGroup}`),
          expect.stringContaining(`instance profile ${IDS.profileName} still exists`),
          expect.stringContaining(`key pair ${IDS.keyName} exists`),
          expect.stringContaining(`SSM parameter /ec2/keypair/${IDS.keyPairId}`),
          expect.stringContaining(`subnet ${IDS.subnet} is public`),
          expect.stringContaining(`SSH will be checked from inside ${IDS.vpc}`),
        ],
        sshNetwork: {
          routeTableId: MAIN_TABLE,
          subnetRoutesToInternetGateway: true,
          path: 'probe',
          probe: PROBE,
        },
      });
      expect(result.droppedKeys).toHaveLength(4);
    });

    it('drops keys StartRestoreJob does not accept, recording each', async () => {
      const world = defaultWorld();
      world.metadata = backedUpMetadata({
        SomethingNew: 'x',
        instanceType: 't3.large',
        UserData: 'IyEvYmluL3No',
      });

      const result = await plan(undefined, world);

      expect(result.metadata).not.toHaveProperty('SomethingNew');
      expect(result.metadata).not.toHaveProperty('instanceType');
      expect(result.droppedKeys).toEqual(expect.arrayContaining(['SomethingNew', 'instanceType']));
      expect(result.droppedKeys).not.toContain('UserData');
    });

    it('keeps user data out of the plan and the logs: a digest and a length stand for it', async () => {
      // '#!/bin/sh\nexport DB_PASSWORD=hunter2-leak-marker\n', base64 as RunInstances takes it.
      const userData = Buffer.from('#!/bin/sh\nexport DB_PASSWORD=hunter2-leak-marker\n').toString('base64');
      const world = defaultWorld();
      world.metadata = backedUpMetadata({ UserData: userData });
      const { logger, lines } = captureLogger();
      install(world);

      const result = await planRestore(state(), deps(logger));

      expect(result.metadata).not.toHaveProperty('UserData');
      expect(result.redactedMetadata).toEqual({
        UserData: {
          sha256: `sha256:${createHash('sha256').update(userData).digest('hex')}`,
          bytes: userData.length,
        },
      });
      expect(result.droppedKeys).not.toContain('UserData');
      for (const text of [JSON.stringify(result), lines.join('\n')]) {
        expect(text).not.toContain(userData);
        expect(text).not.toContain('hunter2-leak-marker');
      }
    });

    it('withholds a redacted field whatever the case of its key, and records none when there is none', async () => {
      const world = defaultWorld();
      const without = await plan(undefined, world);
      expect(without.redactedMetadata).toEqual({});

      world.metadata = backedUpMetadata({ userdata: 'IyEvYmluL3No' });
      const lowerCase = await plan(undefined, world);
      expect(JSON.stringify(lowerCase)).not.toContain('IyEvYmluL3No');
    });

    it('sends every value as a string, booleans as "true"/"false" and structures as JSON text', async () => {
      const world = defaultWorld();
      world.metadata = {
        ...backedUpMetadata(),
        EbsOptimized: true,
        DisableApiTermination: false,
        Monitoring: { State: 'enabled' },
        CpuOptions: { CoreCount: 2, ThreadsPerCore: 1 },
        RamdiskId: null,
      };

      const result = await plan(
        { instanceId: IDS.sourceInstance, overrides: { requireImdsV2: true } },
        world,
      );

      for (const [key, value] of Object.entries(result.metadata)) {
        expect([key, typeof value]).toEqual([key, 'string']);
      }
      expect(result.metadata).toMatchObject({
        EbsOptimized: 'true',
        DisableApiTermination: 'false',
        Monitoring: '{"State":"enabled"}',
        CpuOptions: '{"CoreCount":2,"ThreadsPerCore":1}',
        RequireIMDSv2: 'true',
      });
      expect(result.metadata).not.toHaveProperty('RamdiskId');
    });

    it('applies the instance type and IMDSv2 overrides', async () => {
      const result = await plan({
        instanceId: IDS.sourceInstance,
        overrides: { instanceType: 't3.small', requireImdsV2: false },
      });

      expect(result.metadata.InstanceType).toBe('t3.small');
      expect(result.metadata.RequireIMDSv2).toBe('false');
      expect(result.instanceType).toBe('t3.small');
    });

    it("leaves the backed-up type's CPU options out for another type, and its credit mode unless the type is burstable", async () => {
      const toM5 = await plan({ instanceId: IDS.sourceInstance, overrides: { instanceType: 'm5.4xlarge' } });
      const toT3 = await plan({ instanceId: IDS.sourceInstance, overrides: { instanceType: 't3.large' } });
      const same = await plan({ instanceId: IDS.sourceInstance, overrides: { instanceType: 't3.micro' } });

      expect(toM5.metadata).not.toHaveProperty('CpuOptions');
      expect(toM5.metadata).not.toHaveProperty('CreditSpecification');
      expect(toT3.metadata).not.toHaveProperty('CpuOptions');
      expect(toT3.metadata.CreditSpecification).toBe('{"CpuCredits":"unlimited"}');
      // The backed-up type itself keeps everything.
      expect(same.metadata.CpuOptions).toBe('{"CoreCount":1,"ThreadsPerCore":2}');
      expect(same.metadata.CreditSpecification).toBe('{"CpuCredits":"unlimited"}');
    });

    it('removes the unsupported SnapshotId and OutpostArn from block device mappings', async () => {
      const world = defaultWorld();
      world.metadata = backedUpMetadata({
        BlockDeviceMappings: JSON.stringify([
          {
            DeviceName: '/dev/xvda',
            Ebs: { SnapshotId: 'snap-0aaa', OutpostArn: 'arn:x', VolumeSize: 8, VolumeType: 'gp3' },
          },
        ]),
      });

      const result = await plan(undefined, world);

      expect(JSON.parse(result.metadata.BlockDeviceMappings ?? 'null')).toEqual([
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, VolumeType: 'gp3' } },
      ]);
    });

    it('moves Placement to the Availability Zone of a subnet in another zone', async () => {
      const result = await plan({ instanceId: IDS.sourceInstance, overrides: { subnetId: IDS.otherSubnet } });

      expect(JSON.parse(result.metadata.Placement ?? 'null')).toEqual({
        AvailabilityZone: 'us-east-1b',
        GroupName: null,
        Tenancy: 'default',
      });
    });

    it('leaves out malformed JSON instead of failing with a SyntaxError', async () => {
      const world = defaultWorld();
      world.metadata = backedUpMetadata({
        Placement: '{"AvailabilityZone":',
        NetworkInterfaces: '[{"DeviceIndex":',
      });

      const result = await plan(undefined, world);

      expect(result.metadata).not.toHaveProperty('Placement');
      expect(result.metadata).not.toHaveProperty('NetworkInterfaces');
      expect(result.metadata.SubnetId).toBe(IDS.subnet);
      expect(result.droppedKeys).toEqual(expect.arrayContaining(['Placement', 'NetworkInterfaces']));
    });
  });

  describe('network interfaces versus subnet', () => {
    it('drops NetworkInterfaces and sends the override subnet and groups when the original had no public IP', async () => {
      const result = await plan({
        instanceId: IDS.sourceInstance,
        overrides: { subnetId: IDS.otherSubnet, securityGroupIds: [SG_SECOND] },
      });

      expect(result.networkInterfaces).toBe('dropped');
      expect(result.metadata).not.toHaveProperty('NetworkInterfaces');
      expect(result.metadata.SubnetId).toBe(IDS.otherSubnet);
      expect(result.metadata.SecurityGroupIds).toBe(JSON.stringify([SG_SECOND]));
      expect(result).toMatchObject({
        subnetId: IDS.otherSubnet,
        securityGroupIds: [SG_SECOND],
        subnetMapsPublicIp: true,
      });
      expect(JSON.stringify(result.metadata)).not.toContain(OLD_ENI);
      expect(JSON.stringify(result.metadata)).not.toContain(OLD_IP);
    });

    it.each([
      ['a boolean', true],
      ['the text "true"', 'true'],
    ])(
      'keeps one stripped interface in the override subnet when AssociatePublicIpAddress is %s',
      async (_what, associate) => {
        const world = withPublicInterface(defaultWorld(), { AssociatePublicIpAddress: associate });

        const result = await plan(
          {
            instanceId: IDS.sourceInstance,
            overrides: { subnetId: IDS.otherSubnet, securityGroupIds: [SG_SECOND] },
          },
          world,
        );

        expect(result.networkInterfaces).toBe('stripped');
        expect(result.metadata).not.toHaveProperty('SubnetId');
        expect(result.metadata).not.toHaveProperty('SecurityGroupIds');
        const sent = interfacesSent(result.metadata);
        expect(sent).toHaveLength(1);
        expect(sent[0]).toEqual({
          AssociatePublicIpAddress: associate,
          DeleteOnTermination: true,
          Description: '',
          DeviceIndex: 0,
          Groups: [SG_SECOND],
          Ipv6AddressCount: 0,
          SubnetId: IDS.otherSubnet,
          InterfaceType: 'interface',
        });
        expect(JSON.stringify(result.metadata)).not.toContain(OLD_ENI);
        expect(JSON.stringify(result.metadata)).not.toContain(OLD_IP);
        expect(JSON.stringify(result.metadata)).not.toContain('eni-0bbbbbbbbbbbbbbbb');
        expect(result).toMatchObject({ subnetId: IDS.otherSubnet, securityGroupIds: [SG_SECOND] });
      },
    );

    it('keeps the backed-up subnet and groups in the stripped interface when nothing is overridden', async () => {
      const result = await plan(undefined, withPublicInterface(defaultWorld()));

      const sent = interfacesSent(result.metadata);
      expect(sent[0]).toMatchObject({ DeviceIndex: 0, SubnetId: IDS.subnet, Groups: [IDS.securityGroup] });
      expect(sent[0]).not.toHaveProperty('NetworkInterfaceId');
      expect(sent[0]).not.toHaveProperty('PrivateIpAddress');
      expect(sent[0]).not.toHaveProperty('PrivateIpAddresses');
      expect(sent[0]).not.toHaveProperty('SecondaryPrivateIpAddressCount');
      expect(sent[0]).not.toHaveProperty('Ipv6Addresses');
    });

    it('reports "absent" and sends the instance-level subnet when the metadata has no interfaces', async () => {
      const world = defaultWorld();
      world.metadata = backedUpMetadata({ NetworkInterfaces: undefined });

      const result = await plan(undefined, world);

      expect(result.networkInterfaces).toBe('absent');
      expect(result.metadata.SubnetId).toBe(IDS.subnet);
      expect(result.droppedKeys).not.toContain('NetworkInterfaces');
    });

    it('takes subnet and groups from the interface when the metadata has only that form', async () => {
      const world = defaultWorld();
      world.metadata = backedUpMetadata({
        SubnetId: undefined,
        SecurityGroupIds: undefined,
        NetworkInterfaces: JSON.stringify([
          backedUpInterface({ SubnetId: IDS.otherSubnet, Groups: [SG_SECOND] }),
        ]),
      });

      const result = await plan(undefined, world);

      expect(result.metadata).toMatchObject({
        SubnetId: IDS.otherSubnet,
        SecurityGroupIds: JSON.stringify([SG_SECOND]),
      });
      expect(result.metadata).not.toHaveProperty('NetworkInterfaces');
    });

    it.each([
      ['no public IP, no override', false, {}],
      ['no public IP, override subnet', false, { subnetId: IDS.otherSubnet }],
      ['public IP, no override', true, {}],
      [
        'public IP, override subnet and groups',
        true,
        { subnetId: IDS.otherSubnet, securityGroupIds: [SG_SECOND] },
      ],
    ])(
      'never sends both the interface and the instance-level form (%s)',
      async (_what, publicIp, overrides) => {
        const world = publicIp ? withPublicInterface(defaultWorld()) : defaultWorld();

        const result = await plan({ instanceId: IDS.sourceInstance, overrides }, world);

        const hasInterfaces = 'NetworkInterfaces' in result.metadata;
        const hasInstanceLevel = 'SubnetId' in result.metadata || 'SecurityGroupIds' in result.metadata;
        expect(hasInterfaces).toBe(publicIp);
        expect(hasInstanceLevel).toBe(!publicIp);
      },
    );
  });

  describe('instance profile', () => {
    it('restores with the original profile through PassRole when asked to', async () => {
      const result = await plan({ instanceId: IDS.sourceInstance, instanceProfile: 'passrole' });

      expect(result.metadata.IamInstanceProfileName).toBe(IDS.profileName);
      expect(result.targetInstanceProfile).toEqual({ arn: IDS.profileArn, name: IDS.profileName });
    });

    it('restores without a profile and keeps it as the target to reattach', async () => {
      const result = await plan({ instanceId: IDS.sourceInstance, instanceProfile: 'reattach' });

      expect(result.metadata).not.toHaveProperty('IamInstanceProfileName');
      expect(result.droppedKeys).toContain('IamInstanceProfileName');
      expect(result.targetInstanceProfile).toEqual({ arn: IDS.profileArn, name: IDS.profileName });
    });

    it('targets no profile and does not look one up for instanceProfile "none"', async () => {
      const result = await plan({ instanceId: IDS.sourceInstance, instanceProfile: 'none' });

      expect(result.metadata).not.toHaveProperty('IamInstanceProfileName');
      expect(result.targetInstanceProfile).toBeNull();
      expect(mocks.iam).not.toHaveReceivedCommand(GetInstanceProfileCommand);
    });

    it('takes the profile ARN from IAM, which knows its path', async () => {
      install(defaultWorld());
      mocks.iam.on(GetInstanceProfileCommand).resolves({
        InstanceProfile: {
          InstanceProfileName: IDS.profileName,
          Arn: `arn:aws:iam::${IDS.account}:instance-profile/team/${IDS.profileName}`,
          InstanceProfileId: 'AIPAEXAMPLE',
          Path: '/team/',
          CreateDate: new Date(0),
          Roles: [],
        },
      });

      const result = await planRestore(state(), deps());

      expect(result.targetInstanceProfile?.arn).toBe(
        `arn:aws:iam::${IDS.account}:instance-profile/team/${IDS.profileName}`,
      );
    });

    it('fails the pre-flight when the profile to end up with no longer exists', async () => {
      const world = defaultWorld();
      world.profiles.clear();

      const error = await preflightFailure(plan(undefined, world));

      expect(error.failedChecks).toEqual([
        expect.stringContaining(
          `instance profile ${IDS.profileName} of the source instance no longer exists`,
        ),
      ]);
    });

    it('fails the pre-flight for "passrole" when the profile changed since the backup', async () => {
      const world = defaultWorld();
      world.metadata = backedUpMetadata({ IamInstanceProfileName: 'old-profile' });

      const error = await preflightFailure(
        plan({ instanceId: IDS.sourceInstance, instanceProfile: 'passrole' }, world),
      );

      expect(error.failedChecks).toEqual([expect.stringContaining('the backup was taken with old-profile')]);
    });
  });

  describe('pre-flight checks', () => {
    it('collects every failure into one PreflightError: a missing subnet and a missing key parameter', async () => {
      const world = defaultWorld();
      world.parameters.clear();

      const error = await preflightFailure(
        plan({ instanceId: IDS.sourceInstance, overrides: { subnetId: 'subnet-0eeeeeeeeeeeeeeee' } }, world),
      );

      expect(error.name).toBe('PreflightError');
      expect(error.failedChecks).toEqual([
        'subnet subnet-0eeeeeeeeeeeeeeee does not exist (overrides.subnetId); check overrides.subnetId',
        expect.stringContaining(
          `SSM parameter /ec2/keypair/${IDS.keyPairId}, which should hold the private key of key pair ${IDS.keyName}, does not exist`,
        ),
      ]);
      expect(error.message).toContain('2 pre-flight check(s) failed');
    });

    it('says where a missing subnet came from when it is the backed-up one', async () => {
      const world = defaultWorld();
      world.subnets.delete(IDS.subnet);

      const error = await preflightFailure(plan(undefined, world));

      expect(error.failedChecks).toEqual([
        `subnet ${IDS.subnet} does not exist (restore metadata SubnetId); pass overrides.subnetId with a subnet to restore into`,
      ]);
    });

    it('fails a security group that is in another VPC than the subnet', async () => {
      const error = await preflightFailure(
        plan({
          instanceId: IDS.sourceInstance,
          overrides: { securityGroupIds: [IDS.securityGroup, SG_OTHER_VPC] },
        }),
      );

      expect(error.failedChecks).toEqual([
        expect.stringMatching(
          new RegExp(
            `^security group ${SG_OTHER_VPC} \\(overrides.securityGroupIds\\) is in ${OTHER_VPC}, but subnet ${IDS.subnet} is in ${IDS.vpc}`,
          ),
        ),
      ]);
    });

    it('names exactly the security groups that do not exist', async () => {
      const error = await preflightFailure(
        plan({
          instanceId: IDS.sourceInstance,
          overrides: { securityGroupIds: [IDS.securityGroup, 'sg-0fffffffffffffff0', SG_SECOND] },
        }),
      );

      expect(error.failedChecks).toEqual([
        'security group sg-0fffffffffffffff0 does not exist (overrides.securityGroupIds); pass overrides.securityGroupIds with groups that exist',
      ]);
    });

    it('fails when the source had no key pair and the SSH check is on', async () => {
      const world = defaultWorld();
      world.metadata = backedUpMetadata({ KeyName: undefined });

      const error = await preflightFailure(plan(undefined, world, { keyName: null }));

      expect(error.failedChecks).toEqual([
        'the source instance has no key pair, so the SSH check cannot run; pass ssh.enabled=false',
      ]);
    });

    it('checks the backed-up key pair when the source facts do not name one', async () => {
      const result = await plan(undefined, defaultWorld(), { keyName: null });

      expect(result).toMatchObject({ keyName: IDS.keyName, keyPairId: IDS.keyPairId });
      expect(mocks.ec2).toHaveReceivedCommandWith(DescribeKeyPairsCommand, { KeyNames: [IDS.keyName] });
    });

    it('fails when the key pair no longer exists in EC2', async () => {
      const world = defaultWorld();
      world.keyPairs.clear();

      const error = await preflightFailure(plan(undefined, world));

      expect(error.failedChecks).toEqual([
        expect.stringContaining(`key pair ${IDS.keyName} of the source instance no longer exists`),
      ]);
      expect(mocks.ssm).not.toHaveReceivedCommand(GetParameterCommand);
    });

    it('reads the private key from the parameter the request names, even when the key pair is gone', async () => {
      const world = defaultWorld();
      world.keyPairs.clear();
      world.parameters.set('/keys/app', SECRET);

      const result = await plan(
        { instanceId: IDS.sourceInstance, ssh: { privateKeyParameter: '/keys/app' } },
        world,
      );

      expect(result).toMatchObject({ keyPairId: null, privateKeyParameter: '/keys/app' });
      expect(mocks.ssm).toHaveReceivedCommandWith(GetParameterCommand, {
        Name: '/keys/app',
        WithDecryption: true,
      });
    });

    it('fails when the key parameter cannot be decrypted, instead of throwing the AWS error', async () => {
      install(defaultWorld());
      mocks.ssm
        .on(GetParameterCommand)
        .rejects(awsError('AccessDeniedException', 'not authorized to kms:Decrypt'));

      const error = await preflightFailure(planRestore(state(), deps()));

      expect(error.failedChecks).toEqual([
        expect.stringContaining(
          `SSM parameter /ec2/keypair/${IDS.keyPairId} (the private key of key pair ${IDS.keyName}) cannot be read with decryption (AccessDeniedException)`,
        ),
      ]);
    });

    it('skips every key check when the SSH check is off', async () => {
      const world = defaultWorld();
      world.keyPairs.clear();
      world.parameters.clear();

      const result = await plan({ instanceId: IDS.sourceInstance, ssh: { enabled: false } }, world, {
        keyName: null,
      });

      expect(result).toMatchObject({ keyPairId: null, privateKeyParameter: null });
      expect(mocks.ec2).not.toHaveReceivedCommand(DescribeKeyPairsCommand);
      expect(mocks.ssm).not.toHaveReceivedCommand(GetParameterCommand);
    });

    it('never returns or logs the private key it reads', async () => {
      const { logger, lines } = captureLogger();
      install(defaultWorld());

      const result = await planRestore(state(), deps(logger));

      expect(mocks.ssm).toHaveReceivedCommandWith(GetParameterCommand, { WithDecryption: true });
      expect(lines.length).toBeGreaterThan(0);
      expect(JSON.stringify(result)).not.toContain('PRIVATE KEY');
      expect(JSON.stringify(result)).not.toContain('c2VjcmV0LWtleS1tYXRlcmlhbA');
      expect(lines.join('\n')).not.toContain('c2VjcmV0LWtleS1tYXRlcmlhbA');
    });

    it.each([
      [
        'DescribeSubnets',
        () =>
          mocks.ec2
            .on(DescribeSubnetsCommand)
            .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.', 503)),
      ],
      [
        'GetParameter',
        () => mocks.ssm.on(GetParameterCommand).rejects(awsError('ThrottlingException', 'Rate exceeded')),
      ],
      [
        'GetInstanceProfile',
        () => mocks.iam.on(GetInstanceProfileCommand).rejects(awsError('Throttling', 'Rate exceeded')),
      ],
    ])('lets throttling of %s propagate instead of failing a check', async (_api, throttle) => {
      install(defaultWorld());
      throttle();

      const error = await planRestore(state(), deps()).catch((e: unknown) => e);

      expect(error).not.toBeInstanceOf(PreflightError);
      expect(error).toMatchObject({
        name: expect.stringMatching(/^(RequestLimitExceeded|ThrottlingException|Throttling)$/),
      });
    });
  });

  it('runs through the Lambda handler with the restore role and key prefix from the environment', async () => {
    const world = defaultWorld();
    world.parameters.set(`/restore-keys/${IDS.keyPairId}`, SECRET);
    install(world);
    const handler = createHandler(step, {
      env: {
        RESTORE_ROLE_ARN: IDS.restoreRoleArn,
        KEY_PAIR_PARAMETER_PREFIX: '/restore-keys/',
        SSH_PROBES: JSON.stringify([PROBE]),
      },
      clients,
      logger: captureLogger().logger,
    });

    const result = await handler(state());

    expect(result).toMatchObject({
      restoreRoleArn: IDS.restoreRoleArn,
      privateKeyParameter: `/restore-keys/${IDS.keyPairId}`,
      sshNetwork: { path: 'probe', probe: PROBE },
    });
  });

  describe('network pre-flight (where SSH can reach the restored instance from)', () => {
    const openTo = (cidr: string, port = 22): SecurityGroup => ({
      GroupId: IDS.securityGroup,
      VpcId: IDS.vpc,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }],
    });
    const privateSubnetWorld = (): World => {
      const world = defaultWorld();
      world.routeTables = [publicMainTable(), privateTableFor(IDS.subnet)];
      return world;
    };

    it('fails before any restore job when no probe serves the VPC of a private subnet, naming the context key and the VPC', async () => {
      const world = privateSubnetWorld();
      world.probes = [];

      const error = await preflightFailure(plan(undefined, world));

      expect(error.failedChecks).toEqual([
        expect.stringMatching(
          new RegExp(
            `no in-VPC SSH probe serves ${IDS.vpc}.*"vpcId":"${IDS.vpc}".*sshProbeNetworks CDK context`,
          ),
        ),
      ]);
      expect(error.failedChecks[0]).toContain(`subnet ${IDS.subnet} has no route to an internet gateway`);
    });

    it('fails ssh.target "public" on a subnet whose own route table sends 0.0.0.0/0 to a NAT gateway, though the main table is public', async () => {
      const error = await preflightFailure(
        plan({ instanceId: IDS.sourceInstance, ssh: { target: 'public' } }, privateSubnetWorld()),
      );

      expect(error.failedChecks).toEqual([
        expect.stringContaining(
          `ssh.target is "public", so SSH would be checked from the internet, but subnet ${IDS.subnet} has no route to an internet gateway (route table ${PRIVATE_TABLE} sends 0.0.0.0/0 to nat-0aaaaaaaaaaaaaaaa)`,
        ),
      ]);
    });

    it('treats a subnet of a VPC without any route table it can see as private (fail-safe)', async () => {
      const world = defaultWorld();
      world.routeTables = [];

      const error = await preflightFailure(
        plan({ instanceId: IDS.sourceInstance, ssh: { target: 'public' } }, world),
      );

      expect(error.failedChecks[0]).toContain('no route table of subnet');
    });

    it('fails a public check when the groups admit SSH only from a narrower range, saying why that cannot be known to work', async () => {
      const world = defaultWorld();
      world.groups.set(IDS.securityGroup, openTo('203.0.113.0/24'));

      const error = await preflightFailure(
        plan({ instanceId: IDS.sourceInstance, ssh: { target: 'public' } }, world),
      );

      expect(error.failedChecks).toEqual([
        expect.stringContaining(
          `admit TCP 22 only from 203.0.113.0/24 (${IDS.securityGroup}): a range narrower than 0.0.0.0/0 cannot be known to contain Lambda's egress addresses`,
        ),
      ]);
    });

    it('plans a check from the internet for ssh.target "public" on a public subnet (main table) with a group open to 0.0.0.0/0', async () => {
      const world = defaultWorld();
      world.groups.set(IDS.securityGroup, openTo('0.0.0.0/0'));

      const result = await plan({ instanceId: IDS.sourceInstance, ssh: { target: 'public' } }, world);

      expect(result.sshNetwork).toEqual({
        routeTableId: MAIN_TABLE,
        subnetRoutesToInternetGateway: true,
        path: 'internet',
        probe: null,
      });
    });

    it('falls back to the internet for ssh.target "auto" only where that can work: no probe, public subnet, group open to the world', async () => {
      const world = defaultWorld();
      world.probes = [];
      world.groups.set(IDS.securityGroup, openTo('0.0.0.0/0', 22));
      expect((await plan(undefined, world)).sshNetwork?.path).toBe('internet');

      world.groups.set(IDS.securityGroup, openTo('0.0.0.0/0', 2222));
      const error = await preflightFailure(plan(undefined, world));
      expect(error.failedChecks[0]).toMatch(/admits TCP 22 from 0\.0\.0\.0\/0.*sshProbeNetworks/);
    });

    it('plans the in-VPC probe for ssh.target "private" whatever the groups admit, and refuses a port the probe cannot reach', async () => {
      const world = privateSubnetWorld();
      const planned = await plan({ instanceId: IDS.sourceInstance, ssh: { target: 'private' } }, world);
      expect(planned.sshNetwork).toMatchObject({ path: 'probe', subnetRoutesToInternetGateway: false });

      const error = await preflightFailure(
        plan({ instanceId: IDS.sourceInstance, ssh: { target: 'private', port: 2222 } }, world),
      );
      expect(error.failedChecks).toEqual([
        expect.stringContaining(`ssh.port 2222 is not a port the SSH probe of ${IDS.vpc}`),
      ]);
    });

    it('records the route but plans no SSH path when the SSH check is off', async () => {
      const world = privateSubnetWorld();
      world.probes = [];

      const result = await plan({ instanceId: IDS.sourceInstance, ssh: { enabled: false } }, world);

      expect(result.sshNetwork).toEqual({
        routeTableId: PRIVATE_TABLE,
        subnetRoutesToInternetGateway: false,
        path: null,
        probe: null,
      });
    });

    it('fails naming ec2:DescribeRouteTables when the function may not read route tables', async () => {
      install(defaultWorld());
      mocks.ec2.on(DescribeRouteTablesCommand).rejects(awsError('UnauthorizedOperation'));

      const error = await preflightFailure(planRestore(state(), deps()));

      expect(error.failedChecks).toEqual([expect.stringContaining('grant it ec2:DescribeRouteTables')]);
    });
  });
});
