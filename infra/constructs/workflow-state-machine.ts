import type { Duration } from 'aws-cdk-lib';
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
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
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
}
