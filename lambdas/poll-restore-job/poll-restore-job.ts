import {
  type BackupClient,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobOutput,
} from '@aws-sdk/client-backup';
import { parseInstanceArn } from '@shared/ec2';
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
 * Aim the next poll this long after the estimated end, so that a job that keeps to its estimate
 * costs one poll and is noticed within seconds. Approaching from below (a fraction of the
 * remaining time, then polls at the minimum) cost 2–3 more polls per job for no earlier
 * detection (bench: "Wait-loop model"). Fails safe against a pessimistic estimate because the
 * earlier of the two estimates wins and no wait exceeds POLL_MAX_SECONDS.
 */
export const LANDING_MARGIN_SECONDS = 3;
/** With no estimate at all (PENDING, 0 %, no expected time): a steady, cheap rhythm. */
export const NO_ESTIMATE_WAIT_SECONDS = 60;
/**
 * Once past the estimate, wait this fraction of the overrun: the first minute or so polls at the
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
  readonly now: Date;
  /** When the job began: AWS Backup's CreationDate, else when this workflow started it. ISO-8601. */
  readonly jobStartedAt: string;
  /** ISO-8601. */
  readonly deadline: string;
  readonly percentDone: number | null;
  readonly expectedCompletionTimeMinutes: number | null;
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

/**
 * Seconds until the job should be done, from whichever estimates the job offers (null: none). The
 * earlier of the two wins: overshooting costs detection latency, undershooting only one more poll.
 */
export function estimateRemainingSeconds(timing: PollTiming): number | null {
  const nowMs = timing.now.getTime();
  const startMs = Date.parse(timing.jobStartedAt);
  const estimates: number[] = [];
  const expected = timing.expectedCompletionTimeMinutes;
  // ExpectedCompletionTimeMinutes is read as minutes from the job's creation, not from now: AWS
  // documents no reference point [unconfirmed], and a job's expected end should not move just
  // because it is asked again. Zero means AWS has no estimate yet; read as "due now" it would
  // poll at the minimum for the whole job.
  if (expected !== null && expected > 0 && Number.isFinite(startMs)) {
    estimates.push((startMs + expected * 60_000 - nowMs) / 1000);
  }
  const percent = timing.percentDone;
  const elapsedSeconds = Number.isFinite(startMs) ? (nowMs - startMs) / 1000 : 0;
  if (percent !== null && percent >= 100) {
    estimates.push(0);
  } else if (percent !== null && percent > 0 && elapsedSeconds > 0) {
    // Progress so far, extrapolated linearly. A percentage that stalls near the end (AWS may hold
    // 99 %) keeps the wait near elapsed/110: short for ordinary jobs, never a tight loop for long ones.
    estimates.push((elapsedSeconds * (100 - percent)) / percent);
  }
  return estimates.length > 0 ? Math.min(...estimates) : null;
}

/**
 * The adaptive wait before the next DescribeRestoreJob: until just after the job's expected end
 * (few state transitions, completion noticed within seconds), backing off once it is overdue,
 * always within [minSeconds, maxSeconds], and never far past the deadline.
 */
export function nextPollSeconds(timing: PollTiming): number {
  const remaining = estimateRemainingSeconds(timing);
  let wait: number;
  if (remaining === null) wait = NO_ESTIMATE_WAIT_SECONDS;
  else if (remaining > 0) wait = remaining + LANDING_MARGIN_SECONDS;
  else wait = -remaining * OVERDUE_BACKOFF;
  wait = clamp(wait, timing.minSeconds, timing.maxSeconds);
  const untilDeadline = (Date.parse(timing.deadline) - timing.now.getTime()) / 1000;
  if (Number.isFinite(untilDeadline))
    wait = Math.min(wait, Math.max(1, untilDeadline + DEADLINE_GRACE_SECONDS));
  return Math.max(1, Math.ceil(wait));
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
      // A job's own creation time is the better origin; the workflow's start is a few seconds later.
      jobStartedAt: job.CreationDate?.toISOString() ?? previous.startedAt,
      deadline: previous.deadline,
      percentDone,
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
