import {
  type AnyFunctionId,
  FLEET_FUNCTION_IDS,
  type FleetFunctionId,
  FUNCTION_IDS,
  type FunctionEnvironment,
  type FunctionId,
} from '@shared/env';
import { functionEnvironments, type RestoreGuardrails } from '@shared/function-environments';
import { SSH_CHECK_TIMEOUT_SECONDS } from '@shared/ssh-budget';
import { RestoreFleetWorkflow } from '@state-machines/restore-fleet/restore-fleet';
import { RestoreInstanceWorkflow } from '@state-machines/restore-instance/restore-instance';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { NagPackSuppression } from 'cdk-nag';
import { Construct } from 'constructs';
import { stepPolicies } from '../step-policies';
import { EncryptionKey } from './encryption-key';
import { ExecutionAlarms } from './execution-alarms';
import { Janitor, type JanitorProps } from './janitor';
import { NotificationTopic } from './notification-topic';
import { OperatorPolicies } from './operator-policies';
import { RestoreApi, type RestoreApiOptions } from './restore-api';
import { RestoreRole } from './restore-role';
import { type RestoreTestSchedule, RestoreTestSchedules } from './restore-test-schedules';
import { type SshProbeNetwork, SshProbes } from './ssh-probes';
import { StepFunction } from './step-function';
import { WorkflowStateMachine } from './workflow-state-machine';

export interface RestoreOrchestratorProps {
  /**
   * Roles inside the instance profiles of the instances this orchestrator may restore. The
   * restore role may pass exactly these to EC2 (restore with the original profile), and so may
   * the reattach step. Role ARNs, or ARN patterns such as `arn:aws:iam::123456789012:role/app/*`.
   * A pattern that matches every role (`role/*`, `*`) throws unless `allowAccountWidePassRole`.
   */
  readonly instanceRoleArns: readonly string[];
  /**
   * Accept instance-role patterns that match every role of the account, so that a restore may
   * give an instance any role, administrators' included.
   * @default false
   */
  readonly allowAccountWidePassRole?: boolean;
  /**
   * Where the private keys of key pairs live in Parameter Store.
   * @default '/ec2/keypair/' (where CloudFormation's AWS::EC2::KeyPair stores them)
   */
  readonly keyPairParameterPrefix?: string;
  /**
   * The customer-managed KMS key of the notifications topic, both state machines and their log
   * groups: `create` a new one, `none`, or a key of your own (by ARN or as a construct), whose
   * policy must allow what EncryptionKey's does (infra/README.md).
   * @default 'create'
   */
  readonly encryptionKey?: 'create' | 'none' | { readonly keyArn: string } | kms.IKey;
  /**
   * Where the report step publishes outcomes and the alarms go. A topic of your own must let
   * the report function publish (and use its key, if encrypted) and cloudwatch.amazonaws.com too.
   * @default a new topic, encrypted with `encryptionKey`
   */
  readonly notificationTopic?: sns.ITopic;
  /** Subscribed to the notification topic by e-mail (each address must confirm). @default none */
  readonly notificationEmails?: readonly string[];
  /** Scheduled restore tests (EventBridge Scheduler). @default none */
  readonly schedules?: readonly RestoreTestSchedule[];
  /** What the workflow's ValidateInput refuses, for every caller. @default none (infra/README.md, Guardrails) */
  readonly guardrails?: RestoreGuardrails;
  /** The IAM-authorised REST API, or `false` for none. @default an API with RestoreApiOptions' defaults */
  readonly api?: RestoreApiOptions | false;
  /** The janitor's sweep schedule and retention (infra/README.md, Janitor). @default hourly, 30 minutes */
  readonly janitor?: Pick<JanitorProps, 'sweepSchedule' | 'retentionMinutes'>;
  /**
   * The VPCs whose instances the SSH check reaches from inside (one VPC-attached probe each,
   * infra/constructs/ssh-probes.ts). A restore into a VPC not listed can be checked only from the
   * internet (a public subnet and a group open to 0.0.0.0/0), else PlanRestore refuses it.
   * @default none
   */
  readonly sshProbeNetworks?: readonly SshProbeNetwork[];
}

/**
 * The product deployed, wired from its parts: the restore role AWS Backup assumes, one Lambda per
 * step with only the permissions that step uses (infra/step-policies.ts), the restore-instance
 * and restore-fleet state machines, the notification topic with alarms on failed and timed-out
 * executions, and the two callers that run without a person: scheduled restore tests and the
 * REST API.
 */
export class RestoreOrchestrator extends Construct {
  readonly restoreRole: RestoreRole;
  readonly stateMachine: WorkflowStateMachine;
  /** restore-fleet: many restore-instance executions, started and awaited by one execution. */
  readonly fleetStateMachine: WorkflowStateMachine;
  readonly fleetFunctions: Readonly<Record<FleetFunctionId, IFunction>>;
  readonly functions: Readonly<Record<FunctionId, IFunction>>;
  readonly notificationTopic: sns.ITopic;
  /** Undefined when `encryptionKey` is 'none'. */
  readonly encryptionKey: kms.IKey | undefined;
  readonly alarms: ExecutionAlarms;
  /** Undefined when no schedule is configured. */
  readonly schedules: RestoreTestSchedules | undefined;
  /** Undefined when `api` is false. */
  readonly api: RestoreApi | undefined;
  /** Cleans up after executions that end outside the workflow's own failure path. */
  readonly janitor: Janitor;
  /** What the people who run the CLI may do: `…Operator` and the read-only `…Viewer`. */
  readonly operatorPolicies: OperatorPolicies;
  /** Undefined when no probe network is configured. */
  readonly sshProbes: SshProbes | undefined;

  constructor(scope: Construct, id: string, props: RestoreOrchestratorProps) {
    super(scope, id);
    if (props.instanceRoleArns.length === 0) {
      throw new Error(
        'RestoreOrchestrator: instanceRoleArns must name at least one instance role (PassRole is never granted on *).',
      );
    }
    const keyPairParameterPrefix = props.keyPairParameterPrefix ?? '/ec2/keypair/';

    this.restoreRole = new RestoreRole(this, 'RestoreRole', {
      instanceRoleArns: props.instanceRoleArns,
      allowAccountWidePassRole: props.allowAccountWidePassRole,
    });
    this.encryptionKey = encryptionKeyOf(this, props.encryptionKey ?? 'create');
    const ownTopic = props.notificationTopic === undefined;
    this.notificationTopic =
      props.notificationTopic ??
      new NotificationTopic(this, 'Notifications', { masterKey: this.encryptionKey });
    for (const email of props.notificationEmails ?? []) {
      this.notificationTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    this.sshProbes =
      props.sshProbeNetworks && props.sshProbeNetworks.length > 0
        ? new SshProbes(this, 'SshProbes', { networks: props.sshProbeNetworks })
        : undefined;
    const settings = {
      restoreRoleArn: this.restoreRole.roleArn,
      keyPairParameterPrefix,
      notificationTopicArn: this.notificationTopic.topicArn,
      guardrails: props.guardrails,
      sshProbes: this.sshProbes?.refs,
      sshProbeFunctionArns: this.sshProbes?.functions.map((f) => f.functionArn),
    };
    const environments: { readonly [F in AnyFunctionId]: FunctionEnvironment<F> } = {
      ...functionEnvironments(settings),
      'resolve-fleet-targets': {},
      'summarise-fleet': {},
    };
    const { account, region, partition } = Stack.of(this);
    const policies = stepPolicies({
      ...settings,
      account,
      region,
      partition,
      instanceRoleArns: props.instanceRoleArns,
      allowAccountWidePassRole: props.allowAccountWidePassRole,
    });
    const stepFunctions = <F extends AnyFunctionId>(steps: readonly F[]): Record<F, IFunction> => {
      const built = {} as Record<F, IFunction>;
      for (const step of steps) {
        built[step] = new StepFunction(this, pascal(step), {
          step,
          environment: environments[step],
          permissions: policies[step],
          // The SSH check runs the request's commands in one call (lambdas/shared/ssh-budget.ts).
          ...(step === 'check-ssh' && { timeout: Duration.seconds(SSH_CHECK_TIMEOUT_SECONDS) }),
        }).function;
      }
      return built;
    };

    this.functions = stepFunctions(FUNCTION_IDS);
    const key = this.encryptionKey;
    // Publishing to an encrypted topic encrypts with its key on the publisher's behalf.
    if (key && ownTopic) key.grant(this.functions.report, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.stateMachine = new WorkflowStateMachine(this, 'RestoreInstance', {
      workflow: new RestoreInstanceWorkflow(this, 'Workflow', { functions: this.functions }),
      logGroupId: 'StateMachineLogs',
      encryptionKey: key,
    });

    this.fleetFunctions = stepFunctions(FLEET_FUNCTION_IDS);
    this.fleetStateMachine = new WorkflowStateMachine(this, 'RestoreFleet', {
      workflow: new RestoreFleetWorkflow(this, 'FleetWorkflow', {
        functions: this.fleetFunctions,
        restoreInstance: this.stateMachine,
      }),
      logGroupId: 'FleetStateMachineLogs',
      nagSuppressions: [CHILD_EXECUTIONS_SUPPRESSION],
      encryptionKey: key,
    });
    // Whoever starts or reads an execution of an encrypted state machine uses its key: the fleet
    // (its restore-instance children), the schedules and the API below.
    if (key) grantExecutionsOf(this.stateMachine, key, this.fleetStateMachine);

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
    this.janitor = new Janitor(this, 'Janitor', {
      stateMachine: this.stateMachine,
      fleetStateMachine: this.fleetStateMachine,
      restoreRoleArn: this.restoreRole.roleArn,
      topic: this.notificationTopic,
      topicKey: ownTopic ? key : undefined,
      ...props.janitor,
    });
    // It reads the executions' histories: under the state machines' key, as Step Functions uses it.
    if (key) {
      grantExecutionsOf(this.stateMachine, key, this.janitor.function);
      grantExecutionsOf(this.fleetStateMachine, key, this.janitor.function);
    }
    this.api =
      props.api === false
        ? undefined
        : new RestoreApi(this, 'Api', { stateMachine: this.stateMachine, ...props.api });
    this.operatorPolicies = new OperatorPolicies(this, 'CliPolicies', {
      stateMachine: this.stateMachine,
      fleetStateMachine: this.fleetStateMachine,
      encryptionKey: key,
      api: this.api,
    });
    if (key) {
      for (const role of [this.schedules?.role, this.api?.role]) {
        if (role) grantExecutionsOf(this.stateMachine, key, role);
      }
    }
  }
}

/** The key, only as Step Functions uses it for this state machine's executions. */
function grantExecutionsOf(stateMachine: sfn.IStateMachine, key: kms.IKey, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': stateMachine.stateMachineArn },
      },
    }),
  );
}

function encryptionKeyOf(
  scope: Construct,
  choice: NonNullable<RestoreOrchestratorProps['encryptionKey']>,
): kms.IKey | undefined {
  if (choice === 'none') return undefined;
  if (choice === 'create') return new EncryptionKey(scope, 'EncryptionKey');
  if ('keyId' in choice) return choice;
  return kms.Key.fromKeyArn(scope, 'EncryptionKey', choice.keyArn);
}

// CDK grants what startExecution.sync:2 needs (StartExecution on restore-instance only,
// Describe/StopExecution on its executions, the StepFunctionsGetEventsForStepFunctionsExecutionRule
// rule) and, for the Distributed Map, what AWS documents for child workflow executions
// (StartExecution on this state machine, Describe/StopExecution on its executions, RedriveExecution
// on its Map Runs): https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html and
// https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
const CHILD_EXECUTIONS_SUPPRESSION: NagPackSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    'states:DescribeExecution/StopExecution (and RedriveExecution on Map Runs) on the executions of restore-instance (startExecution.sync:2) and of this state machine (Distributed Map child workflows): execution names are only known at run time.',
  // The partition is a literal when the stack's region is known, a token when not
  // (@aws-cdk/core:enablePartitionLiterals).
  appliesTo: [{ regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):states:.*:execution:.*\\*$/' }],
};

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}
