/**
 * Turns a step definition into a Lambda handler. The handler stays an adapter: read the
 * environment once, check the event with the step's own input schema, call the step's core
 * function with the clients it named, and translate errors so the state machine can route them
 * (transient AWS errors become TransientAwsError, which every Task retries with backoff).
 *
 * A step names its clients by factory (`clients: { ec2: ec2Client }` from `clients/ec2.ts`), so
 * its bundle holds, and its cold start loads, only those SDK packages; a step that calls no AWS
 * API names none and loads no SDK client.
 */
import type { AwsClients, ClientFactories } from './clients';
import { type AnyFunctionId, type FunctionEnv, parseEnv } from './env';
import { awsErrorCode, errorMessage, isTransientAwsError, TransientAwsError, WorkflowError } from './errors';
import { createLogger, type Logger } from './logger';
import { type Clock, type Sleep, systemClock, systemSleep } from './time';
import type * as z from './zod';

/** The clients a step named, created. */
export type StepClients<C extends ClientFactories> = {
  readonly [K in keyof C & keyof AwsClients]: AwsClients[K];
};

export interface StepDeps<F extends AnyFunctionId, C extends ClientFactories = ClientFactories> {
  readonly env: FunctionEnv<F>;
  readonly clients: StepClients<C>;
  readonly now: Clock;
  readonly sleep: Sleep;
  readonly logger: Logger;
}

export interface StepDefinition<F extends AnyFunctionId, I, R, C extends ClientFactories = ClientFactories> {
  readonly id: F;
  /** The event this step reads; the handler rejects any other with the step and the field. */
  readonly input: z.ZodMiniType<I>;
  /** The SDK clients the step calls, by factory; `{}` for a step that calls no AWS API. */
  readonly clients: C;
  run(input: I, deps: StepDeps<F, C>): Promise<R>;
}

/**
 * Any step, whatever its input, result and clients: for registries and the emulator. (`run` is a
 * method, so a step that takes a narrower input still fits; its own schema guards the call.)
 */
export type AnyStep<F extends AnyFunctionId = AnyFunctionId> = StepDefinition<
  F,
  unknown,
  unknown,
  ClientFactories
>;

export function defineStep<F extends AnyFunctionId, I, R, C extends ClientFactories>(
  definition: StepDefinition<F, I, R, C>,
): StepDefinition<F, I, R, C> {
  return definition;
}

export interface HandlerOptions {
  readonly env?: Record<string, string | undefined>;
  /** Clients to use instead of creating the step's own (the emulator's endpoint, test mocks). */
  readonly clients?: Partial<AwsClients>;
  readonly now?: Clock;
  readonly sleep?: Sleep;
  readonly logger?: Logger;
}

export type StepHandler<R> = (event: unknown) => Promise<R>;

export function createHandler<F extends AnyFunctionId, I, R, C extends ClientFactories>(
  definition: StepDefinition<F, I, R, C>,
  options: HandlerOptions = {},
): StepHandler<R> {
  let deps: StepDeps<F, C> | undefined;
  const init = (): StepDeps<F, C> => {
    const logger = options.logger ?? createLogger();
    logger.appendKeys({ step: definition.id });
    return {
      env: parseEnv(definition.id, options.env ?? process.env),
      clients: stepClients(definition, options.clients),
      now: options.now ?? systemClock,
      sleep: options.sleep ?? systemSleep,
      logger,
    };
  };

  return async (event: unknown): Promise<R> => {
    deps ??= init();
    const input = parseInput(definition, event);
    const executionArn = executionArnOf(event);
    if (executionArn) deps.logger.appendKeys({ executionArn });
    try {
      return await definition.run(input, deps);
    } catch (error) {
      const translated = translateError(error);
      deps.logger.error('step failed', { errorName: translated.name, errorMessage: translated.message });
      throw translated;
    }
  };
}

/**
 * The event as the step's schema reads it. A bad event is a wiring bug (the state machine built
 * the payload), not bad user input, so it is a TypeError: not a contract error, never retried.
 */
export function parseInput<I>(
  definition: { readonly id: string; readonly input: z.ZodMiniType<I> },
  event: unknown,
): I {
  const parsed = definition.input.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(event)';
    return `${field}: ${issue.message}`;
  });
  throw new TypeError(`${definition.id} received an invalid event: ${problems.join('; ')}`);
}

function stepClients<C extends ClientFactories>(
  definition: { readonly clients: C },
  given: Partial<AwsClients> | undefined,
): StepClients<C> {
  const clients: Partial<Record<keyof AwsClients, unknown>> = {};
  for (const [name, create] of Object.entries(definition.clients) as [keyof AwsClients, () => unknown][]) {
    clients[name] = given?.[name] ?? create();
  }
  return clients as StepClients<C>;
}

function executionArnOf(event: unknown): string | undefined {
  const execution = (event as { execution?: { id?: unknown } } | null)?.execution;
  return typeof execution?.id === 'string' ? execution.id : undefined;
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
