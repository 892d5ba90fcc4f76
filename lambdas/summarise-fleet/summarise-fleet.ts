/**
 * Last step of restore-fleet: one result per instance (children that ran, and sources that had
 * nothing to restore), sorted by instance id, with the counts a person reads first.
 */
import type { UnusableTarget } from '../resolve-fleet-targets/resolve-fleet-targets';

/** What RecordSuccess keeps of a child that succeeded (its full output stays in the child). */
export interface ChildSuccess {
  readonly instanceId: string;
  readonly executionArn: string;
  readonly status: string;
  readonly output: Record<string, unknown>;
}

/** What RecordFailure caught: for a failed child, Cause is the child's DescribeExecution as JSON. */
export interface CaughtFailure {
  readonly instanceId: string;
  readonly status: 'FAILED';
  readonly error: string;
  readonly cause: string;
}

export interface FailedResult {
  readonly instanceId: string;
  readonly status: 'FAILED';
  readonly executionArn: string | null;
  readonly error: string;
  readonly cause: string;
}

export type ChildResult = ChildSuccess | CaughtFailure;

export interface FleetOutput {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly note: string | null;
  readonly results: readonly (ChildSuccess | FailedResult)[];
}

export function summariseFleet(input: {
  readonly results: readonly ChildResult[];
  readonly unusable: readonly UnusableTarget[];
  readonly note: string | null;
}): FleetOutput {
  const results = [
    ...input.results.map((r) =>
      r.status === 'FAILED' ? unpackFailure(r as CaughtFailure) : (r as ChildSuccess),
    ),
    ...input.unusable.map((u) => ({ ...u, executionArn: null })),
  ].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const failed = results.filter((r) => r.status === 'FAILED').length;
  return { total: results.length, succeeded: results.length - failed, failed, note: input.note, results };
}

/**
 * A child that ran and failed reaches the Map's Catch as States.TaskFailed with its
 * DescribeExecution as the cause: report the child's own error (e.g. RestoreJobFailedError) and
 * cause. Anything else (the child could not be started at all) is reported as it was caught.
 */
function unpackFailure(failure: CaughtFailure): FailedResult {
  const child = parseObject(failure.cause);
  if (failure.error === 'States.TaskFailed' && child && typeof child.ExecutionArn === 'string') {
    return {
      instanceId: failure.instanceId,
      status: 'FAILED',
      executionArn: child.ExecutionArn,
      error:
        typeof child.Error === 'string' ? child.Error : `child execution ${String(child.Status ?? 'FAILED')}`,
      cause: typeof child.Cause === 'string' ? child.Cause : '',
    };
  }
  return { ...failure, executionArn: null };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
