/**
 * Scenario builders for emulator tests: the demo world (one instance with a profile and a key
 * in Parameter Store, a subnet without public IP auto-assignment, daily backups) with overrides.
 */
import type { ScenarioInput } from '@local/scenario';

export const DEMO = {
  vpc: 'vpc-0de00000000000001',
  subnet: 'subnet-0de00000000000001',
  autoAssignSubnet: 'subnet-0de00000000000002',
  securityGroup: 'sg-0de00000000000001',
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
    securityGroups: [{ id: DEMO.securityGroup, name: 'app-ssh', vpcId: DEMO.vpc }],
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
    sshPort: 2222,
    faults: { restoreJob: { durationMinutes: 5 }, instanceBootSeconds: 10, ssh: { bootDelaySeconds: 5 } },
    ...overrides,
  };
}
