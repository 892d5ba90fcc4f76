import { parseRestoreRequest, type RestoreRequestInput } from '@shared/restore-request';
import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface RestoreTestSchedule {
  /** Names the schedule in the stack and in its description: 1-64 letters, digits, - or _. */
  readonly name: string;
  /** An EventBridge Scheduler expression, e.g. `cron(0 3 ? * SUN *)` or `rate(7 days)`. */
  readonly expression: string;
  /** IANA zone the cron expression is read in. @default 'UTC' */
  readonly timeZone?: string;
  /**
   * The restore-instance execution input (docs/contract.md §1), checked against the contract schema at
   * synth time. @default mode 'test' when the input does not set one
   */
  readonly input: RestoreRequestInput;
  /** Scheduler may start the run this many minutes late, to spread load; 0 = exactly on time. @default 15 */
  readonly flexibleWindowMinutes?: number;
  /** @default true */
  readonly enabled?: boolean;
}

export interface RestoreTestSchedulesProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly schedules: readonly RestoreTestSchedule[];
  /** How long Scheduler keeps retrying a start that fails before it goes to the DLQ. @default 1 hour */
  readonly maxEventAge?: Duration;
}

/**
 * Scheduled restore tests: one EventBridge Scheduler schedule per entry, each starting the
 * restore workflow (in test mode unless told otherwise). Starts that Scheduler cannot deliver
 * land in an SQS dead-letter queue, so a test that never ran is visible, not silent.
 */
export class RestoreTestSchedules extends Construct {
  /** Scheduler assumes this role: it may start this state machine and write to the DLQ, nothing else. */
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedules: scheduler.Schedule[];

  constructor(scope: Construct, id: string, props: RestoreTestSchedulesProps) {
    super(scope, id);
    const names = props.schedules.map((s) => s.name);
    const repeated = names.find((n, i) => names.indexOf(n) !== i);
    if (repeated) throw new Error(`RestoreTestSchedules: schedule name "${repeated}" is used twice.`);

    const { account } = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      // SourceAccount stops another account's schedules from using this role (confused deputy).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'Assumed by EventBridge Scheduler to start scheduled restore tests',
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14), // the longest SQS allows: time to notice and look
    });
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the schedules.' },
    ]);

    this.schedules = props.schedules.map((entry) => {
      const input = scheduleInput(entry);
      return new scheduler.Schedule(this, entry.name, {
        description: `ec2-restore-orchestrator restore test ${entry.name}`,
        schedule: scheduler.ScheduleExpression.expression(
          entry.expression,
          TimeZone.of(entry.timeZone ?? 'UTC'),
        ),
        enabled: entry.enabled ?? true,
        timeWindow:
          (entry.flexibleWindowMinutes ?? 15) === 0
            ? scheduler.TimeWindow.off()
            : scheduler.TimeWindow.flexible(Duration.minutes(entry.flexibleWindowMinutes ?? 15)),
        target: new targets.StepFunctionsStartExecution(props.stateMachine, {
          role: this.role, // the target grants states:StartExecution on this state machine to it
          deadLetterQueue: this.deadLetterQueue, // and sqs:SendMessage on this queue
          input: scheduler.ScheduleTargetInput.fromObject(input),
          maxEventAge: props.maxEventAge ?? Duration.hours(1),
          retryAttempts: 10,
        }),
      });
    });
  }
}

/** The input as written (defaults are the workflow's job), with test mode unless it says otherwise. */
function scheduleInput(entry: RestoreTestSchedule): RestoreRequestInput {
  // A scheduled recovery-mode restore would leave a new instance running after every run.
  const input: RestoreRequestInput = { mode: 'test', ...entry.input };
  try {
    parseRestoreRequest(input);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`RestoreTestSchedules: schedule "${entry.name}": ${reason}`, { cause: error });
  }
  return input;
}
