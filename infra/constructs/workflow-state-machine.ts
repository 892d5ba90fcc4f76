import { ArnFormat, type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { type NagPackSuppression, NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

export interface WorkflowStateMachineProps {
  /** The workflow construct (state-machines/): its first state, and its timeout for the whole execution. */
  readonly workflow: { readonly startState: sfn.IChainable; readonly timeout: Duration };
  /**
   * Construct id of the execution log group. The group is created beside the state machine, in
   * the same scope, not inside it: that keeps the logical ids of log groups already deployed, and
   * a log group that outlives its stack would otherwise be left behind with the old id.
   * @default `${id}Logs`
   */
  readonly logGroupId?: string;
  /**
   * cdk-nag reasons for what this workflow's own tasks are granted beyond invoking step Lambdas
   * (for example the child executions of restore-fleet).
   * @default none
   */
  readonly nagSuppressions?: readonly NagPackSuppression[];
  /**
   * Customer-managed key for the state machine's definition and execution data, and for its log
   * group. Its key policy must let CloudWatch Logs use it (EncryptionKey does).
   * @default AWS-owned keys
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A workflow as this project deploys it: logs ALL with execution data into a log group kept
 * three months, X-Ray tracing, and the workflow's own timeout.
 */
export class WorkflowStateMachine extends sfn.StateMachine {
  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(props.workflow.startState),
      timeout: props.workflow.timeout,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(scope, props.logGroupId ?? `${id}Logs`, {
          retention: logs.RetentionDays.THREE_MONTHS,
          encryptionKey: props.encryptionKey,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
      encryptionConfiguration: props.encryptionKey
        ? new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey)
        : undefined,
    });
    if (props.encryptionKey) {
      // aws-cdk-lib grants the role the key only for the encryption context of this state
      // machine's name, which is empty when CloudFormation names it (...:stateMachine:), so no
      // execution could read its own data. The real ARN cannot be named here (the role would
      // depend on the state machine that depends on it): any state machine of this account and
      // region, which is all this role ever runs.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.encryptionKey.keyArn],
          conditions: {
            ArnLike: {
              'kms:EncryptionContext:aws:states:stateMachineArn': Stack.of(this).formatArn({
                service: 'states',
                resource: 'stateMachine',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
    }
    // Only Step Functions acting for a state machine of this account and region may assume the
    // role (confused deputy). A wildcard name, since this state machine's own ARN would make the
    // role depend on the state machine that depends on it.
    const { account, region, partition } = Stack.of(this);
    (this.role.node.defaultChild as iam.CfnRole).addPropertyOverride(
      'AssumeRolePolicyDocument.Statement.0.Condition',
      {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:states:${region}:${account}:stateMachine:*` },
      },
    );
    NagSuppressions.addResourceSuppressions(
      this,
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
        ...(props.nagSuppressions ?? []),
      ],
      true,
    );
  }

  /**
   * Every statement the workflow's tasks need reaches the role through here, while the
   * constructor above runs too (aws-cdk-lib's StateMachine adds its graph's statements with
   * this.addToRolePolicy). StepFunctionsStartExecution with startExecution.sync grants
   * DescribeExecution/StopExecution on `execution:<state machine name>*`, which also matches the
   * executions of any other state machine whose name starts the same way (restore-instance-evil);
   * an execution ARN is `execution:<state machine name>:<execution name>`, so the grant is
   * narrowed to `execution:<name>:*`. It applies to the tasks of inline and Distributed Map
   * iterations alike, since both reach the role as the same graph statements.
   */
  override addToRolePolicy(statement: iam.PolicyStatement): void {
    super.addToRolePolicy(withExecutionsOfOneStateMachine(statement));
  }
}

/** `arn:…:states:…:execution:<name>*` with no `:` after the name: a name prefix, not one state machine. */
const EXECUTION_NAME_PREFIX = /^(arn:.+:states:.*:execution:[^:/]+)\*$/;

function withExecutionsOfOneStateMachine(statement: iam.PolicyStatement): iam.PolicyStatement {
  if (!statement.resources.some((resource) => EXECUTION_NAME_PREFIX.test(resource))) return statement;
  return statement.copy({
    resources: statement.resources.map((resource) => resource.replace(EXECUTION_NAME_PREFIX, '$1:*')),
  });
}
