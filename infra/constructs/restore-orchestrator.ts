import { FUNCTION_IDS, type FunctionId } from '@shared/env';
import { TagKeys } from '@shared/tags';
import { RestoreInstanceWorkflow } from '@state-machines/restore-instance/restore-instance';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { functionEnvironments } from '../function-environments';
import { StepFunction } from './step-function';

export interface RestoreOrchestratorProps {
  /**
   * Roles inside the instance profiles of the instances this orchestrator may restore. The
   * restore role may pass exactly these to EC2 (restore with the original profile), and so may
   * the reattach step. Role ARNs, or ARN patterns such as `arn:aws:iam::123456789012:role/app/*`.
   */
  readonly instanceRoleArns: readonly string[];
  /**
   * Where the private keys of key pairs live in Parameter Store.
   * @default '/ec2/keypair/' (where CloudFormation's AWS::EC2::KeyPair stores them)
   */
  readonly keyPairParameterPrefix?: string;
  /** @default none: the report step publishes nothing */
  readonly notificationTopicArn?: string;
}

/**
 * The restore-instance workflow deployed: the restore role AWS Backup assumes, one Lambda per
 * step with only the permissions that step uses, and the state machine with logging and tracing.
 */
export class RestoreOrchestrator extends Construct {
  readonly restoreRole: iam.Role;
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Readonly<Record<FunctionId, IFunction>>;

  constructor(scope: Construct, id: string, props: RestoreOrchestratorProps) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);
    const prefix = props.keyPairParameterPrefix ?? '/ec2/keypair/';
    if (props.instanceRoleArns.length === 0) {
      throw new Error(
        'RestoreOrchestrator: instanceRoleArns must name at least one instance role (PassRole is never granted on *).',
      );
    }

    this.restoreRole = new iam.Role(this, 'RestoreRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'Assumed by AWS Backup to restore EC2 instances for ec2-restore-orchestrator',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores'),
      ],
    });
    this.restoreRole.addToPolicy(passRoleTo('ec2.amazonaws.com', props.instanceRoleArns));

    const environments = functionEnvironments({
      restoreRoleArn: this.restoreRole.roleArn,
      keyPairParameterPrefix: prefix,
      notificationTopicArn: props.notificationTopicArn,
    });
    const functions = {} as Record<FunctionId, IFunction>;
    for (const step of FUNCTION_IDS) {
      const fn = new StepFunction(this, pascal(step), { step, environment: environments[step] as never })
        .function;
      for (const statement of this.permissions(step, { account, region, partition, prefix, props })) {
        fn.addToRolePolicy(statement);
      }
      functions[step] = fn;
    }
    this.functions = functions;

    const workflow = new RestoreInstanceWorkflow(this, 'Workflow', { functions });
    this.stateMachine = new sfn.StateMachine(this, 'RestoreInstance', {
      definitionBody: sfn.DefinitionBody.fromChainable(workflow.startState),
      timeout: workflow.timeout,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
  }

  /** The permissions each step needs and nothing more. */
  private permissions(
    step: FunctionId,
    ctx: {
      account: string;
      region: string;
      partition: string;
      prefix: string;
      props: RestoreOrchestratorProps;
    },
  ): iam.PolicyStatement[] {
    const arn = (service: string, resource: string, regional = true) =>
      `arn:${ctx.partition}:${service}:${regional ? ctx.region : ''}:${ctx.account}:${resource}`;
    const instances = arn('ec2', 'instance/*');
    const addresses = arn('ec2', 'elastic-ip/*');
    // EC2 Describe* and the Backup read calls used here do not support resource-level permissions
    // (EC2 recovery points are AMI ARNs, not Backup ARNs), so they are granted on "*".
    const read = (...actions: string[]) => new iam.PolicyStatement({ actions, resources: ['*'] });
    const keyParameters = arn('ssm', `parameter/${ctx.prefix.replace(/^\//, '')}*`);
    // Writes to instances and addresses are limited to what the workflow tagged as its own.
    const ownedBy = { StringLike: { [`aws:ResourceTag/${TagKeys.Execution}`]: '*' } };
    const cleanupStatements = [
      read('ec2:DescribeInstances', 'ec2:DescribeAddresses', 'ec2:DescribeInstanceAttribute'),
      new iam.PolicyStatement({
        actions: ['ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute'],
        resources: [instances],
        conditions: ownedBy,
      }),
      new iam.PolicyStatement({
        actions: ['ec2:DisassociateAddress', 'ec2:ReleaseAddress'],
        resources: [addresses],
        conditions: ownedBy,
      }),
      // DisassociateAddress is authorised on the instance side too.
      new iam.PolicyStatement({
        actions: ['ec2:DisassociateAddress'],
        resources: [instances],
        conditions: ownedBy,
      }),
    ];
    switch (step) {
      case 'validate-input':
        return [];
      case 'select-recovery-point':
        return [
          read(
            'backup:ListRecoveryPointsByResource',
            'backup:ListBackupVaults',
            'backup:DescribeRecoveryPoint',
          ),
        ];
      case 'resolve-source':
        return [read('ec2:DescribeInstances', 'backup:GetRecoveryPointRestoreMetadata')];
      case 'plan-restore':
        return [
          read(
            'backup:GetRecoveryPointRestoreMetadata',
            'ec2:DescribeSubnets',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeKeyPairs',
          ),
          new iam.PolicyStatement({
            actions: ['iam:GetInstanceProfile'],
            resources: [arn('iam', 'instance-profile/*', false)],
          }),
          new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [keyParameters] }),
        ];
      case 'start-restore-job':
        return [
          read('backup:StartRestoreJob'),
          passRoleTo('backup.amazonaws.com', [this.restoreRole.roleArn]),
        ];
      case 'poll-restore-job':
        return [read('backup:DescribeRestoreJob')];
      case 'wait-instance':
        return [read('ec2:DescribeInstances')];
      case 'tag-resources':
        // The restored instance carries no tag of ours yet: this step is what tags it.
        return [
          read('ec2:DescribeInstances'),
          new iam.PolicyStatement({
            actions: ['ec2:CreateTags'],
            resources: [instances, arn('ec2', 'volume/*')],
          }),
        ];
      case 'reattach-instance-profile':
        return [
          read('ec2:DescribeIamInstanceProfileAssociations'),
          new iam.PolicyStatement({
            actions: ['ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation'],
            resources: [instances],
            conditions: ownedBy,
          }),
          passRoleTo('ec2.amazonaws.com', ctx.props.instanceRoleArns),
        ];
      case 'ensure-public-address':
        return [
          read('ec2:DescribeAddresses', 'ec2:DescribeInstances', 'ec2:DescribeSubnets'),
          new iam.PolicyStatement({
            actions: ['ec2:AllocateAddress'],
            resources: [addresses],
            conditions: { StringLike: { [`aws:RequestTag/${TagKeys.Execution}`]: '*' } },
          }),
          new iam.PolicyStatement({
            actions: ['ec2:CreateTags'],
            resources: [addresses],
            conditions: { StringEquals: { 'ec2:CreateAction': 'AllocateAddress' } },
          }),
          new iam.PolicyStatement({
            actions: ['ec2:AssociateAddress', 'ec2:ReleaseAddress'],
            resources: [addresses],
            conditions: ownedBy,
          }),
          new iam.PolicyStatement({
            actions: ['ec2:AssociateAddress'],
            resources: [instances],
            conditions: ownedBy,
          }),
        ];
      case 'check-ssh':
        return [
          read('ec2:DescribeKeyPairs'),
          new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [keyParameters] }),
        ];
      case 'cleanup':
        return cleanupStatements;
      case 'handle-failure':
        // Tags the instance with the failed step (recovery mode) and cleans up (test mode).
        return [
          ...cleanupStatements,
          new iam.PolicyStatement({ actions: ['ec2:CreateTags'], resources: [instances] }),
        ];
      case 'report':
        return [
          read('backup:PutRestoreValidationResult'),
          ...(ctx.props.notificationTopicArn
            ? [
                new iam.PolicyStatement({
                  actions: ['sns:Publish'],
                  resources: [ctx.props.notificationTopicArn],
                }),
              ]
            : []),
        ];
    }
  }
}

/** iam:PassRole on exactly these roles, and only to this service. */
function passRoleTo(service: string, roleArns: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [...roleArns],
    conditions: { StringEquals: { 'iam:PassedToService': service } },
  });
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}
