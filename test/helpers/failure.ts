/** Await a promise that must reject, for tests that then look at the error. */

/** The rejection; fails the test when the promise resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.catch((e: unknown) => e);
  if (!(error instanceof Error)) throw new Error('expected a failure, but the call succeeded');
  return error;
}

/** An AWS SDK failure as tests compare it: the error name (the service's code), its HTTP status. */
export interface AwsFailure {
  readonly name: string;
  readonly status: number | undefined;
  readonly message: string;
  /** restJson1 services also report the code in the body (`Code`). */
  readonly code?: unknown;
  readonly error: Error;
}

export async function awsFailure(promise: Promise<unknown>): Promise<AwsFailure> {
  const e = (await rejection(promise)) as Error & { Code?: unknown; $metadata?: { httpStatusCode?: number } };
  return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message, code: e.Code, error: e };
}
