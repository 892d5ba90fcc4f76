/**
 * Fixtures for the workflow state document, one realistic value per slice, so each step test
 * states only what differs from the happy path.
 */
import { parseRestoreRequest, type RestoreRequestInput } from '@shared/restore-request';
import type { WorkflowState } from '@shared/workflow-state';

export const IDS = {
  account: '123456789012',
  region: 'us-east-1',
  sourceInstance: 'i-0123456789abcdef0',
  restoredInstance: 'i-0fedcba9876543210',
  recoveryPointArn: 'arn:aws:ec2:us-east-1::image/ami-0aaaaaaaaaaaaaaaa',
  olderRecoveryPointArn: 'arn:aws:ec2:us-east-1::image/ami-0bbbbbbbbbbbbbbbb',
  vault: 'EC2',
  subnet: 'subnet-0aaaaaaaaaaaaaaaa',
  otherSubnet: 'subnet-0bbbbbbbbbbbbbbbb',
  vpc: 'vpc-0aaaaaaaaaaaaaaaa',
  securityGroup: 'sg-0aaaaaaaaaaaaaaaa',
  profileName: 'app-profile',
  profileArn: 'arn:aws:iam::123456789012:instance-profile/app-profile',
  roleArn: 'arn:aws:iam::123456789012:role/app-instance-role',
  restoreRoleArn: 'arn:aws:iam::123456789012:role/ec2-restore-restore-role',
  keyName: 'app-key',
  keyPairId: 'key-0aaaaaaaaaaaaaaaa',
  restoreJobId: '1B234A56-789B-01CD-2A34-4567A08901FD',
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:restore-instance:run-1',
  allocationId: 'eipalloc-0aaaaaaaaaaaaaaaa',
  associationId: 'eipassoc-0aaaaaaaaaaaaaaaa',
  publicIp: '127.100.0.10',
  privateIp: '127.10.1.20',
} as const;

export const T0 = '2026-11-28T10:00:00.000Z';

export function at(secondsAfterT0: number): Date {
  return new Date(Date.parse(T0) + secondsAfterT0 * 1000);
}

/** The state as the first step sees it. */
export function initialState(
  input: RestoreRequestInput | unknown = { instanceId: IDS.sourceInstance },
): WorkflowState {
  return {
    input,
    execution: { id: IDS.executionArn, name: 'run-1', startTime: T0 },
  };
}

type Slices = Omit<WorkflowState, 'input' | 'execution' | 'request'> & { request?: RestoreRequestInput };

/**
 * A state in which every step up to `through` has succeeded on the happy path (demo-like world:
 * the source instance exists with a profile, the subnet does not auto-assign public IPs).
 */
export function stateAfter(
  through:
    | 'validate'
    | 'select'
    | 'resolve'
    | 'plan'
    | 'restore'
    | 'instance'
    | 'tag'
    | 'profile'
    | 'address'
    | 'ssh',
  overrides: Slices = {},
): WorkflowState {
  const order = [
    'validate',
    'select',
    'resolve',
    'plan',
    'restore',
    'instance',
    'tag',
    'profile',
    'address',
    'ssh',
  ];
  const upTo = (step: string) => order.indexOf(step) <= order.indexOf(through);
  const { request: requestInput, ...rest } = overrides;
  const request = parseRestoreRequest(requestInput ?? { instanceId: IDS.sourceInstance });
  const base: WorkflowState = {
    ...initialState(requestInput ?? { instanceId: IDS.sourceInstance }),
    request,
    ...(upTo('select') && {
      selection: {
        strategy: 'latest',
        resourceArn: `arn:aws:ec2:${IDS.region}:${IDS.account}:instance/${IDS.sourceInstance}`,
        sourceInstanceId: IDS.sourceInstance,
        region: IDS.region,
        accountId: IDS.account,
        recoveryPoint: {
          arn: IDS.recoveryPointArn,
          backupVaultName: IDS.vault,
          creationDate: '2026-11-27T21:00:00.000Z',
          status: 'COMPLETED',
          ageSeconds: 46_800,
        },
        candidates: [
          { arn: IDS.recoveryPointArn, backupVaultName: IDS.vault, creationDate: '2026-11-27T21:00:00.000Z' },
          {
            arn: IDS.olderRecoveryPointArn,
            backupVaultName: IDS.vault,
            creationDate: '2026-11-26T21:00:00.000Z',
          },
        ],
        completedAt: '2026-11-28T10:00:02.000Z',
      },
    }),
    ...(upTo('resolve') && {
      source: {
        instanceId: IDS.sourceInstance,
        exists: true,
        from: 'live-instance',
        instanceProfileArn: IDS.profileArn,
        instanceProfileName: IDS.profileName,
        keyName: IDS.keyName,
        subnetId: IDS.subnet,
        vpcId: IDS.vpc,
        securityGroupIds: [IDS.securityGroup],
        instanceType: 't3.micro',
        name: 'app-server',
      },
    }),
    ...(upTo('plan') && {
      plan: {
        metadata: {
          InstanceType: 't3.micro',
          SubnetId: IDS.subnet,
          SecurityGroupIds: JSON.stringify([IDS.securityGroup]),
          Placement: '{"AvailabilityZone":"us-east-1a","Tenancy":"default"}',
        },
        droppedKeys: ['NetworkInterfaces', 'VpcId', 'KeyName'],
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
        checks: [],
      },
    }),
    ...(upTo('restore') && {
      restoreJob: {
        id: IDS.restoreJobId,
        status: 'COMPLETED',
        statusMessage: null,
        percentDone: 100,
        expectedCompletionTimeMinutes: 0,
        createdInstanceId: IDS.restoredInstance,
        startedAt: '2026-11-28T10:00:05.000Z',
        deadline: '2026-11-28T14:00:05.000Z',
        polls: 2,
        completedAt: '2026-11-28T10:20:05.000Z',
        done: true,
        nextWaitSeconds: 0,
      },
    }),
    ...(upTo('instance') && {
      instance: {
        instanceId: IDS.restoredInstance,
        state: 'running',
        privateIp: IDS.privateIp,
        publicIp: null,
        subnetId: IDS.subnet,
        vpcId: IDS.vpc,
        instanceProfileArn: null,
        firstCheckedAt: '2026-11-28T10:20:10.000Z',
        runningAt: '2026-11-28T10:20:40.000Z',
        polls: 2,
        ready: true,
        nextWaitSeconds: 0,
      },
    }),
    ...(upTo('tag') && {
      tagging: { taggedResourceIds: [IDS.restoredInstance], tags: {} },
    }),
    ...(upTo('profile') && {
      profile: {
        action: 'associated',
        instanceProfileArn: IDS.profileArn,
        associationId: 'iip-assoc-0aaaaaaaaaaaaaaaa',
        startedAt: '2026-11-28T10:20:45.000Z',
        completedAt: '2026-11-28T10:20:55.000Z',
        polls: 1,
        done: true,
        nextWaitSeconds: 0,
      },
    }),
    ...(upTo('address') && {
      address: {
        action: 'allocated',
        reason: `subnet ${IDS.subnet} does not auto-assign public IPv4 addresses`,
        allocationId: IDS.allocationId,
        associationId: IDS.associationId,
        publicIp: IDS.publicIp,
        startedAt: '2026-11-28T10:20:56.000Z',
        completedAt: '2026-11-28T10:20:58.000Z',
      },
    }),
    ...(upTo('ssh') && {
      ssh: {
        enabled: true,
        reachable: true,
        host: IDS.publicIp,
        port: 22,
        username: 'ec2-user',
        attempts: 2,
        hostKeyFingerprint: 'SHA256:abc',
        lastError: null,
        startedAt: '2026-11-28T10:21:00.000Z',
        deadline: '2026-11-28T10:31:00.000Z',
        readyAt: '2026-11-28T10:21:30.000Z',
        done: true,
        nextWaitSeconds: 0,
      },
    }),
  };
  return { ...base, ...rest };
}
