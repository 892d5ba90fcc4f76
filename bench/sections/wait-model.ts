/**
 * The restore-job wait loop replayed without an emulator: the production `nextPollSeconds` (and
 * alternatives) against the emulator's job model (local/world.ts: PENDING for the first
 * min(30 s, 5 %) of the job, PercentDone growing linearly and held at 99 % until the end,
 * ExpectedCompletionTimeMinutes = the duration rounded up). Each poll costs 3 transitions. This is
 * what the loop would cost if the engine and Lambdas took no time; it shows which change to the
 * wait strategy buys how many transitions, without touching code outside bench/.
 */
import {
  estimateRemainingSeconds,
  LANDING_MARGIN_SECONDS,
  nextPollSeconds,
  type PollTiming,
} from '@lambdas/poll-restore-job/poll-restore-job';
import { INITIAL_POLL_WAIT_SECONDS } from '@lambdas/start-restore-job/start-restore-job';
import { EnvSchemas } from '@shared/env';
import { clamp } from '@shared/time';
import { int, seconds, type Table } from '../report';

const TRANSITIONS_PER_POLL = 3;
const RESTORE_TIMEOUT_MINUTES = 240;

type Policy = (timing: PollTiming) => number;

interface PolicyVariant {
  readonly name: string;
  readonly change: string;
  readonly maxSeconds: number;
  readonly policy: Policy;
}

export interface LoopReplay {
  readonly policy: string;
  readonly jobMinutes: number;
  readonly polls: number;
  readonly detectionSeconds: number;
  readonly pollTimes: readonly number[];
}

/** Poll times (seconds since the job started) until one sees COMPLETED. */
export function replayLoop(
  jobMinutes: number,
  policy: Policy,
  minSeconds: number,
  maxSeconds: number,
): LoopReplay {
  const durationS = jobMinutes * 60;
  const start = Date.UTC(2026, 0, 1);
  const deadline = new Date(start + RESTORE_TIMEOUT_MINUTES * 60_000).toISOString();
  const pollTimes: number[] = [];
  let t = INITIAL_POLL_WAIT_SECONDS;
  for (let guard = 0; guard < 10_000; guard++) {
    pollTimes.push(t);
    if (t >= durationS) break;
    const pending = t < Math.min(30, durationS * 0.05);
    const percent = pending ? 0 : Number(Math.min(99, (t / durationS) * 100).toFixed(2));
    t += policy({
      now: new Date(start + t * 1000),
      jobStartedAt: new Date(start).toISOString(),
      deadline,
      percentDone: percent,
      expectedCompletionTimeMinutes: Math.ceil(jobMinutes),
      minSeconds,
      maxSeconds,
    });
  }
  return {
    policy: '',
    jobMinutes,
    polls: pollTimes.length,
    detectionSeconds: (pollTimes.at(-1) ?? 0) - durationS,
    pollTimes,
  };
}

/** The policy before the benchmark: 90 % of the way to the estimate, then polls at the minimum. */
const approachFromBelow: Policy = (timing) => {
  const remaining = estimateRemainingSeconds(timing);
  if (remaining === null || remaining <= 0) return nextPollSeconds(timing);
  return Math.max(1, Math.ceil(clamp(remaining * 0.9, timing.minSeconds, timing.maxSeconds)));
};

export interface WaitModelSection {
  readonly replays: readonly LoopReplay[];
  readonly tables: readonly Table[];
}

/** `measuredTotals`: the emulator's whole-restore transitions per job length (ours), for projections. */
export function runWaitModel(
  jobMinutes: readonly number[],
  measuredTotals: ReadonlyMap<number, number> = new Map(),
): WaitModelSection {
  const env = EnvSchemas['poll-restore-job'].parse({});
  const variants: PolicyVariant[] = [
    {
      name: 'current',
      change: `as deployed: wait = remaining + ${LANDING_MARGIN_SECONDS} s, max ${env.POLL_MAX_SECONDS} s`,
      maxSeconds: env.POLL_MAX_SECONDS,
      policy: nextPollSeconds,
    },
    { name: 'max 600', change: 'POLL_MAX_SECONDS=600', maxSeconds: 600, policy: nextPollSeconds },
    { name: 'max 3600', change: 'POLL_MAX_SECONDS=3600', maxSeconds: 3600, policy: nextPollSeconds },
    {
      name: 'previous',
      change: 'wait = 0.9 × remaining, then the minimum; max 600 s',
      maxSeconds: 600,
      policy: approachFromBelow,
    },
  ];
  const replays: LoopReplay[] = [];
  const rows: string[][] = [];
  for (const v of variants) {
    const cells = jobMinutes.map((m) => {
      const r = { ...replayLoop(m, v.policy, env.POLL_MIN_SECONDS, v.maxSeconds), policy: v.name };
      replays.push(r);
      return r;
    });
    const current = replays.filter((r) => r.policy === 'current');
    rows.push([
      v.name,
      v.change,
      ...cells.map((r) => `${r.polls} polls / ${seconds(r.detectionSeconds, 0)}`),
      ...cells.map((r) => {
        const measured = measuredTotals.get(r.jobMinutes);
        const base = current.find((c) => c.jobMinutes === r.jobMinutes);
        return measured === undefined || !base
          ? '—'
          : int(measured - TRANSITIONS_PER_POLL * (base.polls - r.polls));
      }),
    ]);
  }
  const table: Table = {
    title: 'Wait-loop model: polls and detection latency per policy (no emulator overhead)',
    columns: [
      'Policy',
      'Change',
      ...jobMinutes.map((m) => `${m} min`),
      ...jobMinutes.map((m) => `${m} min total*`),
    ],
    rows,
    notes: [
      `Min ${env.POLL_MIN_SECONDS} s / max as given; first poll ${INITIAL_POLL_WAIT_SECONDS} s after the start (StartRestoreJob). Each poll is 3 transitions.`,
      "* total: the emulator's measured whole-restore transitions (ours) minus 3 per poll saved against the current policy.",
      'The estimates are exact in the emulator. On AWS a job that ends well before its estimate is noticed at the estimate (at most POLL_MAX_SECONDS later); the earlier of ExpectedCompletionTimeMinutes and the PercentDone extrapolation is used to limit that.',
    ],
  };
  return { replays, tables: [table] };
}
