import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthApp } from './synth';

const { backup } = synthApp();
const template = Template.fromStack(backup!);

describe('backup stack', () => {
  it('creates vault EC2 with the default aws/backup key, and keeps it when the stack is deleted', () => {
    template.hasResource('AWS::Backup::BackupVault', {
      Properties: { BackupVaultName: 'EC2', EncryptionKeyArn: Match.absent() },
      DeletionPolicy: 'Retain',
    });
  });

  it('backs up daily at 21:00 UTC into the vault, starting within an hour, kept 30 days, no cold storage or copy', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: 'EC2',
        BackupPlanRule: [
          {
            RuleName: 'EC2',
            ScheduleExpression: 'cron(0 21 * * ? *)',
            StartWindowMinutes: 60,
            Lifecycle: { DeleteAfterDays: 30, MoveToColdStorageAfterDays: Match.absent() },
            CopyActions: Match.absent(),
            TargetBackupVault: { 'Fn::GetAtt': [Match.anyValue(), 'BackupVaultName'] },
          },
        ],
      },
    });
  });

  it('selects what is tagged AWSBackup=EC2 as Tag-AWSBackup-EC2, backed up by a role with the managed backup policy', () => {
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: {
        SelectionName: 'Tag-AWSBackup-EC2',
        ListOfTags: [{ ConditionKey: 'AWSBackup', ConditionValue: 'EC2', ConditionType: 'STRINGEQUALS' }],
        IamRoleArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
            ],
          ],
        },
      ],
    });
  });

  it('takes every name and number from context', () => {
    const { backup: custom } = synthApp({
      backupVaultName: 'Prod',
      backupPlanName: 'ProdPlan',
      backupRuleName: 'Nightly',
      backupSchedule: 'cron(0 2 * * ? *)',
      backupScheduleTimeZone: 'Asia/Tokyo',
      backupStartWindowMinutes: '120',
      backupDeleteAfterDays: '7',
      backupSelectionName: 'Tag-Backup-Prod',
      backupTagKey: 'Backup',
      backupTagValue: 'Prod',
    });
    const t = Template.fromStack(custom!);

    t.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: 'Prod' });
    t.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: 'ProdPlan',
        BackupPlanRule: [
          Match.objectLike({
            RuleName: 'Nightly',
            ScheduleExpression: 'cron(0 2 * * ? *)',
            ScheduleExpressionTimezone: 'Asia/Tokyo',
            StartWindowMinutes: 120,
            Lifecycle: { DeleteAfterDays: 7 },
          }),
        ],
      },
    });
    t.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({
        SelectionName: 'Tag-Backup-Prod',
        ListOfTags: [{ ConditionKey: 'Backup', ConditionValue: 'Prod', ConditionType: 'STRINGEQUALS' }],
      }),
    });
  });

  it('is not created when deployBackupStack is false', () => {
    const { app, backup: none } = synthApp({ deployBackupStack: false });

    expect(none).toBeUndefined();
    expect(app.node.tryFindChild('Ec2RestoreBackup')).toBeUndefined();
  });
});
