/**
 * How a failed state reaches aws-local-stepfunctions, and how failures are named the way Step
 * Functions names them.
 *
 * The engine takes a state's Error from the thrown object's `name` and its Cause from `message`
 * (a Catch's ResultPath gets `{ Error: name, Cause: message }`; ExecutionFailed uses
 * `cause ?? message`), and reads optional `isRetryable` / `isCatchable` flags. So a failure is an
 * Error whose name is the Step Functions error and whose message is the Cause text, with no
 * `cause` property.
 */
import { randomUUID } from 'node:crypto';

export class StatesError extends Error {
  /**
   * @param error The Step Functions error name, e.g. `PreflightError`, `Backup.ResourceNotFoundException`.
   * @param cause The Cause text.
   * @param terminal Neither Retry nor Catch (not even States.ALL) may handle it, like States.Runtime.
   */
  constructor(
    error: string,
    cause: string,
    private readonly terminal = false,
  ) {
    super(cause);
    this.name = error;
  }

  get isRetryable(): boolean {
    return !this.terminal;
  }

  get isCatchable(): boolean {
    return !this.terminal;
  }
}

/** An error Step Functions itself raises that ends the execution (States.Runtime and the like). */
export function runtimeError(cause: string, error = 'States.Runtime'): StatesError {
  return new StatesError(error, cause, true);
}

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly stack?: unknown;
  readonly code?: unknown;
  readonly status?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly requestId?: unknown };
}

function errorLike(thrown: unknown): ErrorLike | undefined {
  return typeof thrown === 'object' && thrown !== null ? (thrown as ErrorLike) : undefined;
}

/**
 * A Lambda function error as Step Functions reports it: Error is the function's error type (the
 * thrown error's `name`), Cause is the JSON payload the Node.js runtime writes for an unhandled
 * error, `{"errorType","errorMessage","trace"}`.
 */
export function lambdaFunctionError(thrown: unknown): StatesError {
  const e = errorLike(thrown);
  const errorType = typeof e?.name === 'string' && e.name !== '' ? e.name : e ? 'Error' : typeof thrown;
  const errorMessage = typeof e?.message === 'string' ? e.message : String(thrown);
  const trace = typeof e?.stack === 'string' ? e.stack.split('\n') : [];
  return new StatesError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

const SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  backup: 'Backup',
  ec2: 'Ec2',
  ssm: 'Ssm',
  sfn: 'Sfn',
  iam: 'Iam',
  sts: 'Sts',
  lambda: 'Lambda',
  cloudwatchlogs: 'CloudWatchLogs',
};

/** `backup` → `Backup`, as Step Functions prefixes aws-sdk integration errors. */
export function servicePrefix(service: string): string {
  return SERVICE_PREFIXES[service] ?? `${service.charAt(0).toUpperCase()}${service.slice(1)}`;
}

/**
 * An AWS API error raised through a Task integration. Step Functions names these
 * `<ServicePascal>.<ErrorName>` and the name always ends in `Exception`
 * (`Backup.ResourceNotFoundException`, `Ssm.ParameterNotFoundException`). EC2's Query-protocol
 * errors reportedly all arrive as `Ec2.Ec2Exception` with the real code only in the Cause
 * (aws-facts.md E.2, unconfirmed), so the emulator does that, and every Cause carries the code.
 * The Cause follows the AWS SDK for Java's message format, which is what Step Functions reports.
 */
export function serviceError(prefix: string, thrown: unknown): StatesError {
  const e = errorLike(thrown);
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'UnknownError';
  const message = typeof e?.message === 'string' ? e.message : String(thrown);
  const status =
    typeof e?.status === 'number'
      ? e.status
      : typeof e?.$metadata?.httpStatusCode === 'number'
        ? e.$metadata.httpStatusCode
        : 400;
  const requestId = typeof e?.$metadata?.requestId === 'string' ? e.$metadata.requestId : randomUUID();
  const error =
    prefix === 'Ec2'
      ? 'Ec2.Ec2Exception'
      : `${prefix}.${code.endsWith('Exception') ? code : `${code}Exception`}`;
  const cause = `${message} (Service: ${prefix}, Status Code: ${status}, Error Code: ${code}, Request ID: ${requestId})`;
  return new StatesError(error, cause);
}
