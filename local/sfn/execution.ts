/**
 * One Step Functions execution: runs the prepared definition (./asl.ts) in aws-local-stepfunctions,
 * dispatches its Task states (Lambda functions, `lambda:invoke`, aws-sdk integrations, child
 * executions, the rewritten Waits), and writes an AWS-shaped execution history on the simulated
 * clock from the engine's event log plus the Task wrapper's own events.
 *
 * Event order: the engine queues its events (StateEntered, StateExited, …) synchronously and hands
 * them out through an async generator, while it calls a Task's local handler in the same tick as
 * it queues that state's StateEntered. So a handler first yields one macrotask (setImmediate),
 * which lets the consumer move every queued engine event into the history, and only then records
 * LambdaFunctionScheduled and the rest.
 *
 * The execution's own outcome (status, output, error/cause and the ExecutionSucceeded /
 * ExecutionFailed / ExecutionAborted / ExecutionTimedOut event) is written once, by whichever of
 * the engine's result, StopExecution, the simulated-clock timeout or the history limit comes first.
 */
import '@local/polyfills';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type {
  DescribeExecutionOutput,
  ExecutionListItem,
  ExecutionStatus,
  HistoryEvent,
  HistoryEventExecutionDataDetails,
  HistoryEventType,
} from '@aws-sdk/client-sfn';
import type { SimulatedClock } from '@local/clock';
import {
  ExecutionError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { JSONPath } from 'jsonpath-plus';
import {
  isJsonObject,
  type Json,
  type JsonObject,
  MAX_TIMER_MS,
  type PreparedDefinition,
  type TaskSpec,
  taskTarget,
  type WaitSpec,
} from './asl';
import { lambdaFunctionError, runtimeError, StatesError, serviceError, servicePrefix } from './task-errors';

/** Runs a Lambda function's handler; `undefined` when no function has that ARN. */
export type RunTask = (
  resourceArn: string,
  input: unknown,
  context: { executionArn: string; stateName: string },
) => Promise<unknown> | undefined;

/** Runs an aws-sdk integration: service and camelCase action from the Resource ARN, PascalCase parameters. */
export type CallAwsSdk = (service: string, action: string, params: unknown) => Promise<unknown>;

/** What an execution needs from the emulator that runs it. */
export interface ExecutionHost {
  readonly clock: SimulatedClock;
  readonly region: string;
  readonly accountId: string;
  readonly runTask: RunTask;
  readonly callAwsSdk: CallAwsSdk | undefined;
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: Date;
  };
  waitForExecution(executionArn: string): Promise<DescribeExecutionOutput>;
  stopExecution(input: { executionArn: string; error?: string; cause?: string }): unknown;
}

export interface StateMachineRecord {
  readonly arn: string;
  readonly name: string;
  readonly definition: string;
  readonly prepared: PreparedDefinition;
  readonly roleArn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly creationDate: Date;
}

type EngineRun = ReturnType<StateMachine['run']>;
type EngineEvent = EngineRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type Overrides = NonNullable<RunOptions['overrides']>;
type EventDetails = Omit<HistoryEvent, 'timestamp' | 'type' | 'id' | 'previousEventId'>;

interface Outcome {
  readonly status: Exclude<ExecutionStatus, 'RUNNING' | 'PENDING_REDRIVE'>;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** An execution fails when its history reaches this many events (E.1). */
export const MAX_HISTORY_EVENTS = 25_000;
/** Payload limit per task result, state or execution input/output (E.1). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_STANDARD_SECONDS = 365 * 24 * 3600;
const MAX_EXPRESS_SECONDS = 5 * 60;
const NOT_TRUNCATED: HistoryEventExecutionDataDetails = { truncated: false };

const ENTERED: Readonly<Record<string, HistoryEventType>> = {
  Task: 'TaskStateEntered',
  Pass: 'PassStateEntered',
  Wait: 'WaitStateEntered',
  Choice: 'ChoiceStateEntered',
  Succeed: 'SucceedStateEntered',
  Fail: 'FailStateEntered',
  Map: 'MapStateEntered',
  Parallel: 'ParallelStateEntered',
};
const EXITED: Readonly<Record<string, HistoryEventType>> = {
  Task: 'TaskStateExited',
  Pass: 'PassStateExited',
  Wait: 'WaitStateExited',
  Choice: 'ChoiceStateExited',
  Succeed: 'SucceedStateExited',
  Map: 'MapStateExited',
  Parallel: 'ParallelStateExited',
};

/** A Task that ran past its TimeoutSeconds. */
class TaskTimeout extends StatesError {
  constructor(seconds: number) {
    super(
      'States.Timeout',
      `The task did not finish within its TimeoutSeconds (${seconds} s, real time in the emulator).`,
    );
  }
}

export class Execution {
  status: ExecutionStatus = 'RUNNING';
  readonly startDate: Date;
  stopDate: Date | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  readonly history: HistoryEvent[] = [];
  /** Aborted when the execution closes: ends Waits, pending Tasks and the timeout timer. */
  private readonly lifetime = (() => {
    const controller = new AbortController();
    // A fleet's Map waits on it once per running iteration (up to 40): not a leak.
    setMaxListeners(0, controller.signal);
    return controller;
  })();
  private readonly closedSignal: Promise<void>;
  private resolveClosed: () => void = () => {};
  private engineAbort: (() => void) | undefined;
  private lastTimestamp = 0;

  constructor(
    readonly arn: string,
    readonly name: string,
    readonly stateMachine: StateMachineRecord,
    /** The execution input as the caller sent it (a JSON text). */
    readonly input: string,
    private readonly host: ExecutionHost,
  ) {
    this.startDate = host.clock.now();
    this.closedSignal = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Resolves when the execution has closed (any status). */
  get closed(): Promise<void> {
    return this.closedSignal;
  }

  start(): void {
    const { prepared, roleArn } = this.stateMachine;
    this.record(
      'ExecutionStarted',
      { executionStartedEventDetails: { input: this.input, inputDetails: NOT_TRUNCATED, roleArn } },
      this.startDate.getTime(),
    );
    const engine = new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    const run = engine.run(JSON.parse(this.input) as Json, {
      overrides: this.overrides(prepared),
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: this.arn,
          Name: this.name,
          RoleArn: roleArn,
          SimulatedStartTime: this.startDate.toISOString(),
        },
        StateMachine: { Id: this.stateMachine.arn, Name: this.stateMachine.name },
      },
    });
    this.engineAbort = run.abort;
    void this.drive(run);
    void this.enforceTimeout(prepared.timeoutSeconds);
  }

  /** StopExecution: false when the execution had already closed. */
  stop(error?: string, cause?: string): boolean {
    return this.close({
      status: 'ABORTED',
      ...(error !== undefined && { error }),
      ...(cause !== undefined && { cause }),
    });
  }

  describe(includeData = true): DescribeExecutionOutput {
    return {
      executionArn: this.arn,
      stateMachineArn: this.stateMachine.arn,
      name: this.name,
      status: this.status,
      startDate: this.startDate,
      ...(this.stopDate && { stopDate: this.stopDate }),
      ...(includeData && { input: this.input }),
      inputDetails: { included: includeData },
      ...(includeData && this.output !== undefined && { output: this.output }),
      ...(this.status === 'SUCCEEDED' && { outputDetails: { included: includeData } }),
      ...(this.error !== undefined && { error: this.error }),
      ...(this.cause !== undefined && { cause: this.cause }),
      redriveCount: 0,
    };
  }

  listItem(): ExecutionListItem {
    return {
      executionArn: this.arn,
      stateMachineArn: this.stateMachine.arn,
      name: this.name,
      status: this.status,
      startDate: this.startDate,
      ...(this.stopDate && { stopDate: this.stopDate }),
      redriveCount: 0,
    };
  }

  // ---- running -------------------------------------------------------------------------------

  private overrides(prepared: PreparedDefinition): Overrides {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [name, spec] of prepared.tasks)
      handlers[name] = this.handler((input) => this.task(name, spec, input));
    for (const [name, spec] of prepared.waits)
      handlers[name] = this.handler((input) => this.wait(spec, input));
    const speed = this.host.clock.speed;
    const retryIntervalOverrides = Object.fromEntries(
      [...prepared.retryIntervals].map(([name, seconds]) => [name, seconds.map((s) => (s * 1000) / speed)]),
    );
    return { taskResourceLocalHandlers: handlers, retryIntervalOverrides };
  }

  private handler(work: (input: Json) => Promise<Json>): (input: Json) => Promise<Json> {
    return async (input) => {
      // Let the engine's queued events (this state's StateEntered) reach the history first.
      await new Promise((resolve) => setImmediate(resolve));
      return untilClosed(this.lifetime.signal, () => work(input));
    };
  }

  private async drive(run: EngineRun): Promise<void> {
    const consumed = this.consume(run.eventLogs);
    let outcome: Outcome;
    try {
      const output = await run.result;
      outcome = { status: 'SUCCEEDED', output: JSON.stringify(output) };
    } catch (error) {
      outcome = failure(error);
    }
    await consumed;
    this.close(outcome);
  }

  private async consume(events: EngineRun['eventLogs']): Promise<void> {
    try {
      for await (const event of events) this.onEngineEvent(event);
    } catch (error) {
      this.close({
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `emulator history error: ${String(error)}`,
      });
    }
  }

  private async enforceTimeout(timeoutSeconds: number | undefined): Promise<void> {
    const limit =
      this.stateMachine.type === 'EXPRESS'
        ? Math.min(timeoutSeconds ?? MAX_EXPRESS_SECONDS, MAX_EXPRESS_SECONDS)
        : Math.min(timeoutSeconds ?? MAX_STANDARD_SECONDS, MAX_STANDARD_SECONDS);
    await sleepUntil(this.host.clock, this.startDate.getTime() + limit * 1000, this.lifetime.signal);
    this.close({
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: `The execution ran longer than its TimeoutSeconds (${limit} s).`,
    });
  }

  /** Writes the outcome once; false when the execution had already closed. */
  private close(outcome: Outcome): boolean {
    if (this.status !== 'RUNNING') return false;
    this.status = outcome.status;
    this.output = outcome.output;
    this.error = outcome.error;
    this.cause = outcome.cause;
    const errorDetails = {
      ...(outcome.error !== undefined && { error: outcome.error }),
      ...(outcome.cause !== undefined && { cause: outcome.cause }),
    };
    const terminal = { terminal: true };
    switch (outcome.status) {
      case 'SUCCEEDED':
        this.record(
          'ExecutionSucceeded',
          {
            executionSucceededEventDetails: {
              output: outcome.output ?? 'null',
              outputDetails: NOT_TRUNCATED,
            },
          },
          undefined,
          terminal,
        );
        break;
      case 'FAILED':
        this.record('ExecutionFailed', { executionFailedEventDetails: errorDetails }, undefined, terminal);
        break;
      case 'ABORTED':
        this.record('ExecutionAborted', { executionAbortedEventDetails: errorDetails }, undefined, terminal);
        break;
      case 'TIMED_OUT':
        this.record(
          'ExecutionTimedOut',
          { executionTimedOutEventDetails: errorDetails },
          undefined,
          terminal,
        );
        break;
    }
    this.stopDate = this.history.at(-1)?.timestamp ?? this.host.clock.now();
    this.lifetime.abort();
    this.engineAbort?.();
    this.resolveClosed();
    return true;
  }

  private record(
    type: HistoryEventType,
    details: EventDetails = {},
    atMs?: number,
    options: { terminal?: boolean } = {},
  ): void {
    if (this.status !== 'RUNNING' && !options.terminal) return;
    if (!options.terminal && this.history.length >= MAX_HISTORY_EVENTS - 1) {
      this.close({
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `The execution reached the limit of ${MAX_HISTORY_EVENTS} history events.`,
      });
      return;
    }
    const ms = Math.max(this.lastTimestamp, atMs ?? this.host.clock.nowMs());
    this.lastTimestamp = ms;
    const id = this.history.length + 1;
    this.history.push({ timestamp: new Date(ms), type, id, previousEventId: id - 1, ...details });
  }

  private onEngineEvent(event: EngineEvent): void {
    const at = this.host.clock.toSimulated(event.timestamp).getTime();
    switch (event.type) {
      case 'StateEntered': {
        const type = this.stateType(event.state.name, event.state.type);
        const eventType = ENTERED[type];
        if (!eventType) return;
        this.record(
          eventType,
          {
            stateEnteredEventDetails: {
              name: event.state.name,
              input: JSON.stringify(event.state.input),
              inputDetails: NOT_TRUNCATED,
            },
          },
          at,
        );
        return;
      }
      case 'StateExited': {
        const type = this.stateType(event.state.name, event.state.type);
        if (type === 'Map') this.record('MapStateSucceeded', {}, at);
        if (type === 'Parallel') this.record('ParallelStateSucceeded', {}, at);
        const eventType = EXITED[type];
        if (!eventType) return;
        this.record(
          eventType,
          {
            stateExitedEventDetails: {
              name: event.state.name,
              output: JSON.stringify(event.state.output ?? null),
              outputDetails: NOT_TRUNCATED,
            },
          },
          at,
        );
        return;
      }
      case 'StateFailed': {
        const type = this.stateType(event.state.name, event.state.type);
        if (type === 'Map') this.record('MapStateFailed', {}, at);
        if (type === 'Parallel') this.record('ParallelStateFailed', {}, at);
        return;
      }
      case 'MapIterationStarted':
        this.record(
          'MapIterationStarted',
          { mapIterationStartedEventDetails: { name: event.parentState.name, index: event.index } },
          at,
        );
        return;
      case 'MapIterationSucceeded':
        this.record(
          'MapIterationSucceeded',
          { mapIterationSucceededEventDetails: { name: event.parentState.name, index: event.index } },
          at,
        );
        return;
      case 'MapIterationFailed':
        this.record(
          'MapIterationFailed',
          { mapIterationFailedEventDetails: { name: event.parentState.name, index: event.index } },
          at,
        );
        return;
      default:
        // ExecutionStarted/Succeeded/Failed/Aborted/Timeout are written by close(); StateRetried,
        // StateCaught and ParallelBranch* have no counterpart in an AWS history.
        return;
    }
  }

  private stateType(name: string, engineType: string): string {
    return this.stateMachine.prepared.stateTypes.get(name) ?? engineType;
  }

  // ---- states ----------------------------------------------------------------------------------

  private async wait(spec: WaitSpec, input: Json): Promise<Json> {
    const clock = this.host.clock;
    let until = clock.nowMs();
    if (spec.seconds !== undefined) {
      until += spec.seconds * 1000;
    } else if (spec.secondsPath !== undefined) {
      const seconds = this.query(spec.secondsPath, input);
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw runtimeError(
          `The SecondsPath parameter does not reference a valid non-negative integer: ${spec.secondsPath} = ${JSON.stringify(seconds)}`,
        );
      }
      until += seconds * 1000;
    } else {
      const timestamp =
        spec.timestamp ??
        (spec.timestampPath !== undefined ? this.query(spec.timestampPath, input) : undefined);
      const ms = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
      if (Number.isNaN(ms)) {
        throw runtimeError(
          `The Timestamp of the Wait state is not an ISO 8601 timestamp: ${JSON.stringify(timestamp)}`,
        );
      }
      until = ms;
    }
    await sleepUntil(clock, until, this.lifetime.signal);
    return input;
  }

  private async task(name: string, spec: TaskSpec, input: Json): Promise<Json> {
    const timeoutSeconds = this.taskTimeout(spec, input);
    const target = spec.target;
    switch (target.kind) {
      case 'lambda':
        return this.lambdaTask(name, target.functionArn, input, timeoutSeconds);
      case 'lambda-invoke':
        return this.lambdaInvokeTask(name, input, timeoutSeconds);
      case 'aws-sdk':
        return this.awsSdkTask(name, target.service, target.action, input, timeoutSeconds);
      case 'start-execution':
        return this.startExecutionTask(name, target.mode, input, timeoutSeconds);
      case 'unsupported':
        throw runtimeError(
          `The emulator does not implement the Task resource '${spec.resource}' of state '${name}'. It runs ` +
            'Lambda function ARNs, arn:aws:states:::lambda:invoke, arn:aws:states:::aws-sdk:<service>:<action> ' +
            'and arn:aws:states:::states:startExecution[.sync[:2]].',
        );
    }
  }

  private taskTimeout(spec: TaskSpec, input: Json): number {
    if (spec.timeoutSecondsPath === undefined) return spec.timeoutSeconds;
    const seconds = this.query(spec.timeoutSecondsPath, input);
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
      throw runtimeError(
        `The TimeoutSecondsPath parameter does not reference a positive integer: ${JSON.stringify(seconds)}`,
      );
    }
    return seconds;
  }

  /** A Task whose Resource is a Lambda function ARN: LambdaFunction* events, one set per attempt. */
  private async lambdaTask(
    name: string,
    functionArn: string,
    input: Json,
    timeoutSeconds: number,
  ): Promise<Json> {
    this.record('LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: {
        resource: functionArn,
        input: JSON.stringify(input),
        inputDetails: NOT_TRUNCATED,
        timeoutInSeconds: timeoutSeconds,
      },
    });
    const pending = this.invoke(name, functionArn, input);
    if (pending instanceof StatesError) {
      this.record('LambdaFunctionStartFailed', {
        lambdaFunctionStartFailedEventDetails: { error: pending.name, cause: pending.message },
      });
      throw pending;
    }
    this.record('LambdaFunctionStarted');
    try {
      const output = checkSize(name, await withTimeout(pending, timeoutSeconds));
      this.record('LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output), outputDetails: NOT_TRUNCATED },
      });
      return output;
    } catch (error) {
      const failed = error instanceof StatesError ? error : lambdaFunctionError(error);
      const details = { error: failed.name, cause: failed.message };
      if (failed instanceof TaskTimeout) {
        this.record('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: details });
      } else {
        this.record('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: details });
      }
      throw failed;
    }
  }

  /** `arn:aws:states:::lambda:invoke`: Parameters {FunctionName, Payload}, output is the Invoke response. */
  private lambdaInvokeTask(name: string, input: Json, timeoutSeconds: number): Promise<Json> {
    return this.integrationTask(name, 'lambda', 'invoke', input, timeoutSeconds, async () => {
      const params = isJsonObject(input) ? input : {};
      const functionArn =
        typeof params.FunctionName === 'string' ? this.functionArn(params.FunctionName) : undefined;
      if (!functionArn) throw runtimeError(`State '${name}': lambda:invoke needs Parameters.FunctionName`);
      const pending = this.invoke(name, functionArn, params.Payload ?? null);
      if (pending instanceof StatesError) throw pending;
      const payload = await pending;
      return {
        ExecutedVersion: '$LATEST',
        Payload: payload,
        SdkHttpMetadata: { AllHttpHeaders: {}, HttpHeaders: {}, HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: randomUUID() },
        StatusCode: 200,
      };
    });
  }

  private awsSdkTask(
    name: string,
    service: string,
    action: string,
    input: Json,
    timeoutSeconds: number,
  ): Promise<Json> {
    const call = this.host.callAwsSdk;
    return this.integrationTask(name, `aws-sdk:${service}`, action, input, timeoutSeconds, async () => {
      if (!call)
        throw runtimeError(`State '${name}': this emulator was started without aws-sdk integrations`);
      let result: unknown;
      try {
        result = await call(service, action, structuredClone(input));
      } catch (error) {
        throw serviceError(servicePrefix(service), error);
      }
      return toJson(result);
    });
  }

  /**
   * `states:startExecution` starts a child execution in this emulator. `.sync` waits for it and
   * returns DescribeExecution's fields (PascalCase, dates in epoch ms) with Input/Output as JSON
   * text; `.sync:2` parses them. A child that does not succeed fails the Task with
   * States.TaskFailed and that output as the Cause. Stopping the parent stops the child.
   */
  private startExecutionTask(
    name: string,
    mode: 'async' | 'sync' | 'sync:2',
    input: Json,
    timeoutSeconds: number,
  ): Promise<Json> {
    const resource = mode === 'async' ? 'startExecution' : `startExecution.${mode}`;
    return this.integrationTask(name, 'states', resource, input, timeoutSeconds, async (submitted) => {
      const params = isJsonObject(input) ? input : {};
      if (typeof params.StateMachineArn !== 'string') {
        throw runtimeError(`State '${name}': states:startExecution needs Parameters.StateMachineArn`);
      }
      const childInput =
        params.Input === undefined
          ? '{}'
          : typeof params.Input === 'string'
            ? params.Input
            : JSON.stringify(params.Input);
      let started: { executionArn: string; startDate: Date };
      try {
        started = this.host.startExecution({
          stateMachineArn: params.StateMachineArn,
          input: childInput,
          ...(typeof params.Name === 'string' && { name: params.Name }),
        });
      } catch (error) {
        throw serviceError('StepFunctions', error);
      }
      const startOutput = { ExecutionArn: started.executionArn, StartDate: started.startDate.getTime() };
      if (mode === 'async') return startOutput;
      submitted(startOutput);
      const stopChild = () =>
        this.host.stopExecution({
          executionArn: started.executionArn,
          cause: `The parent execution ${this.arn} stopped.`,
        });
      this.lifetime.signal.addEventListener('abort', stopChild, { once: true });
      const child = await this.host.waitForExecution(started.executionArn).finally(() => {
        this.lifetime.signal.removeEventListener('abort', stopChild);
      });
      const output = syncOutput(child, mode === 'sync:2');
      if (child.status !== 'SUCCEEDED') throw new StatesError('States.TaskFailed', JSON.stringify(output));
      return output;
    });
  }

  /** Service integrations: TaskScheduled → TaskStarted → [TaskSubmitted] → TaskSucceeded | TaskFailed | TaskTimedOut. */
  private async integrationTask(
    name: string,
    resourceType: string,
    resource: string,
    parameters: Json,
    timeoutSeconds: number,
    work: (submitted: (output: Json) => void) => Promise<Json>,
  ): Promise<Json> {
    this.record('TaskScheduled', {
      taskScheduledEventDetails: {
        resourceType,
        resource,
        region: this.host.region,
        parameters: JSON.stringify(parameters),
        timeoutInSeconds: timeoutSeconds,
      },
    });
    this.record('TaskStarted', { taskStartedEventDetails: { resourceType, resource } });
    const submitted = (output: Json) =>
      this.record('TaskSubmitted', {
        taskSubmittedEventDetails: {
          resourceType,
          resource,
          output: JSON.stringify(output),
          outputDetails: NOT_TRUNCATED,
        },
      });
    try {
      const output = checkSize(name, await withTimeout(work(submitted), timeoutSeconds));
      this.record('TaskSucceeded', {
        taskSucceededEventDetails: {
          resourceType,
          resource,
          output: JSON.stringify(output),
          outputDetails: NOT_TRUNCATED,
        },
      });
      return output;
    } catch (error) {
      const failed =
        error instanceof StatesError
          ? error
          : runtimeError(`emulator error in state '${name}': ${String(error)}`);
      const details = { resourceType, resource, error: failed.name, cause: failed.message };
      if (failed instanceof TaskTimeout) this.record('TaskTimedOut', { taskTimedOutEventDetails: details });
      else this.record('TaskFailed', { taskFailedEventDetails: details });
      throw failed;
    }
  }

  /** Starts a Lambda handler: its result as JSON, or the start failure when no function has that ARN. */
  private invoke(stateName: string, functionArn: string, payload: Json): Promise<Json> | StatesError {
    let pending: Promise<unknown> | undefined;
    try {
      pending = this.host.runTask(functionArn, structuredClone(payload), {
        executionArn: this.arn,
        stateName,
      });
    } catch (error) {
      return Promise.reject(lambdaFunctionError(error));
    }
    if (pending === undefined) {
      return new StatesError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${functionArn} (Service: Lambda, Status Code: 404, Error Code: ResourceNotFoundException, Request ID: ${randomUUID()})`,
      );
    }
    return Promise.resolve(pending).then(toJson, (error: unknown) => {
      throw lambdaFunctionError(error);
    });
  }

  /** A FunctionName as lambda:invoke accepts it (name, name:qualifier, partial or full ARN) → function ARN. */
  private functionArn(functionName: string): string | undefined {
    const { region, accountId } = this.host;
    const full = functionName.startsWith('arn:')
      ? functionName
      : /^\d{12}:function:/.test(functionName)
        ? `arn:aws:lambda:${region}:${functionName}`
        : `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
    const target = taskTarget(full);
    return target.kind === 'lambda' ? target.functionArn : undefined;
  }

  /** A reference path into the effective input, or into the Context object for `$$.`. */
  private query(path: string, input: Json): unknown {
    if (path.startsWith('$$')) {
      const context = {
        Execution: {
          Id: this.arn,
          Name: this.name,
          RoleArn: this.stateMachine.roleArn,
          Input: JSON.parse(this.input) as Json,
          StartTime: this.startDate.toISOString(),
          SimulatedStartTime: this.startDate.toISOString(),
        },
        StateMachine: { Id: this.stateMachine.arn, Name: this.stateMachine.name },
      };
      return JSONPath({ path: path.slice(1), json: context, wrap: false });
    }
    return JSONPath({ path, json: input, wrap: false });
  }
}

function failure(error: unknown): Outcome {
  if (error instanceof ExecutionError && error.cause instanceof Error) {
    const inner = error.cause as Error & { cause?: unknown };
    const cause = inner.cause ?? inner.message;
    return {
      status: 'FAILED',
      error: inner.name,
      cause: typeof cause === 'string' ? cause : JSON.stringify(cause),
    };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: `emulator error: ${String(error)}` };
}

/** JSON as a Lambda or an SDK call would put it on the wire (Dates become strings, undefined null). */
function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value ?? null)) as Json;
}

function checkSize(stateName: string, output: Json): Json {
  if (Buffer.byteLength(JSON.stringify(output)) > MAX_PAYLOAD_BYTES) {
    throw runtimeError(
      `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      'States.DataLimitExceeded',
    );
  }
  return output;
}

function syncOutput(child: DescribeExecutionOutput, parse: boolean): JsonObject {
  const data = (text: string) => (parse ? (JSON.parse(text) as Json) : text);
  return {
    ExecutionArn: child.executionArn ?? null,
    StateMachineArn: child.stateMachineArn ?? null,
    Name: child.name ?? null,
    Status: child.status ?? null,
    StartDate: child.startDate?.getTime() ?? null,
    StopDate: child.stopDate?.getTime() ?? null,
    Input: data(child.input ?? '{}'),
    InputDetails: { Included: true },
    ...(child.output !== undefined && { Output: data(child.output), OutputDetails: { Included: true } }),
    ...(child.error !== undefined && { Error: child.error }),
    ...(child.cause !== undefined && { Cause: child.cause }),
  };
}

/** Runs `work` unless the execution closes first; a close settles the Task at once. */
function untilClosed<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const closed = () => runtimeError('The execution has closed.');
  if (signal.aborted) return Promise.reject(closed());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(closed());
    signal.addEventListener('abort', onAbort, { once: true });
    work().then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Rejects with States.Timeout after `seconds` of real time. */
function withTimeout<T>(work: Promise<T>, seconds: number): Promise<T> {
  const ms = seconds * 1000;
  if (!(ms < MAX_TIMER_MS)) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TaskTimeout(seconds)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Sleeps until simulated time `untilMs` (in timer-sized steps, so long waits cannot overflow). */
export async function sleepUntil(clock: SimulatedClock, untilMs: number, signal: AbortSignal): Promise<void> {
  const maxStepSeconds = ((MAX_TIMER_MS - 1) * clock.speed) / 1000;
  for (;;) {
    if (signal.aborted) return;
    const remaining = untilMs - clock.nowMs();
    if (remaining <= 0) return;
    await clock.sleep(Math.min(remaining / 1000, maxStepSeconds), signal);
  }
}
