/**
 * The discovery runs behind the fault matrix, on the emulator, in each mode: the restore without
 * faults; the same with the SSH check failing (so that HandleFailure runs); and in a slow world
 * (a 60 s boot, a 40 s profile association, sshd up after 180 s: each longer than a step's in-call
 * wait, so the Wait states between checks run too). What they record, the calls each step made
 * (`service:Operation`) and the states the execution went through, is where the matrix puts its
 * API faults and its StopExecutions: read from the code as it runs, not from a list kept by hand.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import {
  type CellFault,
  DISCOVERY_CONDITIONS,
  type Discovery,
  MODES,
  type Mode,
  taskAndWaitStates,
} from './fault-matrix-cells';
import { type CellRun, runCell, warmUp } from './fault-matrix-runner';

export interface DiscoveryRuns {
  readonly discovery: Discovery;
  readonly runs: readonly CellRun[];
}

export async function discover({
  deadlineMs = 120_000,
}: {
  deadlineMs?: number;
} = {}): Promise<DiscoveryRuns> {
  await warmUp();
  const variants = Object.entries(DISCOVERY_CONDITIONS) as [
    keyof typeof DISCOVERY_CONDITIONS,
    CellFault | null,
  ][];
  const runs = await Promise.all(
    MODES.flatMap((mode) =>
      variants.map(([name, condition]) =>
        runCell(
          {
            id: `discover-${mode}-${name}`,
            mode,
            faults: condition ? [condition] : [],
            input: {},
            covers: [],
          },
          { deadlineMs },
        ),
      ),
    ),
  );
  for (const run of runs) {
    const want = run.cell.faults.some((f) => f.terminal) ? 'FAILED' : 'SUCCEEDED';
    if (run.status !== want)
      throw new Error(
        `discovery run ${run.cell.id} ended ${run.status} (${run.error}: ${run.cause}), not ${want}`,
      );
  }
  const stateful = new Set(taskAndWaitStates());
  const callsByStep = {} as Record<Mode, Map<string, Map<string, number>>>;
  const stepOrder = {} as Record<Mode, string[]>;
  const enteredUnder = {} as Record<Mode, Record<string, keyof typeof DISCOVERY_CONDITIONS>>;
  for (const mode of MODES) {
    const merged = new Map<string, Map<string, number>>();
    const order: string[] = [];
    const under: Record<string, keyof typeof DISCOVERY_CONDITIONS> = {};
    for (const [name] of variants) {
      const run = runs.find((r) => r.cell.id === `discover-${mode}-${name}`);
      if (!run) throw new Error(`no discovery run ${mode} ${name}`);
      for (const [step, calls] of run.callsByStep) {
        const into = merged.get(step) ?? new Map<string, number>();
        for (const [api, n] of calls) into.set(api, Math.max(into.get(api) ?? 0, n));
        merged.set(step, into);
      }
      // A state first seen in this run goes right after the state the run entered before it.
      let previous: string | undefined;
      for (const state of statesEntered(run.history).filter((s) => stateful.has(s))) {
        if (!order.includes(state)) {
          order.splice(previous === undefined ? 0 : order.indexOf(previous) + 1, 0, state);
          under[state] = name;
        }
        previous = state;
      }
    }
    callsByStep[mode] = merged;
    stepOrder[mode] = order;
    enteredUnder[mode] = under;
  }
  return { discovery: { callsByStep, stepOrder, stoppableStates: stepOrder, enteredUnder }, runs };
}

function statesEntered(history: readonly HistoryEvent[]): string[] {
  return history.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
}
