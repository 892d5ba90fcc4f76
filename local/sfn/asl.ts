/**
 * What the emulator changes in a state machine definition before aws-local-stepfunctions runs it.
 * These are its only changes; everything else (paths, Choice rules, Retry/Catch matching, Map and
 * Parallel) is the engine's own behaviour on the definition as written.
 *
 * (a) Every Wait state becomes a Task state with the synthetic Resource `WAIT_RESOURCE` (same
 *     InputPath/OutputPath/Next/End), which the emulator runs by sleeping on the simulated clock
 *     for Seconds / SecondsPath, or until Timestamp / TimestampPath in simulated time, and then
 *     returning its input. The engine's own Wait sleeps in real time. The history still reports
 *     WaitStateEntered / WaitStateExited for these states. Map ItemProcessor/Iterator and Parallel
 *     Branches are rewritten too.
 * (b) `$$.Execution.StartTime` in paths, Choice `Variable`s and `.$` fields of Parameters /
 *     ItemSelector / ResultSelector becomes `$$.Execution.SimulatedStartTime`: the engine always
 *     stamps StartTime with the real time, so the emulator supplies the simulated one under a
 *     field of its own.
 * (c) Retry intervals run on the simulated clock through the engine's `retryIntervalOverrides`:
 *     one interval per retrier, IntervalSeconds at clock speed. BackoffRate and JitterStrategy are
 *     ignored (the override is a fixed interval per retrier); MaxDelaySeconds still caps it.
 * (d) The top-level TimeoutSeconds is removed: the emulator enforces it on the simulated clock
 *     and ends the execution with ExecutionTimedOut (the engine would count real seconds).
 * (e) Every Task gets the longest TimeoutSeconds the engine's timer can hold and loses
 *     TimeoutSecondsPath: the emulator enforces the state's own timeout itself (in REAL seconds,
 *     because the Lambda handlers behind Tasks run in real time; a simulated timeout would fire on
 *     handlers that are merely slow on the wall clock), so it can report LambdaFunctionTimedOut
 *     and ignore a late result. Without this the engine would time every Task out after 60 real
 *     seconds, where AWS's default is 99999999 s.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const WAIT_RESOURCE = 'arn:aws:states:::emulator:wait';
const START_TIME = '$$.Execution.StartTime';
export const SIMULATED_START_TIME = '$$.Execution.SimulatedStartTime';
/** setTimeout holds at most 2^31-1 ms; longer timers fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
const ENGINE_TASK_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** AWS's Task default when TimeoutSeconds is absent. */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;

export interface WaitSpec {
  readonly seconds?: number;
  readonly secondsPath?: string;
  readonly timestamp?: string;
  readonly timestampPath?: string;
}

export type TaskTarget =
  | { readonly kind: 'lambda'; readonly functionArn: string }
  | { readonly kind: 'lambda-invoke' }
  | { readonly kind: 'aws-sdk'; readonly service: string; readonly action: string }
  | { readonly kind: 'start-execution'; readonly mode: 'async' | 'sync' | 'sync:2' }
  | { readonly kind: 'unsupported' };

export interface TaskSpec {
  readonly resource: string;
  readonly target: TaskTarget;
  /** The state's own timeout, in (real) seconds, or the path to it. */
  readonly timeoutSeconds: number;
  readonly timeoutSecondsPath?: string;
}

export interface PreparedDefinition {
  /** The definition the engine runs. */
  readonly definition: JsonObject;
  /** Rewritten Wait states by name (state names are unique across a whole state machine). */
  readonly waits: ReadonlyMap<string, WaitSpec>;
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** Every state's type as written, so the history can say `WaitStateEntered`. */
  readonly stateTypes: ReadonlyMap<string, string>;
  /** IntervalSeconds of each retrier, per state with a Retry field. */
  readonly retryIntervals: ReadonlyMap<string, readonly number[]>;
  /** The top-level TimeoutSeconds, if any. */
  readonly timeoutSeconds: number | undefined;
}

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a Task's Resource into what the emulator does with it. */
export function taskTarget(resource: string): TaskTarget {
  if (/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/.test(resource)) {
    return { kind: 'lambda', functionArn: resource.split(':').slice(0, 7).join(':') };
  }
  if (resource === 'arn:aws:states:::lambda:invoke') return { kind: 'lambda-invoke' };
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (sdk?.[1] && sdk[2]) return { kind: 'aws-sdk', service: sdk[1], action: sdk[2] };
  const start = /^arn:aws:states:::states:startExecution(\.sync(:2)?)?$/.exec(resource);
  if (start) return { kind: 'start-execution', mode: start[2] ? 'sync:2' : start[1] ? 'sync' : 'async' };
  return { kind: 'unsupported' };
}

export function prepareDefinition(definition: JsonObject): PreparedDefinition {
  const waits = new Map<string, WaitSpec>();
  const tasks = new Map<string, TaskSpec>();
  const stateTypes = new Map<string, string>();
  const retryIntervals = new Map<string, readonly number[]>();

  const rewriteMachine = (machine: JsonObject): JsonObject => {
    const states = isJsonObject(machine.States) ? machine.States : {};
    const rewritten: JsonObject = {};
    for (const [name, raw] of Object.entries(states)) {
      if (!isJsonObject(raw)) {
        rewritten[name] = raw;
        continue;
      }
      const type = String(raw.Type);
      stateTypes.set(name, type);
      let state = substituteStartTime(raw);
      if (Array.isArray(state.Retry)) {
        retryIntervals.set(
          name,
          state.Retry.map((r) =>
            isJsonObject(r) && typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1,
          ),
        );
      }
      if (type === 'Wait') {
        waits.set(name, waitSpec(state));
        const { Seconds, SecondsPath, Timestamp, TimestampPath, ...rest } = state;
        state = {
          ...rest,
          Type: 'Task',
          Resource: WAIT_RESOURCE,
          TimeoutSeconds: ENGINE_TASK_TIMEOUT_SECONDS,
        };
      } else if (type === 'Task') {
        const resource = String(state.Resource);
        const { TimeoutSecondsPath, ...rest } = state;
        tasks.set(name, {
          resource,
          target: taskTarget(resource),
          timeoutSeconds:
            typeof state.TimeoutSeconds === 'number'
              ? state.TimeoutSeconds
              : AWS_DEFAULT_TASK_TIMEOUT_SECONDS,
          ...(typeof TimeoutSecondsPath === 'string' && { timeoutSecondsPath: TimeoutSecondsPath }),
        });
        state = { ...rest, TimeoutSeconds: ENGINE_TASK_TIMEOUT_SECONDS };
      } else if (type === 'Map') {
        for (const key of ['ItemProcessor', 'Iterator'] as const) {
          const inner = state[key];
          if (isJsonObject(inner)) state = { ...state, [key]: rewriteMachine(inner) };
        }
      } else if (type === 'Parallel' && Array.isArray(state.Branches)) {
        state = { ...state, Branches: state.Branches.map((b) => (isJsonObject(b) ? rewriteMachine(b) : b)) };
      }
      rewritten[name] = state;
    }
    return { ...machine, States: rewritten };
  };

  const { TimeoutSeconds, ...top } = definition;
  return {
    definition: rewriteMachine(top),
    waits,
    tasks,
    stateTypes,
    retryIntervals,
    timeoutSeconds: typeof TimeoutSeconds === 'number' ? TimeoutSeconds : undefined,
  };
}

function waitSpec(state: JsonObject): WaitSpec {
  const { Seconds, SecondsPath, Timestamp, TimestampPath } = state;
  return {
    ...(typeof Seconds === 'number' && { seconds: Seconds }),
    ...(typeof SecondsPath === 'string' && { secondsPath: SecondsPath }),
    ...(typeof Timestamp === 'string' && { timestamp: Timestamp }),
    ...(typeof TimestampPath === 'string' && { timestampPath: TimestampPath }),
  };
}

/** Fields of a state that hold nested state machines or literal data, which (b) leaves alone. */
const NOT_PATHS = new Set(['ItemProcessor', 'Iterator', 'Branches', 'Result', 'Comment']);

function substituteStartTime(state: JsonObject): JsonObject {
  const walk = (value: Json, key: string): Json => {
    if (typeof value === 'string') {
      const isPath = key.endsWith('.$') || key.endsWith('Path') || key === 'Variable';
      // A replacer function: in a replacement string `$$` would mean a literal `$`.
      return isPath ? value.replaceAll(START_TIME, () => SIMULATED_START_TIME) : value;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, key));
    if (isJsonObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, NOT_PATHS.has(k) ? v : walk(v, k)]),
      );
    }
    return value;
  };
  return walk(state, '') as JsonObject;
}
