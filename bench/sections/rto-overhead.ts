/**
 * Orchestration overhead: restore RTO − (restore job duration + instance boot to running + sshd
 * start after running). The three bracketed terms are the emulator world's ground truth (when the
 * job was created and completed, when the instance became running, when its sshd began to answer);
 * everything else between the execution's start and end is the workflow's own cost.
 *
 * The ground truth is one unbroken interval, job created → sshd up, so the overhead is exactly the
 * time before the job exists plus the time after sshd is up. Per phase, each moment of that is
 * charged to the workflow phase the execution was still in: the phases tile the execution from
 * start to end, and a phase's overhead is the part of it outside the ground-truth interval. A late
 * look that falls inside the interval (the job's end noticed while the instance still boots) is
 * hidden and costs nothing; the "noticed after" column shows it anyway.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Emulator } from '@local/emulator';
import { States } from '@shared/state-names';
import { median } from '../harness';
import { mark, seconds, type Table } from '../report';

export const RTO_OVERHEAD_TARGET_SECONDS = 10;

/** Simulated ms of the world's own events for one restore. */
export interface GroundTruth {
  readonly jobCreatedMs: number;
  readonly jobCompletedMs: number;
  readonly runningMs: number;
  readonly sshUpMs: number;
}

export const OVERHEAD_PHASES = [
  { name: 'before the job', what: 'validate, select, resolve, plan, start: execution start → job created' },
  { name: 'job end → noticed', what: 'job COMPLETED → the workflow leaves its wait loop' },
  { name: 'running → noticed', what: 'instance running → WaitForInstance returns it running' },
  { name: 'tag, profile, address', what: 'TagResources, ReattachInstanceProfile, EnsurePublicAddress done' },
  { name: 'sshd up → SSH ok', what: 'sshd answers → CheckSsh returns authenticated' },
  { name: 'cleanup + report', what: 'CleanUp (test mode), Report → execution end' },
] as const;

export type OverheadPhase = (typeof OVERHEAD_PHASES)[number]['name'];

export interface RtoOverhead {
  readonly rtoSeconds: number;
  readonly jobSeconds: number;
  readonly bootSeconds: number;
  readonly sshdSeconds: number;
  readonly overheadSeconds: number;
  /** Overhead per phase; they sum to overheadSeconds. */
  readonly phases: Readonly<Record<OverheadPhase, number>>;
  /** How long after the world's event the workflow saw it (hidden or not). */
  readonly noticedAfter: {
    readonly jobEnd: number;
    readonly running: number;
    readonly sshUp: number;
  };
}

/** The world's ground truth for the restore of `sourceInstanceId`, once its instance ran. */
export function groundTruthOf(emulator: Emulator, sourceInstanceId: string): GroundTruth | null {
  const { world } = emulator;
  const job = [...world.restoreJobs.values()].find(
    (j) => world.recoveryPoints.get(j.recoveryPointArn)?.instanceId === sourceInstanceId,
  );
  if (!job?.completedAt || !job.createdInstanceId) return null;
  const runningMs = world.ec2.instances.instances.get(job.createdInstanceId)?.runningSince ?? null;
  if (runningMs === null) return null;
  return {
    jobCreatedMs: job.createdAt.getTime(),
    jobCompletedMs: job.completedAt.getTime(),
    runningMs,
    sshUpMs: runningMs + world.faults.ssh.bootDelaySeconds * 1000,
  };
}

/** The last time a state was exited, or null. */
function lastExited(history: readonly HistoryEvent[], stateName: string): number | null {
  let at: number | null = null;
  for (const e of history) {
    if (e.type?.endsWith('StateExited') && e.stateExitedEventDetails?.name === stateName)
      at = e.timestamp?.getTime() ?? at;
  }
  return at;
}

/** Null when the execution did not get through every phase (a failed restore has no RTO). */
export function rtoOverhead(history: readonly HistoryEvent[], truth: GroundTruth): RtoOverhead | null {
  const started = history[0]?.timestamp?.getTime();
  const ended = history.at(-1)?.timestamp?.getTime();
  const jobNoticed = lastExited(history, States.IsRestoreJobDone);
  const runningNoticed = lastExited(history, States.WaitForInstance);
  const sshOk = lastExited(history, States.CheckSsh);
  const postRunning = [States.TagResources, States.ReattachInstanceProfile, States.EnsurePublicAddress].map(
    (s) => lastExited(history, s),
  );
  if (
    started === undefined ||
    ended === undefined ||
    jobNoticed === null ||
    runningNoticed === null ||
    sshOk === null ||
    postRunning.some((t) => t === null)
  )
    return null;
  const postDone = Math.max(...(postRunning as number[]));

  // The phases in the order the execution finishes them; each runs from the previous one's end.
  const sshLast = sshOk >= postDone;
  const ends: [OverheadPhase, number][] = [
    ['before the job', truth.jobCreatedMs],
    ['job end → noticed', jobNoticed],
    ['running → noticed', runningNoticed],
    ...(sshLast
      ? ([
          ['tag, profile, address', postDone],
          ['sshd up → SSH ok', sshOk],
        ] as [OverheadPhase, number][])
      : ([
          ['sshd up → SSH ok', sshOk],
          ['tag, profile, address', postDone],
        ] as [OverheadPhase, number][])),
    ['cleanup + report', ended],
  ];
  const outside = (from: number, to: number) =>
    Math.max(0, Math.min(to, truth.jobCreatedMs) - from) + Math.max(0, to - Math.max(from, truth.sshUpMs));
  const phases = Object.fromEntries(OVERHEAD_PHASES.map((p) => [p.name, 0])) as Record<OverheadPhase, number>;
  let from = started;
  for (const [name, end] of ends) {
    const to = Math.max(from, end);
    phases[name] += outside(from, to) / 1000;
    from = to;
  }
  const rtoSeconds = (ended - started) / 1000;
  const jobSeconds = (truth.jobCompletedMs - truth.jobCreatedMs) / 1000;
  const bootSeconds = (truth.runningMs - truth.jobCompletedMs) / 1000;
  const sshdSeconds = (truth.sshUpMs - truth.runningMs) / 1000;
  return {
    rtoSeconds,
    jobSeconds,
    bootSeconds,
    sshdSeconds,
    overheadSeconds: rtoSeconds - jobSeconds - bootSeconds - sshdSeconds,
    phases,
    noticedAfter: {
      jobEnd: (jobNoticed - truth.jobCompletedMs) / 1000,
      running: (runningNoticed - truth.runningMs) / 1000,
      sshUp: (sshOk - truth.sshUpMs) / 1000,
    },
  };
}

const NOTICED: Partial<Record<OverheadPhase, keyof RtoOverhead['noticedAfter']>> = {
  'job end → noticed': 'jobEnd',
  'running → noticed': 'running',
  'sshd up → SSH ok': 'sshUp',
};

/**
 * One column per measured restore (`label` → figures), one row per phase, then the total against
 * the goal. The mark judges the first column.
 */
export function rtoOverheadTable(
  title: string,
  columns: readonly { readonly label: string; readonly overhead: RtoOverhead | null }[],
  notes: readonly string[] = [],
): Table {
  const first = columns[0]?.overhead ?? null;
  const cell = (o: RtoOverhead | null, phase: OverheadPhase) => {
    if (!o) return '—';
    const key = NOTICED[phase];
    const noticed = key ? ` (seen +${o.noticedAfter[key].toFixed(1)})` : '';
    return `${seconds(o.phases[phase])}${noticed}`;
  };
  return {
    title,
    columns: ['Phase', ...columns.map((c) => c.label), 'What'],
    rows: [
      ...OVERHEAD_PHASES.map((p) => [p.name, ...columns.map((c) => cell(c.overhead, p.name)), p.what]),
      [
        'overhead',
        ...columns.map((c) => seconds(c.overhead?.overheadSeconds)),
        `goal ≤ ${RTO_OVERHEAD_TARGET_SECONDS} s: ${mark(first ? first.overheadSeconds <= RTO_OVERHEAD_TARGET_SECONDS : null)}`,
      ],
      [
        'RTO',
        ...columns.map((c) =>
          c.overhead
            ? `${seconds(c.overhead.rtoSeconds)} = ${c.overhead.jobSeconds.toFixed(0)} + ${c.overhead.bootSeconds.toFixed(0)} + ${c.overhead.sshdSeconds.toFixed(0)} + ${c.overhead.overheadSeconds.toFixed(1)}`
            : '—',
        ),
        'job + boot + sshd (world) + overhead',
      ],
    ],
    notes: [
      'Overhead = RTO (execution start → end) − (restore job created → COMPLETED + COMPLETED → running + running → sshd answers), the last three from the emulator world. A phase counts only its time before the job exists or after sshd is up: time spent while the job runs, the instance boots or sshd starts is hidden behind them. (seen +x) = how long after the world event the workflow saw it, hidden or not.',
      ...notes,
    ],
  };
}

/** Median and worst overhead over several restores, for a summary line. */
export function overheadStats(overheads: readonly (RtoOverhead | null)[]): {
  runs: number;
  median: number | null;
  worst: number | null;
} {
  const values = overheads.filter((o): o is RtoOverhead => o !== null).map((o) => o.overheadSeconds);
  return {
    runs: values.length,
    median: values.length > 0 ? median(values) : null,
    worst: values.length > 0 ? Math.max(...values) : null,
  };
}
