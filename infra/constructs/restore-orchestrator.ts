import { FLEET_FUNCTION_IDS, type FleetFunctionId, FUNCTION_IDS, type FunctionId } from '@shared/env';
import { functionEnvironments } from '@shared/function-environments';
import { TagKeys } from '@shared/tags';
import { RestoreFleetWorkflow } from '@state-machines/restore-fleet/restore-fleet';
import { RestoreInstanceWorkflow } from '@state-machines/restore-instance/restore-instance';
import { type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { type NagPackSuppression, NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ExecutionAlarms } from './execution-alarms';
import { RestoreApi, type RestoreApiOptions } from './restore-api';
import { type RestoreTestSchedule, RestoreTestSchedules } from './restore-test-schedules';
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
  /**
   * Where the report step publishes outcomes and the alarms go. Pass your own to use, say, a
   * KMS-encrypted topic (its key policy must then allow cloudwatch.amazonaws.com).
   * @default a new topic
   */
  readonly notificationTopic?: sns.ITopic;
  /** Subscribed to the notification topic by e-mail (each address must confirm). @default none */
  readonly notificationEmails?: readonly string[];
  /** Scheduled restore tests (EventBridge Scheduler). @default none */
  readonly schedules?: readonly RestoreTestSchedule[];
  /** The IAM-authorised REST API, or `false` for none. @default an API with RestoreApiOptions' defaults */
  readonly api?: RestoreApiOptions | false;
}

/**
 * The restore-instance workflow deployed: the restore role AWS Backup assumes, one Lambda per
 * step with only the permissions that step uses, the state machine with logging and tracing,
 * the notification topic with alarms on failed and timed-out executions, and the two callers
 * that run without a person: scheduled restore tests and the REST API.
 */
export class RestoreOrchestrator extends Construct {
  readonly restoreRole: iam.Role;
  readonly stateMachine: sfn.StateMachine;
  /** restore-fleet: many restore-instance executions, started and awaited by one execution. */
  readonly fleetStateMachine: sfn.StateMachine;
  readonly fleetFunctions: Readonly<Record<FleetFunctionId, IFunction>>;
  readonly functions: Readonly<Record<FunctionId, IFunction>>;
  readonly notificationTopic: sns.ITopic;
  readonly alarms: ExecutionAlarms;
  /** Undefined when no schedule is configured. */
  readonly schedules: RestoreTestSchedules | undefined;
  /** Undefined when `api` is false. */
  readonly api: RestoreApi | undefined;

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
    // Since v25 (2025-11) the managed restore policy itself allows iam:PassRole on every role to
    // EC2, EKS and Backup (aws-facts §C), which would make the statement above decorative. An
    // explicit Deny wins over any Allow: this role may pass the configured instance roles and
    // nothing else, whatever AWS adds to the managed policy later.
    this.restoreRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PassOnlyTheConfiguredInstanceRoles',
        effect: iam.Effect.DENY,
        actions: ['iam:PassRole'],
        notResources: [...props.instanceRoleArns],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.restoreRole,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSBackupServiceRolePolicyForRestores is the policy AWS Backup documents for restores and keeps current; its broad iam:PassRole is cut down by the explicit Deny on this role.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
          ],
        },
        ...instanceRolePatternSuppression(props.instanceRoleArns),
      ],
      true,
    );

    this.notificationTopic = props.notificationTopic ?? this.createTopic();
    for (const email of props.notificationEmails ?? []) {
      this.notificationTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    const topicArn = this.notificationTopic.topicArn;

    const environments = functionEnvironments({
      restoreRoleArn: this.restoreRole.roleArn,
      keyPairParameterPrefix: prefix,
      notificationTopicArn: topicArn,
    });
    const functions = {} as Record<FunctionId, IFunction>;
    for (const step of FUNCTION_IDS) {
      const fn = new StepFunction(this, pascal(step), { step, environment: environments[step] as never })
        .function;
      const statements = this.permissions(step, { account, region, partition, prefix, topicArn, props });
      for (const statement of statements) fn.addToRolePolicy(statement);
      const suppressions = wildcardSuppressions(statements);
      if (step === 'reattach-instance-profile') {
        suppressions.push(...instanceRolePatternSuppression(props.instanceRoleArns));
      }
      if (suppressions.length > 0) NagSuppressions.addResourceSuppressions(fn, suppressions, true);
      functions[step] = fn;
    }
    this.functions = functions;

    const workflow = new RestoreInstanceWorkflow(this, 'Workflow', { functions });
    this.stateMachine = this.createStateMachine('RestoreInstance', 'StateMachineLogs', workflow);

    const fleetFunctions = {} as Record<FleetFunctionId, IFunction>;
    for (const step of FLEET_FUNCTION_IDS) {
      fleetFunctions[step] = new StepFunction(this, pascal(step), { step, environment: {} }).function;
    }
    // Read-only. ListBackupVaults and ListTags take no vault ARN (ListTags is asked about EC2
    // recovery points, whose ARNs are AMI ARNs), so they are on "*"; listing points is per vault.
    const listPoints = new iam.PolicyStatement({
      actions: ['backup:ListRecoveryPointsByBackupVault'],
      resources: [`arn:${partition}:backup:${region}:${account}:backup-vault:*`],
    });
    const resolveStatements = [
      new iam.PolicyStatement({ actions: ['backup:ListBackupVaults', 'backup:ListTags'], resources: ['*'] }),
      listPoints,
    ];
    for (const statement of resolveStatements) {
      fleetFunctions['resolve-fleet-targets'].addToRolePolicy(statement);
    }
    NagSuppressions.addResourceSuppressions(
      fleetFunctions['resolve-fleet-targets'],
      wildcardSuppressions(resolveStatements),
      true,
    );
    this.fleetFunctions = fleetFunctions;
    // CDK grants what startExecution.sync:2 needs (StartExecution on restore-instance only,
    // Describe/StopExecution on its executions, the StepFunctionsGetEventsForStepFunctionsExecutionRule
    // rule) and, for the Distributed Map, what AWS documents for child workflow executions
    // (StartExecution on this state machine, Describe/StopExecution on its executions, RedriveExecution
    // on its Map Runs): https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html and
    // https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
    const fleet = new RestoreFleetWorkflow(this, 'FleetWorkflow', {
      functions: fleetFunctions,
      restoreInstance: this.stateMachine,
    });
    this.fleetStateMachine = this.createStateMachine('RestoreFleet', 'FleetStateMachineLogs', fleet);
    NagSuppressions.addResourceSuppressions(
      this.fleetStateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'states:DescribeExecution/StopExecution (and RedriveExecution on Map Runs) on the executions of restore-instance (startExecution.sync:2) and of this state machine (Distributed Map child workflows): execution names are only known at run time.',
          appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:states:.*:execution:.*\\*$/' }],
        },
      ],
      true,
    );

    this.schedules =
      props.schedules && props.schedules.length > 0
        ? new RestoreTestSchedules(this, 'Schedules', {
            stateMachine: this.stateMachine,
            schedules: props.schedules,
          })
        : undefined;
    this.alarms = new ExecutionAlarms(this, 'Alarms', {
      stateMachine: this.stateMachine,
      fleetStateMachine: this.fleetStateMachine,
      topic: this.notificationTopic,
      deadLetterQueue: this.schedules?.deadLetterQueue,
    });
    this.api =
      props.api === false
        ? undefined
        : new RestoreApi(this, 'Api', { stateMachine: this.stateMachine, ...props.api });
  }

  /** A state machine as this project deploys them: logs ALL with execution data, tracing, a timeout. */
  private createStateMachine(
    id: string,
    logsId: string,
    workflow: { readonly startState: sfn.IChainable; readonly timeout: Duration },
  ): sfn.StateMachine {
    const stateMachine = new sfn.StateMachine(this, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(workflow.startState),
      timeout: workflow.timeout,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, logsId, { retention: logs.RetentionDays.THREE_MONTHS }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    NagSuppressions.addResourceSuppressions(
      stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'CDK grants lambda:InvokeFunction on each step function and its versions (<function arn>:*), and only on the step functions.',
          appliesTo: [{ regex: '/^Resource::<[A-Za-z0-9]+Function[0-9A-F]{8}\\.Arn>:\\*$/' }],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'X-Ray tracing and log delivery to CloudWatch Logs (logs:*LogDelivery*, DescribeLogGroups/ResourcePolicies) support no resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    return stateMachine;
  }

  private createTopic(): sns.Topic {
    const topic = new sns.Topic(this, 'Notifications', {
      displayName: 'EC2 restore outcomes',
      enforceSSL: true,
    });
    NagSuppressions.addResourceSuppressions(topic, [
      {
        id: 'AwsSolutions-SNS2',
        reason:
          'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key, and the messages (instance ids, statuses, timings) hold no secrets. Pass notificationTopic to use a topic encrypted with your own key.',
      },
    ]);
    return topic;
  }

  /** The permissions each step needs and nothing more. */
  private permissions(
    step: FunctionId,
    ctx: {
      account: string;
      region: string;
      partition: string;
      prefix: string;
      topicArn: string;
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
        return [new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [keyParameters] })];
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
          new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [ctx.topicArn] }),
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

/**
 * Why a step's policy may hold a wildcard resource. Only the reasons whose pattern occurs in the
 * step's own statements are attached to it, so a new wildcard elsewhere is still reported.
 */
const WILDCARD_REASONS: readonly { resource: RegExp; finding: string; reason: string }[] = [
  {
    resource: /^\*$/,
    finding: '/^Resource::\\*$/',
    reason:
      'EC2 Describe* calls support no resource-level permissions; the Backup calls here support none either or, like StartRestoreJob, take EC2 recovery points whose ARNs are AMI ARNs, which cannot be scoped usefully in advance.',
  },
  {
    resource: /:instance\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:instance\\/\\*$/',
    reason:
      'Restored instance ids are unknown until the restore job ends; every write except the first tagging is conditioned on the tag the workflow puts on what it created.',
  },
  {
    resource: /:elastic-ip\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:elastic-ip\\/\\*$/',
    reason:
      'Allocation ids are unknown in advance; allocation requires the workflow tag in the request and every other write requires it on the address.',
  },
  {
    resource: /:volume\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:volume\\/\\*$/',
    reason:
      'Tags the volumes of the instance just restored, whose ids are unknown in advance (CreateTags only).',
  },
  {
    resource: /:parameter\/.*\*$/,
    finding: '/^Resource::arn:.*:ssm:.*:parameter\\/.*\\*$/',
    reason:
      'One private key parameter per key pair id, named under the configured key-pair prefix only (ssm:GetParameter only).',
  },
  {
    resource: /:backup-vault:\*$/,
    finding: '/^Resource::arn:.*:backup:.*:backup-vault:\\*$/',
    reason:
      'The fleet lists recovery points in every vault when no vault is named (read-only ListRecoveryPointsByBackupVault).',
  },
  {
    resource: /:instance-profile\/\*$/,
    finding: '/^Resource::arn:.*:iam::.*:instance-profile\\/\\*$/',
    reason: 'The source instance profile is discovered at run time; iam:GetInstanceProfile is read-only.',
  },
];

function wildcardSuppressions(statements: readonly iam.PolicyStatement[]): NagPackSuppression[] {
  const resources = statements.flatMap((statement) => statement.resources);
  return WILDCARD_REASONS.filter((w) => resources.some((r) => w.resource.test(r))).map((w) => ({
    id: 'AwsSolutions-IAM5',
    reason: w.reason,
    appliesTo: [{ regex: w.finding }],
  }));
}

/** Instance roles may be configured as ARN patterns (role/app/*): PassRole then has a wildcard, by design. */
function instanceRolePatternSuppression(roleArns: readonly string[]): NagPackSuppression[] {
  const patterns = roleArns.filter((arn) => arn.includes('*'));
  if (patterns.length === 0) return [];
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'iam:PassRole on the instance-role ARN patterns configured in instanceRoleArns, only to ec2.amazonaws.com.',
      appliesTo: patterns.map((arn) => `Resource::${arn}`),
    },
  ];
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}
