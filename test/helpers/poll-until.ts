/**
 * The one way a test waits for something that happens on its own time (a child process printing,
 * an execution closing, the emulator's world moving on simulated time): read it again every
 * `intervalMs` until it is what was awaited, and past a real-time deadline fail saying what was
 * awaited and the last value read, never with a bare jest timeout. No test sleeps a fixed time.
 */
import { inspect } from 'node:util';

export interface PollOptions {
  /** What is awaited, as the failure reads after "waiting for": "the restore job to start". */
  readonly describe: string;
  /** Real milliseconds before giving up; default 45 000, half jest's 90 s test timeout. */
  readonly deadlineMs?: number;
  /** Real milliseconds between reads; default 25. */
  readonly intervalMs?: number;
}

/** The deadline passed: what was awaited, and what the last read returned. */
export class PollTimeoutError extends Error {
  constructor(
    readonly describe: string,
    readonly deadlineMs: number,
    readonly reads: number,
    readonly last: unknown,
  ) {
    super(
      `Timed out after ${deadlineMs} ms (${reads} reads) waiting for ${describe}; last value seen: ${show(last)}`,
    );
    this.name = 'PollTimeoutError';
  }
}

/**
 * Calls `read` until `until` holds for what it returns, and resolves to that. Without `until`,
 * any value but undefined, null and false ends the wait, so `read` can answer "not yet" plainly.
 * An error thrown by `read` is not retried: it fails the wait at once.
 */
export function pollUntil<T>(
  read: () => T | Promise<T>,
  options: PollOptions & { readonly until: (value: T) => boolean },
): Promise<T>;
export function pollUntil<T>(
  read: () => T | Promise<T>,
  options: PollOptions,
): Promise<Exclude<T, undefined | null | false>>;
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  options: PollOptions & { readonly until?: (value: T) => boolean },
): Promise<T> {
  const { describe, deadlineMs = 45_000, intervalMs = 25, until = isSomething } = options;
  const deadline = Date.now() + deadlineMs;
  let reads = 0;
  for (;;) {
    const value = await read();
    reads += 1;
    if (until(value)) return value;
    if (Date.now() >= deadline) throw new PollTimeoutError(describe, deadlineMs, reads, value);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}

function isSomething(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

/** One line, short enough to read in a test report. */
function show(value: unknown): string {
  const text = inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 500 });
  return text.length > 2_000 ? `${text.slice(0, 2_000)}… (${text.length} characters)` : text;
}
