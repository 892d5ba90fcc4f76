/**
 * The discovery runs behind the fault matrix: the restore without faults in each mode, and the same
 * with the SSH check failing (so that HandleFailure runs), on the emulator. What they record, the
 * calls each step made (`service:Operation`) and the states the execution went through, is where
 * the matrix puts its API faults and its StopExecutions: read from the code as it runs, not from a
 * list kept by hand.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type Discovery, MODES, type Mode, taskAndWaitStates } from './fault-matrix-cells';
import { type CellRun, runCell } from './fault-matrix-runner';

const REJECTED = {
  id: 'ssh-rejected',
  step: 'CheckSsh',
  terminal: true,
  scenario: { ssh: { bootDelaySeconds: 0, rejectKey: true } },
  schemaPaths: [],
} as const;

export interface DiscoveryRuns {
  readonly discovery: Discovery;
  readonly runs: readonly CellRun[];
}

export async function discover(): Promise<DiscoveryRuns> {
  const runs = await Promise.all(
    MODES.flatMap((mode) => [
      runCell({ id: `discover-${mode}`, mode, faults: [], input: {}, covers: [] }),
      runCell({ id: `discover-${mode}-failure`, mode, faults: [REJECTED], input: {}, covers: [] }),
    ]),
  );
  const expected = { ok: 'SUCCEEDED', failure: 'FAILED' };
  for (const run of runs) {
    const want = run.cell.faults.length > 0 ? expected.failure : expected.ok;
    if (run.status !== want)
      throw new Error(
        `discovery run ${run.cell.id} ended ${run.status} (${run.error}: ${run.cause}), not ${want}`,
      );
  }
  const stateful = new Set(taskAndWaitStates());
  const callsByStep = {} as Record<Mode, Map<string, Map<string, number>>>;
  const stepOrder = {} as Record<Mode, string[]>;
  const stoppableStates = {} as Record<Mode, string[]>;
  for (const mode of MODES) {
    const mine = runs.filter((r) => r.cell.mode === mode);
    const merged = new Map<string, Map<string, number>>();
    for (const run of mine)
      for (const [step, calls] of run.callsByStep) {
        const into = merged.get(step) ?? new Map<string, number>();
        for (const [api, n] of calls) into.set(api, Math.max(into.get(api) ?? 0, n));
        merged.set(step, into);
      }
    callsByStep[mode] = merged;
    const order: string[] = [];
    for (const run of mine)
      for (const state of statesEntered(run.history))
        if (stateful.has(state) && !order.includes(state)) order.push(state);
    stepOrder[mode] = order;
    stoppableStates[mode] = order;
  }
  return { discovery: { callsByStep, stepOrder, stoppableStates }, runs };
}

function statesEntered(history: readonly HistoryEvent[]): string[] {
  return history.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
}
