/**
 * The restore-job wait loop replayed without an emulator: the production `nextPollSeconds` (and
 * alternatives) against the emulator's job model (local/world.ts: PENDING for the first
 * min(30 s, 5 %) of the job, PercentDone growing linearly and held at 99 % until the end,
 * ExpectedCompletionTimeMinutes = the duration rounded up). Each poll costs 3 transitions. This is
 * what the loop would cost if the engine and Lambdas took no time, apart from a seeded skew between
 * sending DescribeRestoreJob, AWS measuring PercentDone and the answer arriving (what made the old
 * policy miss its latency target). PercentDone is reported as the emulator does (two decimals) and
 * as AWS may (whole percent), so a policy can be compared before it is deployed.
 */
import {
  NO_ESTIMATE_WAIT_SECONDS,
  nextPollSeconds,
  type PollTiming,
  percentResolution,
  WAIT_TUNING,
  type WaitTuning,
} from '@lambdas/poll-restore-job/poll-restore-job';
import { INITIAL_POLL_WAIT_SECONDS } from '@lambdas/start-restore-job/start-restore-job';
import { seededRandom } from '@local/faults';
import { EnvSchemas } from '@shared/env';
import { clamp } from '@shared/time';
import { int, mark, seconds, type Table } from '../report';

export const TRANSITIONS_PER_POLL = 3;
export const DETECTION_TARGET_SECONDS = 10;
const RESTORE_TIMEOUT_MINUTES = 240;
/** The jobs detection latency is judged on: stratified over 5–120 min, one per stratum. */
export const DETECTION_SPAN = { count: 24, fromMinutes: 5, toMinutes: 120, seed: 8 } as const;
/** Model skew: up to this long (simulated s) to reach AWS, and again for the answer to come back. */
const MODEL_SKEW_SECONDS = 1;

export type Policy = (timing: PollTiming) => number;
export type PercentReporting = 'hundredths' | 'whole';

export interface PolicyVariant {
  readonly name: string;
  readonly change: string;
  /** Overrides POLL_MIN_SECONDS / POLL_MAX_SECONDS (the naive baseline's 30 s). */
  readonly minSeconds?: number;
  readonly maxSeconds?: number;
  readonly policy: Policy;
  readonly deployed?: boolean;
}

export interface LoopReplay {
  readonly policy: string;
  readonly jobMinutes: number;
  readonly polls: number;
  readonly detectionSeconds: number;
  readonly pollTimes: readonly number[];
}

/**
 * Job durations (minutes, whole seconds) spread over [from, to]: one uniform draw in each of
 * `count` equal strata, so that every run covers short and long jobs alike.
 */
export function detectionJobMinutes(
  span: { count: number; fromMinutes: number; toMinutes: number; seed: number } = DETECTION_SPAN,
): number[] {
  const random = seededRandom(span.seed);
  const width = (span.toMinutes - span.fromMinutes) / span.count;
  return Array.from(
    { length: span.count },
    (_, i) => Math.round((span.fromMinutes + width * (i + random())) * 60) / 60,
  );
}

/** Poll times (seconds since the job started) until one sees COMPLETED. */
export function replayLoop(
  jobMinutes: number,
  policy: Policy,
  minSeconds: number,
  maxSeconds: number,
  options: { reporting?: PercentReporting; skew?: () => number } = {},
): LoopReplay {
  const durationS = jobMinutes * 60;
  const start = Date.UTC(2026, 0, 1);
  const deadline = new Date(start + RESTORE_TIMEOUT_MINUTES * 60_000).toISOString();
  const skew = options.skew ?? (() => 0);
  const pollTimes: number[] = [];
  let previousPercent: number | null = null;
  let t = INITIAL_POLL_WAIT_SECONDS;
  for (let guard = 0; guard < 10_000; guard++) {
    const measuredAt = t + skew();
    const answeredAt = measuredAt + skew();
    pollTimes.push(answeredAt);
    if (measuredAt >= durationS) break;
    const pending = measuredAt < Math.min(30, durationS * 0.05);
    const fraction = pending ? 0 : Math.min(99, (measuredAt / durationS) * 100);
    const raw = `${(options.reporting === 'whole' ? Math.floor(fraction) : fraction).toFixed(2)}%`;
    const percentDone = Number.parseFloat(raw);
    const wait = policy({
      now: new Date(start + answeredAt * 1000),
      askedAt: new Date(start + t * 1000),
      jobStartedAt: new Date(start).toISOString(),
      deadline,
      percentDone,
      percentResolution: percentResolution(raw, previousPercent) ?? undefined,
      expectedCompletionTimeMinutes: Math.ceil(jobMinutes),
      minSeconds,
      maxSeconds,
    });
    previousPercent = percentDone;
    t = answeredAt + wait;
  }
  const last = pollTimes.at(-1) ?? 0;
  return { policy: '', jobMinutes, polls: pollTimes.length, detectionSeconds: last - durationS, pollTimes };
}

/** Before the benchmark: 90 % of the way to the earlier estimate, then polls at the minimum. */
const approachFromBelow: Policy = (timing) => {
  const remaining = earlierEstimateSeconds(timing);
  if (remaining === null || remaining <= 0) return landAfterEarlierEstimate(timing);
  return Math.max(1, Math.ceil(clamp(remaining * 0.9, timing.minSeconds, timing.maxSeconds)));
};

/**
 * The policy until this change: land 3 s after the earlier of the two point estimates (the
 * PercentDone extrapolation, the whole-minute ExpectedCompletionTimeMinutes), taken as exact.
 */
export const landAfterEarlierEstimate: Policy = (timing) => {
  const remaining = earlierEstimateSeconds(timing);
  let wait: number;
  if (remaining === null) wait = NO_ESTIMATE_WAIT_SECONDS;
  else if (remaining > 0) wait = remaining + 3;
  else wait = -remaining * 0.25;
  wait = clamp(wait, timing.minSeconds, timing.maxSeconds);
  const untilDeadline = (Date.parse(timing.deadline) - timing.now.getTime()) / 1000;
  wait = Math.min(wait, Math.max(1, untilDeadline + 5));
  return Math.max(1, Math.ceil(wait));
};

function earlierEstimateSeconds(timing: PollTiming): number | null {
  const nowMs = timing.now.getTime();
  const startMs = Date.parse(timing.jobStartedAt);
  const estimates: number[] = [];
  const expected = timing.expectedCompletionTimeMinutes;
  if (expected !== null && expected > 0) estimates.push((startMs + expected * 60_000 - nowMs) / 1000);
  const percent = timing.percentDone;
  const elapsed = (nowMs - startMs) / 1000;
  if (percent !== null && percent >= 100) estimates.push(0);
  else if (percent !== null && percent > 0 && elapsed > 0)
    estimates.push((elapsed * (100 - percent)) / percent);
  return estimates.length > 0 ? Math.min(...estimates) : null;
}

const tuned =
  (changes: Partial<WaitTuning>): Policy =>
  (timing) =>
    nextPollSeconds(timing, { ...WAIT_TUNING, ...changes });

/** Every policy the benchmark compares, the deployed one marked. */
export function policyVariants(): PolicyVariant[] {
  const t = WAIT_TUNING;
  return [
    {
      name: 'window + refine',
      change: `as deployed: land ${t.landingMarginSeconds} s after a window ≤ ${t.landingToleranceSeconds} s wide, else refine just before it (gain ≥ ${t.refineMinGain})`,
      policy: nextPollSeconds,
      deployed: true,
    },
    {
      name: 'window, no bracket',
      change: 'reads PercentDone as measured when the answer arrived (no askedAt)',
      policy: (timing) => nextPollSeconds({ ...timing, askedAt: undefined }),
    },
    {
      name: 'window, trusts decimals',
      change: 'takes PercentDone as exact to 0.01 % even when it shows none (not fail-safe)',
      policy: (timing) => nextPollSeconds({ ...timing, percentResolution: 0.01 }),
    },
    {
      name: 'window, no refine',
      change: "always land after the window's latest end",
      policy: tuned({ refineMinGain: Number.POSITIVE_INFINITY }),
    },
    {
      name: 'earlier estimate',
      change: 'the previous policy: 3 s after the earlier point estimate',
      policy: landAfterEarlierEstimate,
    },
    {
      name: 'approach from below',
      change: 'before the benchmark: 0.9 × remaining, then the minimum',
      policy: approachFromBelow,
    },
    {
      name: 'naive 30 s',
      change: 'POLL_MIN_SECONDS = POLL_MAX_SECONDS = 30',
      minSeconds: 30,
      maxSeconds: 30,
      policy: (timing) => timing.minSeconds,
    },
  ];
}

export interface LatencyStats {
  readonly runs: number;
  readonly median: number | null;
  readonly p95: number | null;
  readonly worst: number | null;
}

/** Median, 95th percentile (nearest rank) and worst. */
export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { runs: 0, median: null, p95: null, worst: null };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
  return { runs: sorted.length, median, p95, worst: sorted.at(-1)! };
}

export interface ModelledPolicy {
  readonly variant: PolicyVariant;
  /** PollRestoreJob entries of a 20-minute job (no skew). */
  readonly polls20: number;
  /** Over `jobs`, with the seeded skew. */
  readonly medianPolls: number;
  readonly hundredths: LatencyStats;
  readonly whole: LatencyStats;
}

/** Each policy over the given jobs, with the same seeded skew for every policy. */
export function modelPolicies(jobs: readonly number[], seed: number = DETECTION_SPAN.seed): ModelledPolicy[] {
  const env = EnvSchemas['poll-restore-job'].parse({});
  return policyVariants().map((variant) => {
    const min = variant.minSeconds ?? env.POLL_MIN_SECONDS;
    const max = variant.maxSeconds ?? env.POLL_MAX_SECONDS;
    const over = (reporting: PercentReporting) => {
      const random = seededRandom(seed);
      const skew = () => random() * MODEL_SKEW_SECONDS;
      return jobs.map((m) => replayLoop(m, variant.policy, min, max, { reporting, skew }));
    };
    const hundredths = over('hundredths');
    const whole = over('whole');
    const polls = hundredths.map((r) => r.polls).sort((a, b) => a - b);
    return {
      variant,
      polls20: replayLoop(20, variant.policy, min, max).polls,
      medianPolls: latencyStats(polls).median ?? 0,
      hundredths: latencyStats(hundredths.map((r) => r.detectionSeconds)),
      whole: latencyStats(whole.map((r) => r.detectionSeconds)),
    };
  });
}

export interface WaitModelSection {
  readonly replays: readonly LoopReplay[];
  readonly modelled: readonly ModelledPolicy[];
  readonly tables: readonly Table[];
}

/** `measuredTotals`: the emulator's whole-restore transitions per job length (ours), for projections. */
export function runWaitModel(
  jobMinutes: readonly number[],
  measuredTotals: ReadonlyMap<number, number> = new Map(),
): WaitModelSection {
  const env = EnvSchemas['poll-restore-job'].parse({});
  const variants = policyVariants();
  const deployed = variants.find((v) => v.deployed)!;
  const replays: LoopReplay[] = [];
  const fixedRows = variants.map((v) => {
    const min = v.minSeconds ?? env.POLL_MIN_SECONDS;
    const max = v.maxSeconds ?? env.POLL_MAX_SECONDS;
    const cells = jobMinutes.map((m) => {
      const r = { ...replayLoop(m, v.policy, min, max), policy: v.name };
      replays.push(r);
      return r;
    });
    return [
      v.name,
      v.change,
      ...cells.map((r) => `${r.polls} polls / ${seconds(r.detectionSeconds, 0)}`),
      ...cells.map((r) => {
        const measured = measuredTotals.get(r.jobMinutes);
        const base = replays.find((c) => c.policy === deployed.name && c.jobMinutes === r.jobMinutes);
        return measured === undefined || !base
          ? '—'
          : int(measured - TRANSITIONS_PER_POLL * (base.polls - r.polls));
      }),
    ];
  });
  const fixed: Table = {
    title: 'Wait-loop model: polls and detection latency per policy, exact estimates, no skew',
    columns: [
      'Policy',
      'Change',
      ...jobMinutes.map((m) => `${m} min`),
      ...jobMinutes.map((m) => `${m} min total*`),
    ],
    rows: fixedRows,
    notes: [
      `Min ${env.POLL_MIN_SECONDS} s / max ${env.POLL_MAX_SECONDS} s unless given; first poll ${INITIAL_POLL_WAIT_SECONDS} s after the start (StartRestoreJob). Each poll is 3 transitions.`,
      "* total: the emulator's measured whole-restore transitions (ours) minus 3 per poll saved against the deployed policy.",
    ],
  };

  const jobs = detectionJobMinutes();
  const modelled = modelPolicies(jobs);
  const tradeOff: Table = {
    title: `Wait-loop model: transitions against detection latency, ${jobs.length} jobs of ${DETECTION_SPAN.fromMinutes}–${DETECTION_SPAN.toMinutes} min`,
    columns: [
      'Policy',
      'Polls, 20 min',
      'Loop transitions, 20 min',
      'Median polls',
      'Latency median',
      'p95',
      'Worst',
      'Worst, whole %',
      'Mark',
    ],
    rows: modelled.map((m) => [
      m.variant.deployed ? `${m.variant.name} (deployed)` : m.variant.name,
      int(m.polls20),
      int(TRANSITIONS_PER_POLL * m.polls20),
      int(m.medianPolls),
      seconds(m.hundredths.median),
      seconds(m.hundredths.p95),
      seconds(m.hundredths.worst),
      seconds(m.whole.worst),
      m.variant.deployed
        ? mark(m.hundredths.worst === null ? null : m.hundredths.worst <= DETECTION_TARGET_SECONDS)
        : '—',
    ]),
    notes: [
      `Jobs (seed ${DETECTION_SPAN.seed}): ${jobs.map((m) => m.toFixed(1)).join(', ')} min. Skew: the request reaches AWS 0–${MODEL_SKEW_SECONDS} s after the poll and the answer arrives 0–${MODEL_SKEW_SECONDS} s later (seeded, the same for every policy).`,
      'Latency = when the poll that sees COMPLETED has its answer − the end of the job. "Worst, whole %": the same jobs with PercentDone reported in whole percent, as AWS may; the policy does not trust a percentage that shows no decimals to better than ±1 % of the job, and ExpectedCompletionTimeMinutes bounds the end to its minute: it lands after that window (no extra poll, up to a minute of latency).',
      "Loop transitions: WaitForRestoreJob, PollRestoreJob and IsRestoreJobDone per poll; the rest of a 20-min restore is 21 transitions. The restore section puts these rows next to the emulator's, for the same jobs.",
    ],
  };
  return { replays, modelled, tables: [fixed, tradeOff] };
}
