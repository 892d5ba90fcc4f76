/**
 * The `restore-fleet` workflow: restore many instances at once, each as its own, individually
 * visible restore-instance execution, with bounded concurrency and one report.
 *
 *   InitialiseState   keep the raw input and the execution's identity
 *   ResolveTargets    validate; explicit ids, or a tag matched on the recovery points' tags
 *                     (InvalidInputError ends the fleet; sources without a usable point are
 *                     carried to the report, not dropped)
 *   RestoreEach       inline Map, MaxConcurrency from the request, over the targets:
 *     RestoreInstance   states:startExecution.sync:2 of restore-instance, named from the fleet's
 *                       own execution name so that re-running the fleet starts no second restore;
 *                       throttling and execution limits are retried with jittered backoff
 *     RecordSuccess / RecordFailure
 *                       a few hundred bytes per instance (the full output stays in the child),
 *                       so a failing child never stops the others
 *   Summarise         counts and one result per instance
 *
 * Inline Map versus Distributed Map: an inline Map keeps every iteration's events in this
 * execution's history (≈ 12 per instance against the 25,000-event limit) and its results in the
 * 256 KiB state payload, so one fleet execution takes at most MAX_FLEET_TARGETS (500) instances
 * and 40 in parallel. Larger fleets are split (by vault, by tag, by id list) into several fleet
 * executions; see state-machines/README.md.
 */
import { ErrorNames } from '@shared/errors';
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RETRYABLE_ERRORS } from '../restore-instance/restore-instance';

export const FleetStates = {
  InitialiseState: 'InitialiseState',
  ResolveTargets: 'ResolveTargets',
  RestoreEach: 'RestoreEach',
  RestoreInstance: 'RestoreInstance',
  RecordSuccess: 'RecordSuccess',
  RecordFailure: 'RecordFailure',
  Summarise: 'Summarise',
  FailFleet: 'FailFleet',
  Done: 'Done',
} as const;

/** Errors of the child-execution integration that mean "too fast", not "the restore failed". */
export const CHILD_START_RETRYABLE_ERRORS = [
  'StepFunctions.ThrottlingException',
  'StepFunctions.ExecutionLimitExceeded',
  'StepFunctions.SdkClientException',
  'StepFunctions.AWSStepFunctionsException',
] as const;

export interface RestoreFleetWorkflowProps {
  readonly functions: {
    readonly 'resolve-fleet-targets': IFunction;
    readonly 'summarise-fleet': IFunction;
  };
  /** The restore-instance state machine the children run. */
  readonly restoreInstance: sfn.IStateMachine;
  /** @default 5 days: a fleet of restores that each may take a day, 40 at a time */
  readonly timeout?: Duration;
}

export class RestoreFleetWorkflow extends Construct {
  readonly startState: sfn.IChainable;
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: RestoreFleetWorkflowProps) {
    super(scope, id);
    this.timeout = props.timeout ?? Duration.days(5);
    const lambdaStep = (
      name: string,
      fn: IFunction,
      payload: sfn.TaskInput | undefined,
      resultPath: string,
    ) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        ...(payload && { payload }),
        resultPath,
        taskTimeout: sfn.Timeout.duration(Duration.minutes(5)),
      });
      task.addRetry({
        errors: [...RETRYABLE_ERRORS],
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        maxDelay: Duration.seconds(60),
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };

    const initialise = new sfn.Pass(this, FleetStates.InitialiseState, {
      parameters: {
        'input.$': '$',
        execution: {
          'id.$': '$$.Execution.Id',
          'name.$': '$$.Execution.Name',
          'startTime.$': '$$.Execution.StartTime',
        },
      },
    });
    const failFleet = new sfn.Fail(this, FleetStates.FailFleet, {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    const resolve = lambdaStep(
      FleetStates.ResolveTargets,
      props.functions['resolve-fleet-targets'],
      undefined,
      '$.plan',
    );
    resolve.addCatch(failFleet, { errors: ['States.ALL'], resultPath: '$.failure' });

    const restoreInstance = new tasks.StepFunctionsStartExecution(this, FleetStates.RestoreInstance, {
      stateMachine: props.restoreInstance,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      name: sfn.JsonPath.stringAt('$.target.executionName'),
      input: sfn.TaskInput.fromJsonPathAt('$.target.input'),
      associateWithParent: false,
      resultSelector: {
        'executionArn.$': '$.ExecutionArn',
        'status.$': '$.Output.status',
        'instance.$': '$.Output.instance',
        'publicAddress.$': '$.Output.publicAddress',
        'recoveryPointArn.$': '$.Output.recoveryPoint.arn',
      },
      resultPath: '$.child',
    });
    restoreInstance.addRetry({
      errors: [...CHILD_START_RETRYABLE_ERRORS],
      interval: Duration.seconds(2),
      maxAttempts: 8,
      backoffRate: 2,
      maxDelay: Duration.seconds(120),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const recordSuccess = new sfn.Pass(this, FleetStates.RecordSuccess, {
      parameters: {
        'instanceId.$': '$.target.instanceId',
        'executionArn.$': '$.child.executionArn',
        'status.$': '$.child.status',
        output: {
          'instance.$': '$.child.instance',
          'publicAddress.$': '$.child.publicAddress',
          'recoveryPointArn.$': '$.child.recoveryPointArn',
        },
      },
    });
    // The Cause of a failed child is its DescribeExecution as JSON (Error, Cause, ExecutionArn);
    // Summarise unpacks it, because a Pass state cannot parse what might not be JSON.
    const recordFailure = new sfn.Pass(this, FleetStates.RecordFailure, {
      parameters: {
        'instanceId.$': '$.target.instanceId',
        status: 'FAILED',
        'error.$': '$.failure.Error',
        'cause.$': '$.failure.Cause',
      },
    });
    restoreInstance.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.failure' });

    const restoreEach = new sfn.Map(this, FleetStates.RestoreEach, {
      itemsPath: '$.plan.targets',
      maxConcurrencyPath: '$.plan.request.maxConcurrency',
      itemSelector: { 'target.$': '$$.Map.Item.Value' },
      resultPath: '$.results',
    });
    restoreEach.itemProcessor(restoreInstance.next(recordSuccess));

    const summarise = lambdaStep(
      FleetStates.Summarise,
      props.functions['summarise-fleet'],
      sfn.TaskInput.fromObject({
        'execution.$': '$.execution',
        'results.$': '$.results',
        'unusable.$': '$.plan.unusable',
        'note.$': '$.plan.note',
      }),
      '$.output',
    );
    summarise.addCatch(failFleet, { errors: ['States.ALL'], resultPath: '$.failure' });

    this.startState = initialise
      .next(resolve)
      .next(restoreEach)
      .next(summarise)
      .next(new sfn.Succeed(this, FleetStates.Done, { outputPath: '$.output' }));
  }
}

/** Error names a fleet execution itself may end with (child failures are results, not errors). */
export const FLEET_ERROR_NAMES = [ErrorNames.InvalidInput] as const;
