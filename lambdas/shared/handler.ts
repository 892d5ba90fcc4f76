/**
 * Turns a step definition into a Lambda handler. The handler stays an adapter: read the
 * environment once, check the event's shape, call the step's core function with its clients, and
 * translate errors so the state machine can route them (transient AWS errors become
 * TransientAwsError, which every Task retries with backoff).
 */
import { z } from 'zod';
import { type AwsClients, createAwsClients } from './clients';
import { type AnyFunctionId, type FunctionEnv, parseEnv } from './env';
import { awsErrorCode, errorMessage, isTransientAwsError, TransientAwsError, WorkflowError } from './errors';
import { createLogger, type Logger } from './logger';
import { type Clock, type Sleep, systemClock, systemSleep } from './time';
import type { WorkflowState } from './workflow-state';

export interface StepDeps<F extends AnyFunctionId> {
  readonly env: FunctionEnv<F>;
  readonly clients: AwsClients;
  readonly now: Clock;
  readonly sleep: Sleep;
  readonly logger: Logger;
}

export interface StepDefinition<F extends AnyFunctionId, R> {
  readonly id: F;
  run(state: WorkflowState, deps: StepDeps<F>): Promise<R>;
}

export function defineStep<F extends AnyFunctionId, R>(
  definition: StepDefinition<F, R>,
): StepDefinition<F, R> {
  return definition;
}

export interface HandlerOptions {
  readonly env?: Record<string, string | undefined>;
  readonly clients?: AwsClients;
  readonly now?: Clock;
  readonly sleep?: Sleep;
  readonly logger?: Logger;
}

const EventSchema = z.looseObject({
  execution: z.object({ id: z.string().min(1), name: z.string().min(1), startTime: z.string().min(1) }),
});

export type StepHandler<R> = (event: unknown) => Promise<R>;

export function createHandler<F extends AnyFunctionId, R>(
  definition: StepDefinition<F, R>,
  options: HandlerOptions = {},
): StepHandler<R> {
  let deps: StepDeps<F> | undefined;
  const init = (): StepDeps<F> => {
    const logger = options.logger ?? createLogger();
    logger.appendKeys({ step: definition.id });
    return {
      env: parseEnv(definition.id, options.env ?? process.env),
      clients: options.clients ?? createAwsClients(),
      now: options.now ?? systemClock,
      sleep: options.sleep ?? systemSleep,
      logger,
    };
  };

  return async (event: unknown): Promise<R> => {
    deps ??= init();
    const parsed = EventSchema.safeParse(event);
    if (!parsed.success) {
      throw new TypeError(
        `${definition.id} received an event that is not the workflow state: ${parsed.error.message}`,
      );
    }
    const state = parsed.data as unknown as WorkflowState;
    deps.logger.appendKeys({ executionArn: state.execution.id });
    try {
      return await definition.run(state, deps);
    } catch (error) {
      const translated = translateError(error);
      deps.logger.error('step failed', { errorName: translated.name, errorMessage: translated.message });
      throw translated;
    }
  };
}

function translateError(error: unknown): Error {
  if (error instanceof WorkflowError) return error;
  if (isTransientAwsError(error)) {
    return new TransientAwsError(`${awsErrorCode(error) ?? 'AWS error'}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (error instanceof Error) return error;
  return new Error(String(error));
}
