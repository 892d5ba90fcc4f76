/**
 * The security review's infra findings: the customer-managed key (topic, state machines, their
 * log groups) in its three forms, the trust conditions of every service role, and the vault
 * access policy that keeps recovery points from being deleted.
 */
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { ENV, synthApp } from './synth';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const logicalId = (stack: Stack, construct: IConstruct) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

interface TrustStatement {
  Principal?: { Service?: string };
  Condition?: Record<string, Record<string, unknown>>;
}

function trustOf(template: Template, service: string): TrustStatement[] {
  return Object.values(template.findResources('AWS::IAM::Role'))
    .flatMap((role) => role.Properties.AssumeRolePolicyDocument.Statement as TrustStatement[])
    .filter((statement) => statement.Principal?.Service === service);
}

describe('the customer-managed key', () => {
  const { orchestrator: stack } = synthApp();
  const template = Template.fromStack(stack);
  const key = { 'Fn::GetAtt': [logicalId(stack, stack.orchestrator.encryptionKey!), 'Arn'] };

  it('is created by default, rotated yearly and kept when the stack is deleted', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, RotationPeriodInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  it('lets CloudWatch alarms publish to the encrypted topic and CloudWatch Logs encrypt this account’s log groups', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
          Match.objectLike({
            Sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
            Principal: { Service: `logs.${ENV.region}.amazonaws.com` },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${ENV.region}:${ENV.account}:log-group:*`,
              },
            },
          }),
          // Step Functions' log delivery, added by aws-cdk-lib for an encrypted, logging state machine.
          Match.objectLike({ Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 'kms:Decrypt*' }),
        ]),
      },
    });
  });

  it('encrypts the topic, both state machines and both state machine log groups', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: key });
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines.map((m) => m.Properties.EncryptionConfiguration)).toEqual([
      { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: key, KmsDataKeyReusePeriodSeconds: 300 },
      { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: key, KmsDataKeyReusePeriodSeconds: 300 },
    ]);
    for (const id of ['StateMachineLogs', 'FleetStateMachineLogs']) {
      const group = stack.orchestrator.node.findChild(id);
      expect(template.toJSON().Resources[logicalId(stack, group)].Properties.KmsKeyId).toEqual(key);
    }
  });

  it('lets each state machine role use the key for the executions of this account’s state machines', () => {
    const roles = [stack.orchestrator.stateMachine.role, stack.orchestrator.fleetStateMachine.role];
    for (const role of roles) {
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === logicalId(stack, role)),
      );
      expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: key,
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:states:stateMachineArn': `arn:aws:states:${ENV.region}:${ENV.account}:stateMachine:*`,
          },
        },
      });
    }
  });

  it('uses a key given by ARN and creates none', () => {
    const { orchestrator: given } = synthApp({ kmsKey: KEY_ARN });
    const t = Template.fromStack(given);

    t.resourceCountIs('AWS::KMS::Key', 0);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: KEY_ARN });
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: KEY_ARN },
    });
    t.hasOutput('EncryptionKeyArn', { Value: KEY_ARN });
  });

  it('with kmsKey none, encrypts nothing with a key of its own', () => {
    const { orchestrator: none } = synthApp({ kmsKey: 'none' });
    const t = Template.fromStack(none);

    t.resourceCountIs('AWS::KMS::Key', 0);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', { EncryptionConfiguration: Match.absent() });
    expect(JSON.stringify(t.toJSON())).not.toContain('kms:');
  });
});

describe('trust conditions on the service roles', () => {
  const { orchestrator, backup } = synthApp();
  const template = Template.fromStack(orchestrator);

  it('lets AWS Backup assume the restore role without a condition Backup is not documented to meet', () => {
    const role = template.toJSON().Resources[logicalId(orchestrator, orchestrator.orchestrator.restoreRole)];

    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'backup.amazonaws.com' },
      },
    ]);
  });

  it('lets Step Functions assume the state machine roles only for state machines of this account and region', () => {
    const states = trustOf(template, 'states.amazonaws.com');

    expect(states).toHaveLength(2);
    for (const statement of states) {
      expect(statement.Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': ENV.account },
        ArnLike: { 'aws:SourceArn': `arn:aws:states:${ENV.region}:${ENV.account}:stateMachine:*` },
      });
    }
  });

  it('conditions every Step Functions and Scheduler role of both stacks on this account, and no Backup role', () => {
    const { orchestrator: withSchedules } = synthApp({
      restoreTestSchedules: [
        { name: 'nightly', expression: 'rate(1 day)', input: { instanceId: 'i-0123456789abcdef0' } },
      ],
    });
    const templates = [Template.fromStack(withSchedules), Template.fromStack(backup!)];
    const services = ['states.amazonaws.com', 'scheduler.amazonaws.com'];
    const statements = templates.flatMap((t) => services.flatMap((service) => trustOf(t, service)));
    const backupRoles = templates.flatMap((t) => trustOf(t, 'backup.amazonaws.com'));

    expect(statements.length).toBe(4); // two state machines, the restore tests' scheduler, the janitor's
    for (const statement of statements) {
      expect(statement.Condition?.StringEquals?.['aws:SourceAccount']).toBe(ENV.account);
    }
    expect(backupRoles).toHaveLength(2); // restore role, backup role
    for (const statement of backupRoles) expect(statement.Condition).toBeUndefined();
  });
});

describe('the backup vault access policy', () => {
  const policyOf = (context: Record<string, unknown>) => {
    const { backup } = synthApp(context);
    const t = Template.fromStack(backup!);
    const vault = Object.values(t.findResources('AWS::Backup::BackupVault'))[0];
    return { policy: vault?.Properties.AccessPolicy, backup: backup!, template: t };
  };

  it('by default denies deleting recovery points or changing their lifecycle to all but the break-glass role and AWS Backup itself', () => {
    const { policy, backup, template } = policyOf({});
    const role = logicalId(backup, backup.backupPlan.role);

    expect(policy.Statement).toEqual([
      {
        Sid: 'OnlyBreakGlassDeletesRecoveryPoints',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'],
        Resource: '*',
        Condition: {
          ArnNotLike: {
            'aws:PrincipalArn': [
              `arn:aws:iam::${ENV.account}:role/ec2-restore-backup-break-glass`,
              { 'Fn::GetAtt': [role, 'Arn'] },
              `arn:aws:iam::${ENV.account}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup`,
            ],
          },
        },
      },
    ]);
    // The exempted backup role is the one the plan's lifecycle deletions run as.
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: { IamRoleArn: { 'Fn::GetAtt': [role, 'Arn'] } },
    });
  });

  it('exempts the break-glass role the context names', () => {
    const breakGlass = 'arn:aws:iam::123456789012:role/security/backup-admin';
    const { policy } = policyOf({ breakGlassRoleArn: breakGlass });

    expect(policy.Statement[0].Condition.ArnNotLike['aws:PrincipalArn'][0]).toBe(breakGlass);
  });

  it('is left out with protectRecoveryPoints false', () => {
    expect(policyOf({ protectRecoveryPoints: false }).policy).toBeUndefined();
  });
});
