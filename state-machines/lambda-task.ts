/**
 * How both workflows call their step Lambdas: one builder, so restore-instance and restore-fleet
 * cannot drift apart in retries, timeouts or how a Lambda's error reaches the state.
 */

import { ErrorNames } from '@shared/errors';
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

export interface RetryPolicy {
  /** @default 2 */
  readonly intervalSeconds?: number;
  /** @default 6 */
  readonly maxAttempts?: number;
  /** @default 2 */
  readonly backoffRate?: number;
  /** @default 60 */
  readonly maxDelaySeconds?: number;
}

const DEFAULT_RETRY: Required<RetryPolicy> = {
  intervalSeconds: 2,
  maxAttempts: 6,
  backoffRate: 2,
  maxDelaySeconds: 60,
};
const DEFAULT_TASK_TIMEOUT = Duration.minutes(5);

/** Errors a Task retries before its Catch sees them. */
export const RETRYABLE_ERRORS = [
  ErrorNames.TransientAws,
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

export interface LambdaTaskOptions {
  /** Where the function's return value goes in the state. */
  readonly resultPath: string;
  /** @default the whole state */
  readonly outputPath?: string;
  /** @default the whole state */
  readonly payload?: sfn.TaskInput;
  /** Backoff for throttling and transient errors; unset fields keep their defaults. @default RetryPolicy's defaults */
  readonly retry?: RetryPolicy;
  /** @default 5 minutes */
  readonly timeout?: Duration;
}

/**
 * A step Lambda as a Task: the function ARN as the Resource, so the Lambda's own error name
 * becomes the state's Error (e.g. PreflightError) and the result is the function's return value;
 * throttling and transient errors retried with full-jitter backoff.
 */
export function lambdaTask(
  scope: Construct,
  name: string,
  lambdaFunction: IFunction,
  options: LambdaTaskOptions,
): tasks.LambdaInvoke {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    ...(options.payload && { payload: options.payload }),
    resultPath: options.resultPath,
    outputPath: options.outputPath,
    taskTimeout: sfn.Timeout.duration(options.timeout ?? DEFAULT_TASK_TIMEOUT),
  });
  task.addRetry({
    errors: [...RETRYABLE_ERRORS],
    interval: Duration.seconds(retry.intervalSeconds),
    maxAttempts: retry.maxAttempts,
    backoffRate: retry.backoffRate,
    maxDelay: Duration.seconds(retry.maxDelaySeconds),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}
