/**
 * Last step of restore-fleet: one result per instance (children that ran, and sources that had
 * nothing to restore), sorted by instance id, with the counts a person reads first. The Map has
 * already cut each child's result down (state-machines/restore-fleet), so that a fleet of
 * MAX_FLEET_TARGETS fits Step Functions' 256 KiB payload; the full output stays in the child.
 */
import type { ChildResult, FleetOutput, UnusableTarget } from '@shared/fleet-state';

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
