/**
 * One Step Functions execution: runs the prepared definition (./asl.ts) in aws-local-stepfunctions,
 * hands its Task states to ./task-dispatch.ts, runs the rewritten Waits on the simulated clock,
 * and writes an AWS-shaped execution history on the simulated clock from the engine's event log
 * plus the Task events the dispatch records.
 *
 * Over 400 lines: the history writer, the outcome and the Wait states share one lifetime and one
 * event ordering, which splitting further would spread across files.
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
import { type Json, MAX_TIMER_MS, type PreparedDefinition, type WaitSpec } from './asl';
import {
  type CallAwsSdk,
  MAX_PAYLOAD_BYTES,
  type RunTask,
  TaskDispatch,
  type TaskHost,
} from './task-dispatch';
import { runtimeError } from './task-errors';

export { type CallAwsSdk, MAX_PAYLOAD_BYTES, type RunTask };

/** What an execution needs from the emulator that runs it. */
export interface ExecutionHost extends TaskHost {
  readonly clock: SimulatedClock;
  /** Called when the execution starts (RUNNING) and once when it closes: where status-change events come from. */
  readonly onStatusChange?: (execution: Execution) => void;
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
  /** Releases the clock's fast-forward held while the engine sleeps a Retry interval. */
  private retryInterval: (() => void) | undefined;
  private lastTimestamp = 0;
  private readonly tasks: TaskDispatch;

  constructor(
    readonly arn: string,
    readonly name: string,
    readonly stateMachine: StateMachineRecord,
    /** The execution input as the caller sent it (a JSON text). */
    readonly input: string,
    private readonly host: ExecutionHost,
  ) {
    this.startDate = host.clock.now();
    this.tasks = new TaskDispatch({
      executionArn: this.arn,
      host: this.host,
      signal: this.lifetime.signal,
      record: (type, details) => this.record(type, details),
      query: (path, input) => this.query(path, input),
    });
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
    const clock = this.host.clock;
    // The execution is a flow of its own (whoever started it): in flight between its states.
    void clock.flow(() => this.drive(this.runEngine(engine)), { root: true });
    void clock.detached(() => this.enforceTimeout(prepared.timeoutSeconds));
    this.host.onStatusChange?.(this);
  }

  private runEngine(engine: StateMachine): EngineRun {
    const { prepared, roleArn } = this.stateMachine;
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
    return run;
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
      handlers[name] = this.handler(name, (input) => this.tasks.run(name, spec, input));
    for (const [name, spec] of prepared.waits)
      handlers[name] = this.handler(name, (input) => this.wait(spec, input));
    const speed = this.host.clock.speed;
    const retryIntervalOverrides = Object.fromEntries(
      [...prepared.retryIntervals].map(([name, seconds]) => [name, seconds.map((s) => (s * 1000) / speed)]),
    );
    return { taskResourceLocalHandlers: handlers, retryIntervalOverrides };
  }

  private handler(state: string, work: (input: Json) => Promise<Json>): (input: Json) => Promise<Json> {
    const clock = this.host.clock;
    const retries = this.stateMachine.prepared.retryIntervals.has(state);
    // A state runs as a flow under the execution's: in flight unless it sleeps on the clock.
    return (input) =>
      clock.flow(async () => {
        this.endRetryInterval();
        // Let the engine's queued events (this state's StateEntered) reach the history first.
        await new Promise((resolve) => setImmediate(resolve));
        try {
          return await untilClosed(this.lifetime.signal, () => work(input));
        } catch (error) {
          // The engine may now sleep a Retry interval in real time (at the clock's speed, see
          // overrides()): simulated time passes at that speed until the next state runs.
          if (retries && this.status === 'RUNNING') {
            this.endRetryInterval();
            this.retryInterval = clock.fastForward();
          }
          throw error;
        }
      });
  }

  private endRetryInterval(): void {
    this.retryInterval?.();
    this.retryInterval = undefined;
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
    this.endRetryInterval();
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
    this.host.onStatusChange?.(this);
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
