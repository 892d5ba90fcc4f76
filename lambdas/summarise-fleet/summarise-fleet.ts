/**
 * Last step of restore-fleet: one result per instance (children that ran, and sources that had
 * nothing to restore), sorted by instance id, with the counts a person reads first. The Map has
 * already cut each child's result down (state-machines/restore-fleet), so that a fleet of
 * MAX_FLEET_TARGETS fits Step Functions' 256 KiB payload; the full output stays in the child.
 */
import type { UnusableTarget } from '../resolve-fleet-targets/resolve-fleet-targets';

/** What RecordSuccess keeps of a child that succeeded. */
export interface ChildSuccess {
  readonly instanceId: string;
  readonly executionArn: string;
  readonly status: string;
}

/**
 * What RecordChildFailure keeps of a child that failed (its own error and cause), or what
 * RecordFailure caught when there was no child to read (it never started: no executionArn).
 */
export interface ChildFailure {
  readonly instanceId: string;
  readonly status: 'FAILED';
  readonly executionArn?: string;
  readonly error: string;
  readonly cause: string;
}

export interface FailedResult extends Omit<ChildFailure, 'executionArn'> {
  readonly executionArn: string | null;
}

export type ChildResult = ChildSuccess | ChildFailure;

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
    ...input.results.map((r) => ('error' in r ? { ...r, executionArn: r.executionArn ?? null } : r)),
    ...input.unusable.map((u) => ({ ...u, executionArn: null })),
  ].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const failed = results.filter((r) => r.status === 'FAILED').length;
  return { total: results.length, succeeded: results.length - failed, failed, note: input.note, results };
}
