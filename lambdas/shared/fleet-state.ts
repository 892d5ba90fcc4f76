/**
 * The documents the restore-fleet workflow passes between its steps and returns: the plan
 * ResolveTargets makes, the per-child results the Map records, and the summary. The CLI, tests
 * and benches read these too, so they live here rather than inside one step's folder.
 */
import type { ErrorNames } from './errors';
import type { FleetRequest } from './fleet-request';

export interface FleetTarget {
  readonly instanceId: string;
  /** The child execution's name: derived from the fleet's, so a re-run starts no second restore. */
  readonly executionName: string;
  /** The restore-instance input. */
  readonly input: Record<string, unknown>;
}

/** A source the fleet cannot restore, reported in the results like a failed child. */
export interface UnusableTarget {
  readonly instanceId: string;
  readonly status: 'FAILED';
  readonly error: typeof ErrorNames.NoRecoveryPoint;
  readonly cause: string;
}

export interface FleetPlan {
  readonly request: FleetRequest;
  readonly targets: readonly FleetTarget[];
  /** targets.length: the state machine's Choice between the inline and the Distributed Map reads it. */
  readonly targetCount: number;
  readonly unusable: readonly UnusableTarget[];
  /** Why the fleet is empty, when it is. */
  readonly note: string | null;
}

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
