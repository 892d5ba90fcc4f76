/**
 * Figures read off an execution history. Standard workflows bill one state transition per state
 * entered (retries included), so transitions are the *StateEntered events; Lambda invocations are
 * the LambdaFunctionScheduled events. Timestamps are simulated time.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { States } from '@shared/state-names';

export function transitions(history: readonly HistoryEvent[]): number {
  return history.filter((e) => e.type?.endsWith('StateEntered')).length;
}

export function lambdaInvocations(history: readonly HistoryEvent[]): number {
  return history.filter((e) => e.type === 'LambdaFunctionScheduled').length;
}

/** How many times a state was entered. */
export function entries(history: readonly HistoryEvent[], stateName: string): number {
  return history.filter(
    (e) => e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === stateName,
  ).length;
}

/** Simulated ms of the first entry into a state (after `afterMs`), or null. */
export function firstEntered(
  history: readonly HistoryEvent[],
  stateName: string,
  afterMs = -Infinity,
): number | null {
  const event = history.find(
    (e) =>
      e.type?.endsWith('StateEntered') &&
      e.stateEnteredEventDetails?.name === stateName &&
      (e.timestamp?.getTime() ?? -Infinity) > afterMs,
  );
  return event?.timestamp?.getTime() ?? null;
}

/**
 * Real milliseconds each Lambda invocation ran (Started → Succeeded/Failed/TimedOut, simulated time
 * divided by the clock speed), each at least 1 ms as Lambda bills. restore-instance runs one Task
 * at a time, so starts and ends pair in order.
 */
export function lambdaDurationsMs(history: readonly HistoryEvent[], clockSpeed: number): number[] {
  const started: number[] = [];
  const durations: number[] = [];
  for (const e of history) {
    const at = e.timestamp?.getTime() ?? 0;
    if (e.type === 'LambdaFunctionStarted') started.push(at);
    else if (
      e.type === 'LambdaFunctionSucceeded' ||
      e.type === 'LambdaFunctionFailed' ||
      e.type === 'LambdaFunctionTimedOut'
    ) {
      const begin = started.shift();
      if (begin !== undefined) durations.push(Math.max(1, Math.ceil((at - begin) / clockSpeed)));
    }
  }
  return durations;
}

/** Simulated ms spent in Wait states (entered → exited). */
export function waitingMs(history: readonly HistoryEvent[]): number {
  let total = 0;
  let enteredAt: number | null = null;
  for (const e of history) {
    if (e.type === 'WaitStateEntered') enteredAt = e.timestamp?.getTime() ?? null;
    else if (e.type === 'WaitStateExited' && enteredAt !== null) {
      total += (e.timestamp?.getTime() ?? enteredAt) - enteredAt;
      enteredAt = null;
    }
  }
  return total;
}

/**
 * Where a restore's transitions go: every state of restore-instance's rendered ASL is in one phase
 * or on the failure path (test/unit/bench/history.test.ts checks both ways against the ASL).
 */
export const PHASES = [
  {
    name: 'before the job',
    states: [
      States.InitialiseState,
      States.ValidateInput,
      States.SelectRecoveryPoint,
      States.ResolveSource,
      States.PlanRestore,
      States.IsDryRun,
      States.StartRestoreJob,
    ],
  },
  {
    name: 'restore-job wait loop',
    states: [States.WaitForRestoreJob, States.PollRestoreJob, States.IsRestoreJobDone],
  },
  {
    name: 'instance boot loop',
    states: [States.WaitForInstance, States.IsInstanceRunning, States.WaitBeforeInstanceCheck],
  },
  { name: 'tags + address', states: [States.TagResources, States.EnsurePublicAddress] },
  {
    name: 'profile + SSH loop',
    states: [
      States.ReattachInstanceProfile,
      States.WaitForProfileAssociation,
      States.CheckSsh,
      States.IsSshDone,
      States.WaitBeforeSshRetry,
    ],
  },
  { name: 'cleanup + report', states: [States.CleanUp, States.Report] },
] as const;

export type PhaseName = (typeof PHASES)[number]['name'] | 'failure path';

/** The states only a failure enters: Record<Step>Failure, HandleFailure, the Fail states. */
export function isFailurePathState(name: string): boolean {
  return /^Record[A-Za-z]+Failure$/.test(name) || name === States.HandleFailure || /^Fail[A-Z]/.test(name);
}

export function transitionsByPhase(history: readonly HistoryEvent[]): Record<PhaseName, number> {
  const counts = Object.fromEntries([...PHASES.map((p) => [p.name, 0]), ['failure path', 0]]) as Record<
    PhaseName,
    number
  >;
  const phaseOf = new Map<string, PhaseName>(
    PHASES.flatMap((p) => p.states.map((s) => [s, p.name] as const)),
  );
  for (const e of history) {
    if (!e.type?.endsWith('StateEntered')) continue;
    const name = e.stateEnteredEventDetails?.name ?? '';
    const phase = phaseOf.get(name) ?? (isFailurePathState(name) ? 'failure path' : undefined);
    if (phase === undefined) {
      throw new Error(`State ${name} is in no phase of bench/history.ts PHASES: add it where it belongs`);
    }
    counts[phase] += 1;
  }
  return counts;
}
