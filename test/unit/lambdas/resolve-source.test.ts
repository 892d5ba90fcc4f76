import { GetRecoveryPointRestoreMetadataCommand } from '@aws-sdk/client-backup';
import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { step } from '@lambdas/resolve-source/handler';
import { type ResolveSourceDeps, resolveSource } from '@lambdas/resolve-source/resolve-source';
import { NoRecoveryPointError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();

function deps(): ResolveSourceDeps {
  return { ec2: clients.ec2, backup: clients.backup, logger: captureLogger().logger };
}

function liveInstance(overrides: Partial<Instance> = {}): Instance {
  return {
    InstanceId: IDS.sourceInstance,
    State: { Code: 16, Name: 'running' },
    IamInstanceProfile: {
      Arn: 'arn:aws:iam::123456789012:instance-profile/team/app-profile',
      Id: 'AIPAEXAMPLE',
    },
    KeyName: IDS.keyName,
    SubnetId: IDS.subnet,
    VpcId: IDS.vpc,
    SecurityGroups: [
      { GroupId: IDS.securityGroup, GroupName: 'app' },
      { GroupId: 'sg-0bbbbbbbbbbbbbbbb', GroupName: 'ssh' },
    ],
    InstanceType: 't3.micro',
    Tags: [{ Key: 'Name', Value: 'app-server' }],
    ...overrides,
  };
}

function givenInstance(instance: Instance): void {
  mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance] }] });
}

const BACKED_UP = {
  IamInstanceProfileName: IDS.profileName,
  KeyName: IDS.keyName,
  SubnetId: IDS.subnet,
  VpcId: IDS.vpc,
  SecurityGroupIds: JSON.stringify([IDS.securityGroup]),
  InstanceType: 't3.small',
};

describe('resolve-source', () => {
  it('reads the facts from the live instance while it exists, without asking AWS Backup', async () => {
    givenInstance(liveInstance());

    const source = await resolveSource(stateAfter('select'), deps());

    expect(source).toEqual({
      instanceId: IDS.sourceInstance,
      exists: true,
      from: 'live-instance',
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/team/app-profile',
      instanceProfileName: 'app-profile',
      keyName: IDS.keyName,
      subnetId: IDS.subnet,
      vpcId: IDS.vpc,
      securityGroupIds: [IDS.securityGroup, 'sg-0bbbbbbbbbbbbbbbb'],
      instanceType: 't3.micro',
      name: 'app-server',
    });
    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      InstanceIds: [IDS.sourceInstance],
    });
    expect(mocks.backup).not.toHaveReceivedCommand(GetRecoveryPointRestoreMetadataCommand);
  });

  it('reports a live instance without profile, key or Name as nulls', async () => {
    givenInstance(liveInstance({ IamInstanceProfile: undefined, KeyName: undefined, Tags: [] }));

    const source = await resolveSource(stateAfter('select'), deps());

    expect(source).toMatchObject({
      instanceProfileArn: null,
      instanceProfileName: null,
      keyName: null,
      name: null,
    });
  });

  it('falls back to the restore metadata of the selected point when the instance is terminated', async () => {
    givenInstance(liveInstance({ State: { Code: 48, Name: 'terminated' }, KeyName: 'stale-key' }));
    mocks.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: BACKED_UP });

    const source = await resolveSource(stateAfter('select'), deps());

    expect(mocks.backup).toHaveReceivedCommandWith(GetRecoveryPointRestoreMetadataCommand, {
      BackupVaultName: IDS.vault,
      RecoveryPointArn: IDS.recoveryPointArn,
    });
    expect(source).toEqual({
      instanceId: IDS.sourceInstance,
      exists: false,
      from: 'restore-metadata',
      instanceProfileArn: IDS.profileArn,
      instanceProfileName: IDS.profileName,
      keyName: IDS.keyName,
      subnetId: IDS.subnet,
      vpcId: IDS.vpc,
      securityGroupIds: [IDS.securityGroup],
      instanceType: 't3.small',
      name: null,
    });
  });

  it('takes subnet and groups from the first network interface when the metadata has only that form', async () => {
    mocks.ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    mocks.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({
      RestoreMetadata: {
        KeyName: IDS.keyName,
        InstanceType: 't3.micro',
        NetworkInterfaces: JSON.stringify([
          {
            DeviceIndex: 0,
            SubnetId: IDS.otherSubnet,
            Groups: [IDS.securityGroup],
            NetworkInterfaceId: 'eni-0aaaaaaaaaaaaaaaa',
            PrivateIpAddress: '10.0.1.5',
          },
        ]),
      },
    });

    const source = await resolveSource(stateAfter('select'), deps());

    expect(source).toMatchObject({
      exists: false,
      from: 'restore-metadata',
      subnetId: IDS.otherSubnet,
      securityGroupIds: [IDS.securityGroup],
      instanceProfileArn: null,
      instanceProfileName: null,
      vpcId: null,
    });
  });

  it('treats malformed JSON in the metadata as absent instead of failing', async () => {
    mocks.ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    mocks.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({
      RestoreMetadata: {
        KeyName: IDS.keyName,
        SecurityGroupIds: '["sg-0aaa',
        NetworkInterfaces: '{not json',
      },
    });

    const source = await resolveSource(stateAfter('select'), deps());

    expect(source).toMatchObject({ keyName: IDS.keyName, subnetId: null, securityGroupIds: [] });
  });

  it('builds the instance profile ARN in the partition and account of the source', async () => {
    mocks.ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    mocks.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: BACKED_UP });
    const base = stateAfter('select');
    if (!base.selection) throw new Error('fixture has no selection');
    const state = {
      ...base,
      selection: {
        ...base.selection,
        resourceArn: `arn:aws-cn:ec2:cn-north-1:210987654321:instance/${IDS.sourceInstance}`,
        accountId: '210987654321',
      },
    };

    const source = await resolveSource(state, deps());

    expect(source.instanceProfileArn).toBe(
      `arn:aws-cn:iam::210987654321:instance-profile/${IDS.profileName}`,
    );
  });

  it('fails with NoRecoveryPointError when the selected point has vanished since selection', async () => {
    mocks.ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    mocks.backup.on(GetRecoveryPointRestoreMetadataCommand).rejects(awsError('ResourceNotFoundException'));

    const failure = resolveSource(stateAfter('select'), deps());

    await expect(failure).rejects.toBeInstanceOf(NoRecoveryPointError);
    await expect(failure).rejects.toThrow(IDS.recoveryPointArn);
  });

  it('lets throttling from EC2 propagate for the state machine to retry', async () => {
    mocks.ec2
      .on(DescribeInstancesCommand)
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.', 503));

    await expect(resolveSource(stateAfter('select'), deps())).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
    });
    expect(mocks.backup).not.toHaveReceivedCommand(GetRecoveryPointRestoreMetadataCommand);
  });

  it('refuses to run before a recovery point is selected', async () => {
    await expect(resolveSource(stateAfter('validate'), deps())).rejects.toThrow(/missing selection/);
  });

  it('runs through the Lambda handler', async () => {
    givenInstance(liveInstance());
    const handler = createHandler(step, { env: {}, clients, logger: captureLogger().logger });

    const source = await handler(stateAfter('select'));

    expect(source).toMatchObject({ from: 'live-instance', instanceProfileName: 'app-profile' });
  });
});
