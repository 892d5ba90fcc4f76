import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface ExecutionAlarmsProps {
  readonly stateMachine: sfn.IStateMachine;
  /**
   * restore-fleet: it fails as a whole only on a bad request or a step of its own (its
   * instances' failures raise the restore-instance alarms), or times out. @default none
   */
  readonly fleetStateMachine?: sfn.IStateMachine;
  /** Alarms (and their recovery) are published here. */
  readonly topic: sns.ITopic;
  /** The schedules' dead-letter queue: a scheduled restore test that never started. @default none */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * Alarms on the outcomes nobody may miss: a failed or timed-out restore or fleet execution, and
 * a scheduled start that ended in the dead-letter queue. Any one occurrence in five minutes
 * alarms; no data means nothing ran, which is not an alarm.
 */
export class ExecutionAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ExecutionAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const metrics: [string, string, cloudwatch.IMetric][] = [
      ['ExecutionsFailed', 'A restore execution failed', props.stateMachine.metricFailed({ period })],
      ['ExecutionsTimedOut', 'A restore execution timed out', props.stateMachine.metricTimedOut({ period })],
    ];
    if (props.fleetStateMachine) {
      const fleet = props.fleetStateMachine;
      metrics.push(
        ['FleetExecutionsFailed', 'A fleet restore execution failed', fleet.metricFailed({ period })],
        ['FleetExecutionsTimedOut', 'A fleet restore execution timed out', fleet.metricTimedOut({ period })],
      );
    }
    if (props.deadLetterQueue) {
      metrics.push([
        'ScheduledStartsUndelivered',
        'A scheduled restore test could not be started (see the schedules dead-letter queue)',
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      ]);
    }
    const action = new actions.SnsAction(props.topic);
    this.alarms = metrics.map(([name, description, metric]) => {
      const alarm = new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    });
  }
}
