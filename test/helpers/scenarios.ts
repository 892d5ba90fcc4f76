/**
 * Scenario builders for emulator tests: the demo world (one instance with a profile and a key
 * in Parameter Store, a public subnet — main route table to an internet gateway — without public
 * IP auto-assignment, a group allowing SSH from anywhere, daily backups) with overrides.
 */
import type { ScenarioInput } from '@local/scenario';

export const DEMO = {
  vpc: 'vpc-0de00000000000001',
  subnet: 'subnet-0de00000000000001',
  autoAssignSubnet: 'subnet-0de00000000000002',
  securityGroup: 'sg-0de00000000000001',
  routeTable: 'rtb-0de00000000000001',
  internetGateway: 'igw-0de00000000000001',
  sshPort: 2222,
  keyName: 'app-key',
  keyPairId: 'key-0de00000000000001',
  profileName: 'app-profile',
  instanceRole: 'app-instance-role',
  restoreRole: 'ec2-restore-restore-role',
  instance: 'i-0de00000000000001',
  vault: 'EC2',
} as const;

export function demoScenario(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'test-demo',
    clock: { speed: 600 },
    iam: {
      roles: [{ name: DEMO.instanceRole }, { name: DEMO.restoreRole, passRoles: [DEMO.instanceRole] }],
      restoreRoleName: DEMO.restoreRole,
    },
    vpcs: [{ id: DEMO.vpc }],
    subnets: [
      { id: DEMO.subnet, vpcId: DEMO.vpc, mapPublicIpOnLaunch: false },
      { id: DEMO.autoAssignSubnet, vpcId: DEMO.vpc, mapPublicIpOnLaunch: true },
    ],
    // The seed's network: SSH open to anywhere, and a main route table with an internet gateway.
    securityGroups: [
      {
        id: DEMO.securityGroup,
        name: 'app-ssh',
        vpcId: DEMO.vpc,
        ingress: [{ protocol: 'tcp', fromPort: DEMO.sshPort, toPort: DEMO.sshPort, cidrIp: '0.0.0.0/0' }],
      },
    ],
    routeTables: [
      {
        id: DEMO.routeTable,
        vpcId: DEMO.vpc,
        main: true,
        routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: DEMO.internetGateway }],
      },
    ],
    keyPairs: [{ name: DEMO.keyName, id: DEMO.keyPairId }],
    instanceProfiles: [{ name: DEMO.profileName, roleName: DEMO.instanceRole }],
    instances: [
      {
        id: DEMO.instance,
        name: 'app-server',
        subnetId: DEMO.subnet,
        securityGroupIds: [DEMO.securityGroup],
        keyName: DEMO.keyName,
        instanceProfileName: DEMO.profileName,
        tags: { AWSBackup: 'EC2' },
      },
    ],
    backupVaults: [{ name: DEMO.vault }],
    backupPlan: { vault: DEMO.vault, days: 3, selectionTag: { key: 'AWSBackup', value: 'EC2' } },
    sshPort: DEMO.sshPort,
    faults: { restoreJob: { durationMinutes: 5 }, instanceBootSeconds: 10, ssh: { bootDelaySeconds: 5 } },
    ...overrides,
  };
}

/**
 * An hour-old recovery point of the demo instance with the restore metadata AWS Backup stores for
 * it, plus `metadata` (e.g. DisableApiTermination, UserData).
 */
export function demoRecoveryPoint(
  metadata: Readonly<Record<string, string>> = {},
): NonNullable<ScenarioInput['recoveryPoints']>[number] {
  return {
    instanceId: DEMO.instance,
    vault: DEMO.vault,
    creationDate: new Date(Date.now() - 3_600_000).toISOString(),
    restoreMetadata: {
      InstanceType: 't3.micro',
      KeyName: DEMO.keyName,
      SubnetId: DEMO.subnet,
      SecurityGroupIds: JSON.stringify([DEMO.securityGroup]),
      VpcId: DEMO.vpc,
      IamInstanceProfileName: DEMO.profileName,
      ...metadata,
    },
  };
}

/** The demo world's network plus what issue 12's rules need: a private subnet and a second VPC. */
export const NETWORK = {
  /** A subnet of the demo VPC whose own route table has no route to an internet gateway. */
  privateSubnet: 'subnet-0de00000000000003',
  privateRouteTable: 'rtb-0de00000000000002',
  /** SSH only from 10.0.0.0/8 (a corporate range): nothing in the emulator is in it. */
  corporateGroup: 'sg-0de00000000000002',
  /** A backed-up instance in the private subnet behind `corporateGroup`. */
  privateInstance: 'i-0de00000000000002',
  /** Another VPC with its own probe, subnet, open group and instance. */
  otherVpc: 'vpc-0de00000000000002',
  otherSubnet: 'subnet-0de00000000000004',
  otherGroup: 'sg-0de00000000000003',
  otherInstance: 'i-0de00000000000003',
} as const;

export function networkScenario(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  const base = demoScenario();
  const ssh = { protocol: 'tcp', fromPort: DEMO.sshPort, toPort: DEMO.sshPort } as const;
  const source = base.instances?.[0] as NonNullable<ScenarioInput['instances']>[number];
  return {
    ...base,
    vpcs: [...(base.vpcs ?? []), { id: NETWORK.otherVpc }],
    subnets: [
      ...(base.subnets ?? []),
      { id: NETWORK.privateSubnet, vpcId: DEMO.vpc, mapPublicIpOnLaunch: false },
      { id: NETWORK.otherSubnet, vpcId: NETWORK.otherVpc, mapPublicIpOnLaunch: true },
    ],
    securityGroups: [
      ...(base.securityGroups ?? []),
      {
        id: NETWORK.corporateGroup,
        name: 'ssh-corporate',
        vpcId: DEMO.vpc,
        ingress: [{ ...ssh, cidrIp: '10.0.0.0/8' }],
      },
      {
        id: NETWORK.otherGroup,
        name: 'ssh-open',
        vpcId: NETWORK.otherVpc,
        ingress: [{ ...ssh, cidrIp: '0.0.0.0/0' }],
      },
    ],
    routeTables: [
      ...(base.routeTables ?? []),
      {
        id: NETWORK.privateRouteTable,
        vpcId: DEMO.vpc,
        subnetIds: [NETWORK.privateSubnet],
        routes: [{ destinationCidrBlock: '10.0.0.0/16', gatewayId: 'local' }],
      },
      {
        id: 'rtb-0de00000000000003',
        vpcId: NETWORK.otherVpc,
        main: true,
        routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0de00000000000002' }],
      },
    ],
    instances: [
      source,
      {
        ...source,
        id: NETWORK.privateInstance,
        name: 'private-server',
        subnetId: NETWORK.privateSubnet,
        securityGroupIds: [NETWORK.corporateGroup],
      },
      {
        ...source,
        id: NETWORK.otherInstance,
        name: 'other-vpc-server',
        subnetId: NETWORK.otherSubnet,
        securityGroupIds: [NETWORK.otherGroup],
        tags: {},
      },
    ],
    ...overrides,
  };
}
