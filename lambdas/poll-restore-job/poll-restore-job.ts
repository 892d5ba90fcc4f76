import {
  type BackupClient,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobOutput,
} from '@aws-sdk/client-backup';
import { parseInstanceArn } from '@shared/arns';
import {
  awsErrorCode,
  errorMessage,
  isTransientAwsError,
  RestoreJobFailedError,
  RestoreTimeoutError,
} from '@shared/errors';
import type { Logger } from '@shared/logger';
import { type Clock, clamp } from '@shared/time';
import { type RestoreJobState, requireSlices, type WorkflowState } from '@shared/workflow-state';

export interface PollRestoreJobDeps {
  readonly backup: BackupClient;
  readonly now: Clock;
  /** Never poll more often than this (POLL_MIN_SECONDS). */
  readonly pollMinSeconds: number;
  /** Never sleep longer than this between polls (POLL_MAX_SECONDS). */
  readonly pollMaxSeconds: number;
  readonly logger?: Logger;
}

/**
 * The wait loop aims each poll from a window [earliest, latest] that must hold the job's end, built
 * from what the job reports and what that report cannot tell (its rounding, when it was measured).
 * A narrow window is landed on just after its latest end: one poll, completion noticed within
 * seconds. A wide one — the first poll, 60 s in, extrapolates a percentage over the whole job and
 * multiplies any skew by job length ÷ elapsed (≈ 17× for 20 minutes) — is not landed on: the next
 * poll goes just before its earliest end, late in the job where the extrapolation factor is about
 * 1, and that well-conditioned estimate is landed on. Bench: "Detection latency against
 * transitions" (restore) and "Wait-loop model".
 */
export interface WaitTuning {
  /** Land on a window at most this wide (seconds); a wider one is refined first when that helps. */
  readonly landingToleranceSeconds: number;
  /** Aim this long after the latest end: clock offsets between Lambda and AWS Backup. */
  readonly landingMarginSeconds: number;
  /**
   * Refine only when the refinement poll would see at least this many times the job's elapsed time:
   * the skew's amplification (job length ÷ elapsed) then falls by that factor. At 2, a refinement
   * poll is never refined again (it sits just before the end), so a job costs at most one extra poll.
   */
  readonly refineMinGain: number;
  /**
   * The refinement poll goes this fraction of the way back from the earliest end (plus the minimum
   * wait, so the landing wait after it is never clamped up): progress on AWS need not be linear.
   */
  readonly refineLeadFraction: number;
  /**
   * PercentDone's resolution when the report does not show a finer one (an integral value such as
   * "45.00%" may be whole percent): AWS documents none, so whole percent is the safe assumption.
   */
  readonly defaultPercentResolution: number;
}

export const WAIT_TUNING: WaitTuning = {
  landingToleranceSeconds: 5,
  landingMarginSeconds: 1,
  refineMinGain: 2,
  refineLeadFraction: 0.03,
  defaultPercentResolution: 1,
};

/** AWS may report 99 % from here until the job completes. */
const HELD_PERCENT = 99;
/** With no estimate at all (PENDING, 0 %, no expected time): a steady, cheap rhythm. */
export const NO_ESTIMATE_WAIT_SECONDS = 60;
/**
 * Once past an estimate, wait this fraction of the overrun: the first minute or so polls at the
 * minimum (the estimate is usually close), while an estimate that is far off — a restore from cold
 * storage takes hours longer — backs off instead of costing a transition every few seconds.
 */
const OVERDUE_BACKOFF = 0.25;
/** The last wait may end this long after the deadline, so the timeout is noticed at once. */
const DEADLINE_GRACE_SECONDS = 5;
/**
 * DescribeRestoreJob can miss a job that StartRestoreJob has just returned (eventual consistency);
 * within this long after the start, "not found" means "look again".
 */
const NOT_FOUND_GRACE_SECONDS = 120;

export interface PollTiming {
  /** When DescribeRestoreJob answered. */
  readonly now: Date;
  /**
   * When DescribeRestoreJob was sent (default: `now`). AWS measured PercentDone somewhere between
   * the two; the window takes both ends instead of guessing.
   */
  readonly askedAt?: Date;
  /** When the job began: AWS Backup's CreationDate, else when this workflow started it. ISO-8601. */
  readonly jobStartedAt: string;
  /** ISO-8601. */
  readonly deadline: string;
  readonly percentDone: number | null;
  /** The smallest step PercentDone shows (see `percentResolution`); default: the tuning's. */
  readonly percentResolution?: number;
  readonly expectedCompletionTimeMinutes: number | null;
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

/** Where the job's end must lie, in epoch milliseconds; `latest` may be Infinity. */
export interface EndWindow {
  readonly earliestMs: number;
  readonly latestMs: number;
}

export type EndEstimate =
  | { readonly kind: 'none' }
  /** An estimate's latest end has passed: the job runs late; `overrunSeconds` past that end. */
  | { readonly kind: 'overdue'; readonly overrunSeconds: number }
  | ({ readonly kind: 'window' } & EndWindow);

/**
 * The window that must hold the job's end, from each estimate AWS offers:
 * - PercentDone p (0 < p < 100) at resolution r, measured between askedAt and now: the job is
 *   (p ± r) % done after that much time, so, if progress is linear, it ends between
 *   elapsed(askedAt)·100/(p + r) and elapsed(now)·100/(p − r) after its start. AWS may hold 99 %
 *   until the end: p − r is still a lower bound on the true fraction then, so `latest` holds, but
 *   the end may be now.
 * - ExpectedCompletionTimeMinutes E, read as minutes from the job's creation (AWS documents no
 *   reference point [unconfirmed]; a job's expected end should not move because it is asked again).
 *   Whole minutes, read as rounded up (as the emulator does): the end lies in the minute before E.
 *   Rounded otherwise, the window passes before the end and the job is polled as overdue — one
 *   poll more at the minimum, where reading it as E ± 1 would cost up to two minutes of latency on
 *   every job whose PercentDone is whole percent. Zero means AWS has no estimate yet.
 * Both: their overlap; when they disagree, the earlier window wins (overshooting costs detection
 * latency, undershooting one more poll). An estimate whose latest end has passed makes the job
 * overdue, as does 100 % without COMPLETED.
 */
export function estimateEndWindow(timing: PollTiming, tuning: WaitTuning = WAIT_TUNING): EndEstimate {
  const nowMs = timing.now.getTime();
  const askedMs = Math.min(nowMs, timing.askedAt?.getTime() ?? nowMs);
  const startMs = Date.parse(timing.jobStartedAt);
  if (!Number.isFinite(startMs)) return { kind: 'none' };
  const windows: EndWindow[] = [];
  let overdueSinceMs: number | null = null;
  const percent = timing.percentDone;
  if (percent !== null && percent >= 100) overdueSinceMs = nowMs;
  else if (percent !== null && percent > 0 && nowMs > startMs) {
    const r = timing.percentResolution ?? tuning.defaultPercentResolution;
    const low = percent - r;
    // A held 99 % may be any fraction up to the end: it bounds the end from above only.
    const high = percent + r >= HELD_PERCENT ? 100 : percent + r;
    windows.push({
      earliestMs: startMs + (Math.max(0, askedMs - startMs) * 100) / high,
      latestMs: low > 0 ? startMs + ((nowMs - startMs) * 100) / low : Number.POSITIVE_INFINITY,
    });
  }
  const expected = timing.expectedCompletionTimeMinutes;
  if (expected !== null && expected > 0) {
    const latestMs = startMs + expected * 60_000;
    if (latestMs < nowMs) overdueSinceMs = Math.min(overdueSinceMs ?? latestMs, latestMs);
    else windows.push({ earliestMs: startMs + (expected - 1) * 60_000, latestMs });
  }
  if (overdueSinceMs !== null) return { kind: 'overdue', overrunSeconds: (nowMs - overdueSinceMs) / 1000 };
  const [first, ...rest] = windows;
  if (!first) return { kind: 'none' };
  let window = first;
  for (const other of rest) {
    const overlap = {
      earliestMs: Math.max(window.earliestMs, other.earliestMs),
      latestMs: Math.min(window.latestMs, other.latestMs),
    };
    window =
      overlap.earliestMs <= overlap.latestMs ? overlap : other.latestMs < window.latestMs ? other : window;
  }
  return { kind: 'window', ...window };
}

/**
 * The adaptive wait before the next DescribeRestoreJob (see `WaitTuning`): land just after a narrow
 * window's latest end, refine a wide one (or one beyond the cap) with a poll just before its
 * earliest end, back off once the job is overdue; always within [minSeconds, maxSeconds], and
 * never far past the deadline.
 */
export function nextPollSeconds(timing: PollTiming, tuning: WaitTuning = WAIT_TUNING): number {
  const nowMs = timing.now.getTime();
  const estimate = estimateEndWindow(timing, tuning);
  let wait: number;
  if (estimate.kind === 'none') wait = NO_ESTIMATE_WAIT_SECONDS;
  else if (estimate.kind === 'overdue') wait = estimate.overrunSeconds * OVERDUE_BACKOFF;
  else {
    const toEarliest = (estimate.earliestMs - nowMs) / 1000;
    const land = (estimate.latestMs - nowMs) / 1000 + tuning.landingMarginSeconds;
    const refineIn =
      toEarliest - timing.minSeconds - tuning.landingMarginSeconds - tuning.refineLeadFraction * toEarliest;
    const elapsed = (nowMs - Date.parse(timing.jobStartedAt)) / 1000;
    const wide = estimate.latestMs - estimate.earliestMs > tuning.landingToleranceSeconds * 1000;
    const worthIt = elapsed + refineIn >= tuning.refineMinGain * elapsed;
    // A landing beyond the cap takes one more poll anyway; left to the cap, that poll may fall in
    // the last 1 % of the job, where a held 99 % knows the end only to 1 % of the elapsed time.
    // Placed as a refinement it is just as cheap and sees an unheld percentage.
    const refine = refineIn >= timing.minSeconds && (land > timing.maxSeconds || (wide && worthIt));
    wait = refine ? refineIn : land;
  }
  wait = clamp(wait, timing.minSeconds, timing.maxSeconds);
  const untilDeadline = (Date.parse(timing.deadline) - nowMs) / 1000;
  if (Number.isFinite(untilDeadline))
    wait = Math.min(wait, Math.max(1, untilDeadline + DEADLINE_GRACE_SECONDS));
  return Math.max(1, Math.ceil(wait));
}

/**
 * The smallest step a reported percentage shows: "45.37%" → 0.01; an integral value ("45.00%") may
 * be whole percent, so it counts as one unless the previous report of this job showed a fraction
 * (the same source, so the same resolution). Null: `WaitTuning.defaultPercentResolution` applies.
 */
export function percentResolution(raw: string | undefined, previous: number | null): number | null {
  const shown = (text: string | undefined) => {
    const fraction = text?.trim().match(/^\d+\.(\d+)/)?.[1];
    return fraction && /[1-9]/.test(fraction) ? 10 ** -fraction.length : null;
  };
  return shown(raw) ?? shown(previous === null ? undefined : String(previous));
}

/** `"45.00%"` → 45; null when absent or not a percentage. */
export function parsePercentDone(value: string | undefined): number | null {
  const match = value?.trim().match(/^(\d+(?:\.\d+)?)\s*%?$/);
  if (!match?.[1]) return null;
  const percent = Number.parseFloat(match[1]);
  return Number.isFinite(percent) && percent <= 100 ? percent : null;
}

/**
 * Step 6: one DescribeRestoreJob per call. COMPLETED → done with the created instance;
 * FAILED/ABORTED → RestoreJobFailedError with AWS's message and what to do about it; past the
 * deadline → RestoreTimeoutError; otherwise not done, with an adaptive wait before the next poll.
 */
export async function pollRestoreJob(
  state: WorkflowState,
  deps: PollRestoreJobDeps,
): Promise<RestoreJobState> {
  const { restoreJob: previous } = requireSlices(state, 'restoreJob');
  if (previous.done) return previous;

  const askedAt = deps.now();
  const job = await describe(previous, deps);
  const now = deps.now();
  const polls = previous.polls + 1;
  if (!job) {
    return { ...previous, polls, nextWaitSeconds: deps.pollMinSeconds };
  }

  const status = job.Status ?? 'UNKNOWN';
  const percentDone = parsePercentDone(job.PercentDone);
  const expectedCompletionTimeMinutes =
    typeof job.ExpectedCompletionTimeMinutes === 'number' ? job.ExpectedCompletionTimeMinutes : null;
  const observed = {
    ...previous,
    status,
    statusMessage: job.StatusMessage ?? null,
    percentDone,
    expectedCompletionTimeMinutes,
    polls,
  };
  deps.logger?.info('restore job polled', { restoreJobId: previous.id, status, percentDone, polls });

  if (status === 'COMPLETED') {
    const instanceId = job.CreatedResourceArn
      ? parseInstanceArn(job.CreatedResourceArn)?.instanceId
      : undefined;
    if (!instanceId) {
      throw new RestoreJobFailedError(
        `Restore job ${previous.id} is COMPLETED, but AWS Backup reported ${
          job.CreatedResourceArn
            ? `created resource ${job.CreatedResourceArn}, which is not an EC2 instance`
            : 'no created resource'
        }, so there is no instance to continue with. Look up the job in the AWS Backup console (Jobs → Restore jobs) ` +
          'and check the EC2 console for an instance launched from the recovery point at that time.',
      );
    }
    return {
      ...observed,
      percentDone: percentDone ?? 100,
      createdInstanceId: instanceId,
      completedAt: now.toISOString(),
      done: true,
      nextWaitSeconds: 0,
    };
  }
  if (status === 'FAILED' || status === 'ABORTED') {
    throw new RestoreJobFailedError(failureMessage(state, previous.id, status, job));
  }
  if (now.getTime() > Date.parse(previous.deadline)) {
    throw new RestoreTimeoutError(timeoutMessage(previous, status, percentDone, polls));
  }
  return {
    ...observed,
    nextWaitSeconds: nextPollSeconds({
      now,
      askedAt,
      // A job's own creation time is the better origin; the workflow's start is a few seconds later.
      jobStartedAt: job.CreationDate?.toISOString() ?? previous.startedAt,
      deadline: previous.deadline,
      percentDone,
      percentResolution: percentResolution(job.PercentDone, previous.percentDone) ?? undefined,
      expectedCompletionTimeMinutes,
      minSeconds: deps.pollMinSeconds,
      maxSeconds: deps.pollMaxSeconds,
    }),
  };
}

/** The job, or null when AWS Backup does not show it yet (only just after the start). */
async function describe(
  previous: RestoreJobState,
  deps: PollRestoreJobDeps,
): Promise<DescribeRestoreJobOutput | null> {
  try {
    return await deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: previous.id }));
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    const code = awsErrorCode(error);
    const sinceStart = (deps.now().getTime() - Date.parse(previous.startedAt)) / 1000;
    if (code === 'ResourceNotFoundException' && sinceStart <= NOT_FOUND_GRACE_SECONDS) {
      deps.logger?.info('restore job not visible yet', { restoreJobId: previous.id, sinceStart });
      return null;
    }
    throw new RestoreJobFailedError(
      `DescribeRestoreJob ${previous.id} failed: ${code ?? 'error'}: "${errorMessage(error)}". ` +
        (code === 'ResourceNotFoundException'
          ? 'AWS Backup no longer knows this job; look for it in the AWS Backup console (Jobs → Restore jobs).'
          : 'Check that the workflow role may call backup:DescribeRestoreJob.'),
      { cause: error },
    );
  }
}

function failureMessage(
  state: WorkflowState,
  jobId: string,
  status: string,
  job: DescribeRestoreJobOutput,
): string {
  const statusMessage = job.StatusMessage ?? '';
  const said = statusMessage ? `"${statusMessage}"` : '(AWS Backup gave no status message)';
  return `Restore job ${jobId} ${status}: ${said}. ${failureHint(state, status, statusMessage, job.IamRoleArn)}`;
}

function failureHint(
  state: WorkflowState,
  status: string,
  statusMessage: string,
  jobRoleArn?: string,
): string {
  const restoreRole = jobRoleArn ?? state.plan?.restoreRoleArn ?? 'the restore role';
  const profile = state.plan?.targetInstanceProfile?.name ?? state.source?.instanceProfileName ?? null;
  const profileText = profile ? `instance profile ${profile}` : "the source instance's profile";
  if (status === 'ABORTED') {
    return (
      'Someone (or something with backup permissions) aborted the job in AWS Backup; nothing was restored. ' +
      'Rerun the workflow to start a new restore.'
    );
  }
  if (/does not permit attaching a new instance profile/i.test(statusMessage)) {
    return (
      `AWS Backup restores an EC2 instance only with its backed-up instance profile or with none. Restore with the ` +
      `backed-up profile (IamInstanceProfileName "UseBackedUpValue" or its original name) or without one: rerun with ` +
      'instanceProfile "reattach" to restore without a profile and associate it afterwards.'
    );
  }
  if (/iam:PassRole|not authori[sz]ed/i.test(statusMessage)) {
    return (
      `The restore role ${restoreRole} may not pass the role inside ${profileText} to EC2: it needs iam:PassRole on ` +
      'that role (the role ARN, not the instance profile ARN) with the condition iam:PassedToService = ' +
      'ec2.amazonaws.com. Or rerun with instanceProfile "reattach": the instance is restored without a profile and ' +
      'the workflow associates it afterwards. An encoded message decodes with `aws sts decode-authorization-message`.'
    );
  }
  return (
    'The status message names what AWS Backup or EC2 refused; look up the job and the recovery point it used in ' +
    'the AWS Backup console (Jobs → Restore jobs).'
  );
}

function timeoutMessage(
  previous: RestoreJobState,
  status: string,
  percentDone: number | null,
  polls: number,
): string {
  const minutes = Math.round((Date.parse(previous.deadline) - Date.parse(previous.startedAt)) / 60_000);
  const progress = percentDone === null ? 'progress unknown' : `${percentDone.toFixed(0)}% done`;
  return (
    `Restore job ${previous.id} did not finish within ${minutes} minutes (deadline ${previous.deadline}): it is ` +
    `${status}, ${progress}, after ${polls} poll(s). The workflow stopped waiting, but the job itself keeps running ` +
    'in AWS Backup unless it is stopped, and may still create an instance that this execution will not tag or ' +
    'check: watch it in the AWS Backup console (Jobs → Restore jobs) and terminate what it creates if it is not ' +
    'wanted. Restores from cold storage take hours longer; rerun with a larger restoreTimeoutMinutes if that is expected.'
  );
}
