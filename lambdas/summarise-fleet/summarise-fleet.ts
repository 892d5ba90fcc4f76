/**
 * Last step of restore-fleet: one result per instance (children that ran, and sources that had
 * nothing to restore), sorted by instance id, with the counts a person reads first.
 */
import type { UnusableTarget } from '../resolve-fleet-targets/resolve-fleet-targets';

/** What the Map records for one child execution (kept small: the full output stays in the child). */
export type ChildResult =
  | {
      readonly instanceId: string;
      readonly executionArn: string;
      readonly status: string;
      readonly output: Record<string, unknown>;
    }
  | {
      readonly instanceId: string;
      readonly executionArn: string | null;
      readonly status: 'FAILED';
      readonly error: string;
      readonly cause: string;
    };

export interface FleetOutput {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly note: string | null;
  readonly results: readonly (ChildResult | UnusableTarget)[];
}

export function summariseFleet(input: {
  readonly results: readonly ChildResult[];
  readonly unusable: readonly UnusableTarget[];
  readonly note: string | null;
}): FleetOutput {
  const results = [...input.results, ...input.unusable].sort((a, b) =>
    a.instanceId.localeCompare(b.instanceId),
  );
  const failed = results.filter((r) => r.status === 'FAILED').length;
  return { total: results.length, succeeded: results.length - failed, failed, note: input.note, results };
}
