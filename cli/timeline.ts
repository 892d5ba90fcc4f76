/**
 * The restore as phases on a time axis, from the workflow state document: each step records when
 * it started and finished, so the bars use the same instants as the output's `timings` (a bar and
 * its number always agree). Phases overlap where the work does: sshd boots while the profile and
 * the address are being attached.
 */

import { States } from '@shared/state-names';
import type { WorkflowState } from '@shared/workflow-state';

export const PHASES = [
  { key: 'select', label: 'Select recovery point', color: '#6b46c1' },
  { key: 'source', label: 'Resolve source', color: '#b83280' },
  { key: 'plan', label: 'Plan and start job', color: '#5a67d8' },
  { key: 'restoreJob', label: 'Restore job', color: '#2b6cb0' },
  { key: 'boot', label: 'Boot', color: '#2f855a' },
  { key: 'profile', label: 'Instance profile', color: '#b7791f' },
  { key: 'address', label: 'Public address', color: '#c05621' },
  { key: 'ssh', label: 'SSH ready', color: '#0987a0' },
] as const;

export type PhaseKey = (typeof PHASES)[number]['key'];
export const FAILED_COLOR = '#c53030';

export interface PhaseBar {
  readonly key: PhaseKey;
  readonly label: string;
  readonly color: string;
  /** Seconds from the execution's start. */
  readonly startSeconds: number;
  readonly endSeconds: number;
  /** The phase the execution failed in (drawn red). */
  readonly failed: boolean;
}

export interface Timeline {
  readonly totalSeconds: number;
  readonly phases: readonly PhaseBar[];
  /** Seconds from the start at which the execution failed, when it did. */
  readonly failedAtSeconds: number | null;
  readonly failedStep: string | null;
  readonly recoveryPoint: { readonly creationDate: string; readonly ageSeconds: number } | null;
}

/** The step a failure is reported in → the phase it belongs to. */
const PHASE_OF_STEP: Readonly<Record<string, PhaseKey>> = {
  [States.ValidateInput]: 'select',
  [States.SelectRecoveryPoint]: 'select',
  [States.ResolveSource]: 'source',
  [States.PlanRestore]: 'plan',
  [States.StartRestoreJob]: 'plan',
  [States.PollRestoreJob]: 'restoreJob',
  [States.WaitForInstance]: 'boot',
  [States.ReattachInstanceProfile]: 'profile',
  [States.EnsurePublicAddress]: 'address',
  [States.CheckSsh]: 'ssh',
};

export interface RunFacts {
  readonly startDate: Date;
  /** When it stopped, or now for a running execution. */
  readonly endDate: Date;
  readonly failedStep: string | null;
  /**
   * When each step ran, from the history: the steps whose state slice records no time of its own
   * (ResolveSource, PlanRestore) are drawn from it.
   */
  readonly steps?: ReadonlyMap<string, StepSpan>;
}

export interface StepSpan {
  readonly enteredAt: Date;
  /** Null while it runs. */
  readonly exitedAt: Date | null;
}

export function buildTimeline(state: WorkflowState | undefined, run: RunFacts): Timeline {
  const t0 = run.startDate.getTime();
  const totalSeconds = Math.max(0, (run.endDate.getTime() - t0) / 1000);
  const failedPhase = run.failedStep ? PHASE_OF_STEP[run.failedStep] : undefined;
  const at = (iso: string | null | undefined) => (iso ? (Date.parse(iso) - t0) / 1000 : undefined);
  /** A step from the history: present once entered; one that failed runs to the failure. */
  const step = (name: string): [boolean, number | undefined, number | undefined] => {
    const span = run.steps?.get(name);
    if (!span) return [false, undefined, undefined];
    const failed = run.failedStep === name;
    return [true, at(span.enteredAt.toISOString()), failed ? undefined : at(span.exitedAt?.toISOString())];
  };

  // [phase, is its slice there, start, end]; an unfinished phase runs to the end of the execution.
  const spans: [PhaseKey, boolean, number | undefined, number | undefined][] = [
    ['select', true, 0, at(state?.selection?.completedAt)],
    ['source', ...step(States.ResolveSource)],
    // Planning runs on into StartRestoreJob, up to the instant the restore job started.
    [
      'plan',
      ...planSpan(step(States.PlanRestore), step(States.StartRestoreJob), at(state?.restoreJob?.startedAt)),
    ],
    [
      'restoreJob',
      Boolean(state?.restoreJob),
      at(state?.restoreJob?.startedAt),
      at(state?.restoreJob?.completedAt),
    ],
    ['boot', Boolean(state?.instance), at(state?.restoreJob?.completedAt), at(state?.instance?.runningAt)],
    ['profile', Boolean(state?.profile), at(state?.profile?.startedAt), at(state?.profile?.completedAt)],
    ['address', Boolean(state?.address), at(state?.address?.startedAt), at(state?.address?.completedAt)],
    ['ssh', state?.ssh?.enabled === true, at(state?.instance?.runningAt), at(state?.ssh?.readyAt)],
  ];
  const phases: PhaseBar[] = [];
  for (const [key, present, start, end] of spans) {
    const phase = PHASES.find((p) => p.key === key);
    if (!phase || !present || start === undefined) continue;
    phases.push({
      key,
      label: phase.label,
      color: phase.color,
      startSeconds: clamp(start, totalSeconds),
      endSeconds: clamp(end ?? totalSeconds, totalSeconds),
      failed: failedPhase === key && end === undefined,
    });
  }
  const point = state?.selection?.recoveryPoint;
  return {
    totalSeconds,
    phases,
    failedAtSeconds: run.failedStep ? totalSeconds : null,
    failedStep: run.failedStep,
    recoveryPoint: point ? { creationDate: point.creationDate, ageSeconds: point.ageSeconds } : null,
  };
}

/** PlanRestore's span, ending where StartRestoreJob ends (or failed, or has not yet). */
function planSpan(
  plan: [boolean, number | undefined, number | undefined],
  start: [boolean, number | undefined, number | undefined],
  jobStartedAt: number | undefined,
): [boolean, number | undefined, number | undefined] {
  const [present, from, planEnd] = plan;
  if (!present) return plan;
  const [started, , startEnd] = start;
  if (planEnd === undefined) return [present, from, undefined];
  if (!started) return [present, from, planEnd];
  return [present, from, jobStartedAt ?? startEnd];
}

function clamp(seconds: number, total: number): number {
  return Math.min(total, Math.max(0, seconds));
}
