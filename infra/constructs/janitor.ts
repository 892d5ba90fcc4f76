import type { JanitorEnvironment } from '@lambdas/janitor/janitor-env';
import {
  ENDED_STATUSES,
  RESTORE_JOB_STATE_CHANGE,
  SFN_STATUS_CHANGE,
  SWEEP_INPUT,
} from '@lambdas/janitor/janitor-events';
import { TagKeys } from '@shared/tags';
import { ArnFormat, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { stepCode } from '../bundling/step-code';
import { claimStatement } from '../step-policies';

/**
 * The CloudFormation metadata key that names what a function runs: the emulator reads it from the
 * synthesised template to bind the target of the janitor's rules and schedule to its handler.
 */
export const FUNCTION_METADATA_KEY = 'ec2-restore:function';

export interface JanitorProps {
  readonly stateMachine: sfn.StateMachine;
  readonly fleetStateMachine: sfn.StateMachine;
  /** The role restore jobs run with: the Backup rule matches only jobs with this role. */
  readonly restoreRoleArn: string;
  readonly topic: sns.ITopic;
  /** The topic's key when the stack created both (publishing encrypts with it). */
  readonly topicKey?: kms.IKey;
  /** EventBridge Scheduler expression of the sweep. @default 'rate(1 hour)' */
  readonly sweepSchedule?: string;
  /** How long after its execution ended a test-mode resource is left before the sweep removes it. @default 30 */
  readonly retentionMinutes?: number;
}

/**
 * Nothing left behind, however an execution ends (lambdas/janitor): one Lambda, invoked by
 * - a rule on Step Functions "Execution Status Change" (ABORTED, TIMED_OUT, FAILED) of the two
 *   state machines,
 * - a rule on AWS Backup "Restore Job State Change" COMPLETED of jobs run with the restore role
 *   (a job that finished after its execution gave up),
 * - an EventBridge Scheduler schedule: the sweep, for what the best-effort events missed.
 * Deliveries that fail after their retries land in a dead-letter queue. The function may
 * terminate and release only what carries this product's test-mode tags, tag only with this
 * product's tag keys, and read only the two state machines' executions.
 */
export class Janitor extends Construct {
  readonly function: lambda.Function;
  readonly executionRule: events.Rule;
  readonly restoreJobRule: events.Rule;
  readonly sweepSchedule: scheduler.Schedule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: JanitorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const environment: { [K in keyof JanitorEnvironment]-?: string } & Record<string, string> = {
      RESTORE_STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
      FLEET_STATE_MACHINE_ARN: props.fleetStateMachine.stateMachineArn,
      RESTORE_ROLE_ARN: props.restoreRoleArn,
      NOTIFICATION_TOPIC_ARN: props.topic.topicArn,
      SWEEP_RETENTION_MINUTES: String(props.retentionMinutes ?? 30),
      RESTORE_JOB_LOOKBACK_HOURS: '48',
      METRIC_NAMESPACE: 'Ec2RestoreOrchestrator/Janitor',
      LOG_LEVEL: 'INFO',
    };
    // Deliveries EventBridge and Scheduler give up on, and invocations that failed all of Lambda's
    // asynchronous retries (a rule target's DLQ only sees failed deliveries, not failed functions).
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Bundled like every step Lambda (infra/lambda-bundling.ts): lambdas/janitor/handler.ts.
    this.function = new lambda.Function(this, 'Function', {
      code: stepCode('janitor'),
      handler: 'index.handler',
      description: 'ec2-restore-orchestrator janitor: removes what test-mode executions left behind',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A sweep may read many histories; a stuck call still ends well inside EventBridge's retries.
      timeout: Duration.minutes(5),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      deadLetterQueue: this.deadLetterQueue,
      environment: { POWERTOOLS_SERVICE_NAME: 'ec2-restore-orchestrator', ...environment },
    });
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(FUNCTION_METADATA_KEY, 'janitor');
    for (const statement of janitorStatements(stack, props)) this.function.addToRolePolicy(statement);
    if (props.topicKey) props.topicKey.grant(this.function, 'kms:Decrypt', 'kms:GenerateDataKey');

    const target = new eventTargets.LambdaFunction(this.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 10,
      maxEventAge: Duration.hours(6),
    });
    this.executionRule = new events.Rule(this, 'ExecutionEndedRule', {
      description: 'ec2-restore janitor: a restore execution ended without succeeding',
      eventPattern: {
        source: ['aws.states'],
        detailType: [SFN_STATUS_CHANGE],
        detail: {
          status: [...ENDED_STATUSES],
          stateMachineArn: [props.stateMachine.stateMachineArn, props.fleetStateMachine.stateMachineArn],
        },
      },
      targets: [target],
    });
    this.restoreJobRule = new events.Rule(this, 'RestoreJobCompletedRule', {
      description: 'ec2-restore janitor: a restore job of this product completed',
      eventPattern: {
        source: ['aws.backup'],
        detailType: [RESTORE_JOB_STATE_CHANGE],
        // `status`, not `state`: only the CREATED event says `state` (docs/aws-facts.md A.11).
        detail: { status: ['COMPLETED'], iamRoleArn: [props.restoreRoleArn] },
      },
      targets: [target],
    });
    // SourceAccount stops another account's schedules from using this role (confused deputy).
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: "Assumed by EventBridge Scheduler to invoke the janitor's sweep",
    });
    this.sweepSchedule = new scheduler.Schedule(this, 'SweepSchedule', {
      description: 'ec2-restore janitor sweep: test-mode leftovers of ended executions',
      schedule: scheduler.ScheduleExpression.expression(props.sweepSchedule ?? 'rate(1 hour)'),
      timeWindow: scheduler.TimeWindow.off(),
      target: new schedulerTargets.LambdaInvoke(this.function, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject(SWEEP_INPUT),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });

    NagSuppressions.addResourceSuppressions(
      schedulerRole,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'CDK grants lambda:InvokeFunction on the janitor function and its versions and aliases (<function arn>:*), and on nothing else.',
          appliesTo: [{ regex: '/^Resource::<.*JanitorFunction[0-9A-F]+\\.Arn>:\\*$/' }],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      this.function,
      [
        {
          id: 'AwsSolutions-L1',
          reason:
            'Node 22 is pinned on purpose, as for the step functions (infra/constructs/step-function.ts).',
        },
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSLambdaBasicExecutionRole only allows writing logs (CreateLogGroup/CreateLogStream/PutLogEvents); the function logs to its own log group.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'EC2 Describe*, backup:DescribeRestoreJob/ListRestoreJobs and X-Ray support no resource-level permissions. Instances, Elastic IPs and network interfaces are unknown in advance: terminating and releasing is limited by condition to resources tagged ec2-restore:mode=test, tagging to the ec2-restore tag keys. Execution ARNs of the two state machines are only known at run time.',
          appliesTo: [
            'Resource::*',
            { regex: '/^Resource::arn:.*:ec2:.*:(instance|elastic-ip|network-interface)\\/\\*$/' },
            { regex: '/^Resource::arn:.*:states:.*:execution:.*:\\*$/' },
          ],
        },
      ],
      true,
    );
  }
}

/**
 * What the janitor may do. Removal is conditioned on the test-mode tag, so even a bug in its code
 * cannot terminate a recovered server: the instance or address must say `ec2-restore:mode=test`.
 */
function janitorStatements(stack: Stack, props: JanitorProps): iam.PolicyStatement[] {
  const arn = (resource: string) => stack.formatArn({ service: 'ec2', resource, resourceName: '*' });
  const instances = arn('instance');
  const addresses = arn('elastic-ip');
  const executionsOf = (machine: sfn.StateMachine) =>
    stack.formatArn({
      service: 'states',
      resource: 'execution',
      // The name as operator-policies.ts writes it (from the ARN, not GetAtt Name): the form the
      // emulator's IAM resolves, and the same ARN on AWS.
      resourceName: `${Fn.select(6, Fn.split(':', machine.stateMachineArn))}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  const testMode = { StringEquals: { [`aws:ResourceTag/${TagKeys.Mode}`]: 'test' } };
  const executionTag = `aws:ResourceTag/${TagKeys.Execution}`;
  // The value every execution tag holds: an execution ARN of this account and Region.
  const executionArns = stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  return [
    new iam.PolicyStatement({
      actions: [
        'ec2:DescribeInstances',
        'ec2:DescribeAddresses',
        'ec2:DescribeInstanceAttribute',
        'backup:DescribeRestoreJob',
        'backup:ListRestoreJobs',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      actions: ['ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute'],
      resources: [instances],
      conditions: testMode,
    }),
    new iam.PolicyStatement({
      actions: ['ec2:DisassociateAddress', 'ec2:ReleaseAddress'],
      resources: [addresses],
      conditions: testMode,
    }),
    // DisassociateAddress is also checked on the network interface, which carries no tag of ours
    // (as in infra/step-policies.ts); the address's own condition above still applies.
    new iam.PolicyStatement({ actions: ['ec2:DisassociateAddress'], resources: [arn('network-interface')] }),
    // Claiming an untagged restored instance, under the steps' claim conditions.
    claimStatement(instances, executionArns, ['test', 'recovery'], [TagKeys.Execution, TagKeys.Mode]),
    // The outcome, only on what some execution tagged as its own.
    new iam.PolicyStatement({
      actions: ['ec2:CreateTags'],
      resources: [instances, addresses],
      conditions: {
        StringLike: { [executionTag]: executionArns },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [TagKeys.Outcome] },
      },
    }),
    new iam.PolicyStatement({
      actions: ['states:ListExecutions'],
      resources: [props.stateMachine.stateMachineArn, props.fleetStateMachine.stateMachineArn],
    }),
    new iam.PolicyStatement({
      actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
      resources: [executionsOf(props.stateMachine), executionsOf(props.fleetStateMachine)],
    }),
    new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
  ];
}
