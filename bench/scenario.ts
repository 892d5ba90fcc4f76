/**
 * The benchmark's emulated world: the demo's account (one VPC, a subnet that does not auto-assign
 * public IPs, so test mode holds an Elastic IP; a key pair in Parameter Store; an instance profile;
 * daily backups) with as many backed-up instances as a figure needs, each with its own restore-job
 * duration. Boot and sshd delays are the demo's (local/scenarios/demo.json).
 */
import type { ScenarioInput } from '@local/scenario';

export const SSH_PORT = 2222;
export const SELECTION_TAG = { key: 'AWSBackup', value: 'EC2' } as const;
/** The demo's: 40 s from launch to "running", sshd answers 25 s later. */
export const DEMO_BOOT = { instanceBootSeconds: 40, sshBootDelaySeconds: 25 } as const;
/** Sources per subnet: the emulator never frees a private IP, and a /24 holds 245 instances. */
const SOURCES_PER_SUBNET = 50;

const VPC = 'vpc-0be00000000000001';
const SECURITY_GROUP = 'sg-0be00000000000001';
const KEY = { name: 'app-key', id: 'key-0be00000000000001' } as const;
const PROFILE = { name: 'app-profile', role: 'app-instance-role' } as const;
const RESTORE_ROLE = 'ec2-restore-restore-role';
const VAULT = 'EC2';

/** The id of the i-th source instance: i-0be00000000000000 + i (17 hex digits). */
export function sourceInstanceId(index: number): string {
  return `i-0be${String(index).padStart(14, '0')}`;
}

function subnetId(index: number): string {
  return `subnet-0be${String(index).padStart(14, '0')}`;
}

export interface BenchWorldOptions {
  readonly clockSpeed: number;
  /** Restore-job duration (simulated minutes) per source instance; its length is the instance count. */
  readonly jobMinutes: readonly number[];
  /** Default: one per instance, so a fleet is never short of Elastic IPs (AWS's default quota is 5). */
  readonly elasticIpQuota?: number;
  readonly instanceBootSeconds?: number;
  readonly sshBootDelaySeconds?: number;
}

export function benchWorld(options: BenchWorldOptions): ScenarioInput {
  const count = options.jobMinutes.length;
  const subnetCount = Math.max(1, Math.ceil(count / SOURCES_PER_SUBNET));
  const subnets = Array.from({ length: subnetCount }, (_, i) => ({
    id: subnetId(i),
    vpcId: VPC,
    mapPublicIpOnLaunch: false,
  }));
  const instances = options.jobMinutes.map((_, i) => ({
    id: sourceInstanceId(i),
    name: `app-${i}`,
    subnetId: subnetId(Math.floor(i / SOURCES_PER_SUBNET)),
    securityGroupIds: [SECURITY_GROUP],
    keyName: KEY.name,
    instanceProfileName: PROFILE.name,
    tags: { [SELECTION_TAG.key]: SELECTION_TAG.value },
  }));
  return {
    name: `bench-${count}`,
    clock: { speed: options.clockSpeed },
    iam: {
      roles: [{ name: PROFILE.role }, { name: RESTORE_ROLE, passRoles: [PROFILE.role] }],
      restoreRoleName: RESTORE_ROLE,
    },
    vpcs: [{ id: VPC }],
    subnets,
    // The seed's network (local/README.md): SSH open to anywhere, a route to an internet gateway.
    securityGroups: [
      {
        id: SECURITY_GROUP,
        name: 'app-ssh',
        vpcId: VPC,
        ingress: [{ protocol: 'tcp', fromPort: SSH_PORT, toPort: SSH_PORT, cidrIp: '0.0.0.0/0' }],
      },
    ],
    routeTables: [
      {
        id: 'rtb-0be00000000000001',
        vpcId: VPC,
        main: true,
        routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0be00000000000001' }],
      },
    ],
    keyPairs: [{ name: KEY.name, id: KEY.id }],
    instanceProfiles: [{ name: PROFILE.name, roleName: PROFILE.role }],
    instances,
    backupVaults: [{ name: VAULT }],
    backupPlan: { vault: VAULT, days: 2, selectionTag: { ...SELECTION_TAG } },
    sshPort: SSH_PORT,
    faults: {
      restoreJobsBySource: Object.fromEntries(
        options.jobMinutes.map((minutes, i) => [sourceInstanceId(i), { durationMinutes: minutes }]),
      ),
      elasticIpQuota: Math.min(1000, options.elasticIpQuota ?? Math.max(5, count)),
      instanceBootSeconds: options.instanceBootSeconds ?? DEMO_BOOT.instanceBootSeconds,
      ssh: { bootDelaySeconds: options.sshBootDelaySeconds ?? DEMO_BOOT.sshBootDelaySeconds },
    },
  };
}

/** The restore-instance input the benchmark uses: a restore test (test mode), as scheduled runs do. */
export function restoreInput(instanceId: string): Record<string, unknown> {
  return { instanceId, mode: 'test', ssh: { port: SSH_PORT } };
}
