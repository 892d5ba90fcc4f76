/**
 * How a Task state's Resource runs in the emulator: Lambda function ARNs and `lambda:invoke` call
 * the step handlers in-process, `aws-sdk:*` integrations go through the host's SDK call,
 * `states:startExecution[.sync[:2]]` starts (and follows) a nested execution here. Each writes the
 * history events Step Functions writes for that kind of Task (LambdaFunction* or Task*), enforces
 * TimeoutSeconds and the payload limit, and turns failures into the errors States would report.
 */
import { randomUUID } from 'node:crypto';
import type {
  DescribeExecutionOutput,
  HistoryEvent,
  HistoryEventExecutionDataDetails,
  HistoryEventType,
} from '@aws-sdk/client-sfn';
import { isJsonObject, type Json, type JsonObject, MAX_TIMER_MS, type TaskSpec, taskTarget } from './asl';
import { lambdaFunctionError, runtimeError, StatesError, serviceError, servicePrefix } from './task-errors';

/** Payload limit per task result, state or execution input/output (E.1). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
const NOT_TRUNCATED: HistoryEventExecutionDataDetails = { truncated: false };

type EventDetails = Omit<HistoryEvent, 'timestamp' | 'type' | 'id' | 'previousEventId'>;

/** Runs a Lambda function's handler; `undefined` when no function has that ARN. */
export type RunTask = (
  resourceArn: string,
  input: unknown,
  context: { executionArn: string; stateName: string },
) => Promise<unknown> | undefined;

/** Runs an aws-sdk integration: service and camelCase action from the Resource ARN, PascalCase parameters. */
export type CallAwsSdk = (service: string, action: string, params: unknown) => Promise<unknown>;

/**
 * What a Task needs from the emulator that runs the execution (the execution's host, declared
 * here so that the dispatch does not depend on the execution module that uses it).
 */
export interface TaskHost {
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
  /**
   * Throws when the state machine role of `executionArn` may not do `action` on `resource`
   * (local/iam/): the service integrations run as that role.
   */
  readonly authorize?: (executionArn: string, action: string, resource: string) => void;
}

/** What a Task needs from the execution it runs in. */
export interface TaskContext {
  readonly executionArn: string;
  readonly host: TaskHost;
  /** Aborted when the execution closes (a nested `.sync` execution is stopped with it). */
  readonly signal: AbortSignal;
  /** Appends a history event (ignored once the execution has closed). */
  record(type: HistoryEventType, details?: EventDetails): void;
  /** A reference path into the effective input, or into the Context object for `$$.`. */
  query(path: string, input: Json): unknown;
}

/** A Task that ran past its TimeoutSeconds. */
class TaskTimeout extends StatesError {
  constructor(seconds: number) {
    super(
      'States.Timeout',
      `The task did not finish within its TimeoutSeconds (${seconds} s, real time in the emulator).`,
    );
  }
}

/** Runs the Task states of one execution. */
export class TaskDispatch {
  constructor(private readonly ctx: TaskContext) {}

  async run(name: string, spec: TaskSpec, input: Json): Promise<Json> {
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
    const seconds = this.ctx.query(spec.timeoutSecondsPath, input);
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
    this.ctx.record('LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: {
        resource: functionArn,
        input: JSON.stringify(input),
        inputDetails: NOT_TRUNCATED,
        timeoutInSeconds: timeoutSeconds,
      },
    });
    const pending = this.invoke(name, functionArn, input);
    if (pending instanceof StatesError) {
      this.ctx.record('LambdaFunctionStartFailed', {
        lambdaFunctionStartFailedEventDetails: { error: pending.name, cause: pending.message },
      });
      throw pending;
    }
    this.ctx.record('LambdaFunctionStarted');
    try {
      const output = checkSize(name, await withTimeout(pending, timeoutSeconds));
      this.ctx.record('LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output), outputDetails: NOT_TRUNCATED },
      });
      return output;
    } catch (error) {
      const failed = error instanceof StatesError ? error : lambdaFunctionError(error);
      const details = { error: failed.name, cause: failed.message };
      if (failed instanceof TaskTimeout) {
        this.ctx.record('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: details });
      } else {
        this.ctx.record('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: details });
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
    const call = this.ctx.host.callAwsSdk;
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
        this.ctx.host.authorize?.(this.ctx.executionArn, 'states:StartExecution', params.StateMachineArn);
        started = this.ctx.host.startExecution({
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
        this.ctx.host.stopExecution({
          executionArn: started.executionArn,
          cause: `The parent execution ${this.ctx.executionArn} stopped.`,
        });
      this.ctx.signal.addEventListener('abort', stopChild, { once: true });
      const child = await this.ctx.host.waitForExecution(started.executionArn).finally(() => {
        this.ctx.signal.removeEventListener('abort', stopChild);
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
    this.ctx.record('TaskScheduled', {
      taskScheduledEventDetails: {
        resourceType,
        resource,
        region: this.ctx.host.region,
        parameters: JSON.stringify(parameters),
        timeoutInSeconds: timeoutSeconds,
      },
    });
    this.ctx.record('TaskStarted', { taskStartedEventDetails: { resourceType, resource } });
    const submitted = (output: Json) =>
      this.ctx.record('TaskSubmitted', {
        taskSubmittedEventDetails: {
          resourceType,
          resource,
          output: JSON.stringify(output),
          outputDetails: NOT_TRUNCATED,
        },
      });
    try {
      const output = checkSize(name, await withTimeout(work(submitted), timeoutSeconds));
      this.ctx.record('TaskSucceeded', {
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
      if (failed instanceof TaskTimeout)
        this.ctx.record('TaskTimedOut', { taskTimedOutEventDetails: details });
      else this.ctx.record('TaskFailed', { taskFailedEventDetails: details });
      throw failed;
    }
  }

  /** Starts a Lambda handler: its result as JSON, or the start failure when no function has that ARN. */
  private invoke(stateName: string, functionArn: string, payload: Json): Promise<Json> | StatesError {
    let pending: Promise<unknown> | undefined;
    try {
      pending = this.ctx.host.runTask(functionArn, structuredClone(payload), {
        executionArn: this.ctx.executionArn,
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
    const { region, accountId } = this.ctx.host;
    const full = functionName.startsWith('arn:')
      ? functionName
      : /^\d{12}:function:/.test(functionName)
        ? `arn:aws:lambda:${region}:${functionName}`
        : `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
    const target = taskTarget(full);
    return target.kind === 'lambda' ? target.functionArn : undefined;
  }
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
