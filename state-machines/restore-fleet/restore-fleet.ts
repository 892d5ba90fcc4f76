/**
 * The `restore-fleet` workflow: restore many instances at once, each as its own, individually
 * visible restore-instance execution, with bounded concurrency and one report.
 *
 *   InitialiseState   keep the raw input and the execution's identity
 *   ResolveTargets    validate; explicit ids, or a tag matched on the recovery points' tags
 *                     (InvalidInputError ends the fleet; sources without a usable point are
 *                     carried to the report, not dropped)
 *   ChooseMapMode     up to INLINE_MAP_MAX_TARGETS targets: RestoreEach, an inline Map;
 *                     more: RestoreEachDistributed, a Distributed Map (one child workflow
 *                     execution per iteration, so the fleet's own history stays small).
 *                     Both run the same iteration, built once per Map by restoreIteration():
 *     RestoreInstance   states:startExecution.sync:2 of restore-instance, named from the fleet's
 *                       own execution name so that re-running the fleet starts no second restore;
 *                       throttling and execution limits are retried with jittered backoff
 *     RecordSuccess     instance, status and child execution ARN (the full output stays in the child)
 *     RecordFailure     a failed child is reduced to its own error and cause (ReadChildFailure);
 *                       anything else (the child never started) is kept as caught. A failing
 *                       child never stops the others.
 *   Summarise         counts and one result per instance
 *
 * No ItemReader and no ResultWriter: items come from ResolveTargets and results come back in the
 * state, so the whole fleet must fit Step Functions' 256 KiB payload whichever Map runs it. That,
 * not the Map, is what MAX_FLEET_TARGETS is sized by. See state-machines/README.md.
 */

import { FleetStates } from '@shared/state-names';
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { lambdaTask } from '../lambda-task';

export type MapMode = 'inline' | 'distributed';

/**
 * State names are unique across a whole state machine, Map iterations included: the iteration
 * states of the Distributed Map carry a suffix.
 */
export function iterationStateName(name: string, mode: MapMode): string {
  return mode === 'inline' ? name : `${name}Distributed`;
}

/**
 * Fleets up to this size run in an inline Map, larger ones in a Distributed Map. An inline Map
 * writes every iteration into the fleet's own history: about 12 events per instance, up to about
 * 45 when a child's start is retried for throttling, so 100 targets stay under 4,500 of the
 * 25,000 events an execution may have, with room to spare. Beyond that a Distributed Map keeps
 * each iteration's events in its own child workflow execution. (Parallelism is no reason to
 * switch: maxConcurrency is at most 40, which is what an inline Map allows.)
 */
export const INLINE_MAP_MAX_TARGETS = 100;

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
  /**
   * Largest fleet run by the inline Map; larger ones take the Distributed Map. Lower it only to
   * exercise the distributed branch with a few instances (tests).
   * @default INLINE_MAP_MAX_TARGETS
   */
  readonly inlineMapMaxTargets?: number;
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
      outputPath?: string,
    ) => lambdaTask(this, name, fn, { payload, resultPath, outputPath });

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

    // The results replace the targets they came from, so the state never holds both: that is
    // what lets MAX_FLEET_TARGETS instances fit the 256 KiB payload.
    const mapProps = {
      itemsPath: '$.plan.targets',
      maxConcurrencyPath: '$.plan.request.maxConcurrency',
      itemSelector: { 'target.$': '$$.Map.Item.Value' },
      resultPath: '$.plan.targets',
    };
    const restoreEach = new sfn.Map(this, FleetStates.RestoreEach, mapProps);
    restoreEach.itemProcessor(this.restoreIteration(props.restoreInstance, 'inline'));
    // Items come from the state and results go back into it (no ItemReader, no ResultWriter):
    // the local engine supports neither, and the fleet fits the payload limit without them.
    const restoreEachDistributed = new sfn.DistributedMap(this, FleetStates.RestoreEachDistributed, {
      ...mapProps,
      mapExecutionType: sfn.StateMachineType.STANDARD,
    });
    restoreEachDistributed.itemProcessor(this.restoreIteration(props.restoreInstance, 'distributed'));

    const summarise = lambdaStep(
      FleetStates.Summarise,
      props.functions['summarise-fleet'],
      sfn.TaskInput.fromObject({
        'results.$': '$.plan.targets',
        'unusable.$': '$.plan.unusable',
        'note.$': '$.plan.note',
      }),
      '$.output',
      // Only the summary goes on: the Map's results are then never held twice.
      '$.output',
    );
    summarise.addCatch(failFleet, { errors: ['States.ALL'], resultPath: '$.failure' });
    restoreEach.next(summarise);
    restoreEachDistributed.next(summarise);

    const inlineMax = props.inlineMapMaxTargets ?? INLINE_MAP_MAX_TARGETS;
    this.startState = initialise
      .next(resolve)
      .next(
        new sfn.Choice(this, FleetStates.ChooseMapMode)
          .when(sfn.Condition.numberGreaterThan('$.plan.targetCount', inlineMax), restoreEachDistributed)
          .otherwise(restoreEach),
      );
  }

  /** One target's restore: start its child, wait for it, and record a compact result either way. */
  private restoreIteration(restoreInstanceMachine: sfn.IStateMachine, mode: MapMode): sfn.IChainable {
    const name = (state: string) => iterationStateName(state, mode);
    const restoreInstance = new tasks.StepFunctionsStartExecution(this, name(FleetStates.RestoreInstance), {
      stateMachine: restoreInstanceMachine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      name: sfn.JsonPath.stringAt('$.target.executionName'),
      input: sfn.TaskInput.fromJsonPathAt('$.target.input'),
      associateWithParent: false,
      resultSelector: { 'executionArn.$': '$.ExecutionArn', 'status.$': '$.Output.status' },
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
    const recordSuccess = new sfn.Pass(this, name(FleetStates.RecordSuccess), {
      parameters: {
        'instanceId.$': '$.target.instanceId',
        'executionArn.$': '$.child.executionArn',
        'status.$': '$.child.status',
      },
    });

    // A child that ran and failed reaches the Catch as States.TaskFailed with its
    // DescribeExecution as JSON in Cause (about 1 KB: input, dates, ARNs). Only its own Error and
    // Cause are kept. The Choice makes sure the fields are there, because a Pass cannot catch
    // the States.Runtime error of a missing field or of parsing what is not JSON.
    const recordFailure = new sfn.Pass(this, name(FleetStates.RecordFailure), {
      parameters: {
        'instanceId.$': '$.target.instanceId',
        status: 'FAILED',
        'error.$': '$.failure.Error',
        'cause.$': '$.failure.Cause',
      },
    });
    const recordChildFailure = new sfn.Pass(this, name(FleetStates.RecordChildFailure), {
      parameters: {
        'instanceId.$': '$.target.instanceId',
        status: 'FAILED',
        'executionArn.$': '$.child.ExecutionArn',
        'error.$': '$.child.Error',
        'cause.$': '$.child.Cause',
      },
    });
    const readChildFailure = new sfn.Pass(this, name(FleetStates.ReadChildFailure), {
      parameters: { 'target.$': '$.target', 'child.$': 'States.StringToJson($.failure.Cause)' },
    });
    const jsonField = (field: string) => sfn.Condition.stringMatches('$.failure.Cause', `*"${field}":*`);
    const isChildFailure = new sfn.Choice(this, name(FleetStates.IsChildFailure))
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals('$.failure.Error', 'States.TaskFailed'),
          sfn.Condition.stringMatches('$.failure.Cause', '{*}'),
          jsonField('ExecutionArn'),
          jsonField('Error'),
          jsonField('Cause'),
        ),
        readChildFailure.next(recordChildFailure),
      )
      .otherwise(recordFailure);
    restoreInstance.addCatch(isChildFailure, { errors: ['States.ALL'], resultPath: '$.failure' });
    return restoreInstance.next(recordSuccess);
  }
}
