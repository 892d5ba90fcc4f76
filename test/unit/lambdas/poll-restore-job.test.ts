import { DescribeRestoreJobCommand, type DescribeRestoreJobOutput } from '@aws-sdk/client-backup';
import { step } from '@lambdas/poll-restore-job/handler';
import {
  estimateEndWindow,
  NO_ESTIMATE_WAIT_SECONDS,
  nextPollSeconds,
  type PollRestoreJobDeps,
  type PollTiming,
  parsePercentDone,
  percentResolution,
  pollRestoreJob,
  WAIT_TUNING,
} from '@lambdas/poll-restore-job/poll-restore-job';
import { RestoreJobFailedError, RestoreTimeoutError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import type { RestoreJobState, WorkflowState } from '@shared/workflow-state';
import { rejection } from '@test/helpers/failure';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const MIN = 15;
const MAX = 1800;
const INSTANCE_ARN = `arn:aws:ec2:${IDS.region}:${IDS.account}:instance/${IDS.restoredInstance}`;
const PASSROLE_MESSAGE =
  'You are not authorized to perform this operation. Encoded authorization failure message: ' +
  'eyJhY3Rpb24iOiJpYW06UGFzc1JvbGUifQ== (iam:PassRole on arn:aws:iam::123456789012:role/app-instance-role)';

/** The job as start-restore-job left it: started at T0+5s, four-hour deadline, not polled yet. */
function startedJob(overrides: Partial<RestoreJobState> = {}): RestoreJobState {
  return {
    id: IDS.restoreJobId,
    status: 'PENDING',
    statusMessage: null,
    percentDone: null,
    expectedCompletionTimeMinutes: null,
    createdInstanceId: null,
    startedAt: at(5).toISOString(),
    deadline: at(5 + 240 * 60).toISOString(),
    polls: 0,
    completedAt: null,
    done: false,
    nextWaitSeconds: 60,
    ...overrides,
  };
}

function stateWith(job: RestoreJobState): WorkflowState {
  return { ...stateAfter('plan'), restoreJob: job };
}

function deps(secondsAfterT0: number): PollRestoreJobDeps {
  return {
    backup: clients.backup,
    now: () => at(secondsAfterT0),
    pollMinSeconds: MIN,
    pollMaxSeconds: MAX,
    logger: captureLogger().logger,
  };
}

function awsSays(job: DescribeRestoreJobOutput): void {
  mocks.backup.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: IDS.restoreJobId,
    CreationDate: at(4),
    ResourceType: 'EC2',
    ...job,
  });
}

function timing(overrides: Partial<PollTiming> = {}): PollTiming {
  return {
    now: at(60),
    jobStartedAt: at(0).toISOString(),
    deadline: at(4 * 3600).toISOString(),
    percentDone: null,
    expectedCompletionTimeMinutes: null,
    minSeconds: MIN,
    maxSeconds: MAX,
    ...overrides,
  };
}

describe('poll-restore-job', () => {
  it('keeps waiting while the job runs, within the poll bounds, and records what AWS reports', async () => {
    awsSays({ Status: 'RUNNING', PercentDone: '45.00%', ExpectedCompletionTimeMinutes: 20 });
    const previous = startedJob({ polls: 1, status: 'PENDING' });

    const job = await pollRestoreJob(stateWith(previous), deps(300));

    expect(job).toMatchObject({
      id: IDS.restoreJobId,
      status: 'RUNNING',
      percentDone: 45,
      expectedCompletionTimeMinutes: 20,
      createdInstanceId: null,
      startedAt: previous.startedAt,
      deadline: previous.deadline,
      polls: 2,
      done: false,
    });
    expect(job.nextWaitSeconds).toBeGreaterThanOrEqual(MIN);
    expect(job.nextWaitSeconds).toBeLessThanOrEqual(MAX);
    expect(mocks.backup).toHaveReceivedCommandWith(DescribeRestoreJobCommand, {
      RestoreJobId: IDS.restoreJobId,
    });
  });

  it('reports the created instance and finishes when the job is COMPLETED', async () => {
    awsSays({ Status: 'COMPLETED', PercentDone: '100.00%', CreatedResourceArn: INSTANCE_ARN });

    const job = await pollRestoreJob(stateWith(startedJob({ polls: 4 })), deps(1205));

    expect(job).toMatchObject({
      status: 'COMPLETED',
      percentDone: 100,
      createdInstanceId: IDS.restoredInstance,
      completedAt: at(1205).toISOString(),
      polls: 5,
      done: true,
      nextWaitSeconds: 0,
    });
  });

  it('accepts a COMPLETED job that AWS reports after the deadline', async () => {
    awsSays({ Status: 'COMPLETED', CreatedResourceArn: INSTANCE_ARN });

    const job = await pollRestoreJob(stateWith(startedJob()), deps(5 + 240 * 60 + 30));

    expect(job.done).toBe(true);
  });

  it('fails with RestoreJobFailedError when AWS reports completion without a created resource', async () => {
    awsSays({ Status: 'COMPLETED', PercentDone: '100.00%' });

    const error = await rejection(pollRestoreJob(stateWith(startedJob()), deps(1205)));

    expect(error).toBeInstanceOf(RestoreJobFailedError);
    expect(error.message).toContain('no created resource');
  });

  it('carries the FAILED status message verbatim and the PassRole fix when the restore role may not pass the instance role', async () => {
    awsSays({ Status: 'FAILED', StatusMessage: PASSROLE_MESSAGE, IamRoleArn: IDS.restoreRoleArn });

    const error = await rejection(pollRestoreJob(stateWith(startedJob()), deps(600)));

    expect(error).toBeInstanceOf(RestoreJobFailedError);
    expect(error.message).toContain(`Restore job ${IDS.restoreJobId} FAILED: "${PASSROLE_MESSAGE}"`);
    expect(error.message).toContain(
      `The restore role ${IDS.restoreRoleArn} may not pass the role inside instance profile ${IDS.profileName}`,
    );
    expect(error.message).toContain('iam:PassedToService = ec2.amazonaws.com');
    expect(error.message).toContain('instanceProfile "reattach"');
  });

  it('says to restore with the backed-up profile or none when AWS Backup refuses a new instance profile', async () => {
    const message =
      'AWS Backup does not permit attaching a new instance profile to an EC2 instance. Please restore using the backed up instance profile.';
    awsSays({ Status: 'FAILED', StatusMessage: message });

    const error = await rejection(pollRestoreJob(stateWith(startedJob()), deps(600)));

    expect(error).toBeInstanceOf(RestoreJobFailedError);
    expect(error.message).toContain(message);
    expect(error.message).toContain('backed-up instance profile or with none');
    expect(error.message).not.toContain('iam:PassedToService');
  });

  it('says the job was aborted when AWS reports ABORTED', async () => {
    awsSays({ Status: 'ABORTED', StatusMessage: 'Restore job was aborted by a user.' });

    const error = await rejection(pollRestoreJob(stateWith(startedJob()), deps(600)));

    expect(error).toBeInstanceOf(RestoreJobFailedError);
    expect(error.message).toContain(
      `Restore job ${IDS.restoreJobId} ABORTED: "Restore job was aborted by a user."`,
    );
    expect(error.message).toContain('aborted the job');
  });

  it('fails with RestoreTimeoutError past the deadline, naming the job, its status and progress', async () => {
    awsSays({ Status: 'RUNNING', PercentDone: '62.00%' });
    const previous = startedJob({ polls: 9 });

    const error = await rejection(pollRestoreJob(stateWith(previous), deps(5 + 240 * 60 + 3)));

    expect(error).toBeInstanceOf(RestoreTimeoutError);
    expect(error.message).toContain(IDS.restoreJobId);
    expect(error.message).toContain('within 240 minutes');
    expect(error.message).toContain('RUNNING, 62% done, after 10 poll(s)');
    expect(error.message).toContain('keeps running in AWS Backup unless it is stopped');
  });

  it('looks again shortly when AWS Backup does not show a job that has just started', async () => {
    mocks.backup
      .on(DescribeRestoreJobCommand)
      .rejects(awsError('ResourceNotFoundException', 'Restore job not found'));

    const job = await pollRestoreJob(stateWith(startedJob()), deps(65));

    expect(job).toMatchObject({ status: 'PENDING', polls: 1, done: false, nextWaitSeconds: MIN });
  });

  it('fails with RestoreJobFailedError when AWS Backup still does not know the job minutes later', async () => {
    mocks.backup
      .on(DescribeRestoreJobCommand)
      .rejects(awsError('ResourceNotFoundException', 'Restore job not found'));

    const error = await rejection(pollRestoreJob(stateWith(startedJob({ polls: 3 })), deps(900)));

    expect(error).toBeInstanceOf(RestoreJobFailedError);
    expect(error.message).toContain('no longer knows this job');
  });

  it('rethrows throttling unchanged so the state machine retries the poll', async () => {
    mocks.backup.on(DescribeRestoreJobCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    const error = await rejection(pollRestoreJob(stateWith(startedJob()), deps(65)));

    expect(error.name).toBe('ThrottlingException');
  });

  it('measures the expected completion time from the job’s CreationDate', async () => {
    // Created at T0, expected 10 minutes later; polled at T0+9m: about a minute left, not nine.
    awsSays({ Status: 'RUNNING', CreationDate: at(0), ExpectedCompletionTimeMinutes: 10 });

    const job = await pollRestoreJob(stateWith(startedJob({ startedAt: at(5).toISOString() })), deps(540));

    // No percentage: the end lies in the minute before 10 min, too close to refine: 600 + 1 − 540.
    expect(job.nextWaitSeconds).toBe(61);
  });

  it('reads PercentDone as measured between sending the request and its answer, at the resolution it shows', async () => {
    // 5.04 % of a job created at T0, measured between T0+59 and T0+61: the end lies between
    // 59·100/5.05 = 1168.3 s and 61·100/5.03 = 1212.7 s, capped by 20 minutes at 1200 s. Too wide
    // to land on from 61 s in, so the next poll refines it just before 1168.3: less the minimum
    // wait, the margin and 3 % of the 1107.3 s to go, at 1119.1 s, 1058.1 s from now.
    awsSays({
      Status: 'RUNNING',
      CreationDate: at(0),
      PercentDone: '5.04%',
      ExpectedCompletionTimeMinutes: 20,
    });
    const clock = [at(59), at(61)];

    const job = await pollRestoreJob(stateWith(startedJob({ polls: 0 })), {
      ...deps(61),
      now: () => clock.shift() ?? at(61),
    });

    expect(job.nextWaitSeconds).toBe(1059);
  });

  it('keeps the resolution the previous report showed when this one shows no decimals', async () => {
    // 95.00 % after 95.04 % earlier: still 0.01 %, so the end is known to 0.2 s: 1200 + 1 − 1140.
    awsSays({
      Status: 'RUNNING',
      CreationDate: at(0),
      PercentDone: '95.00%',
      ExpectedCompletionTimeMinutes: 20,
    });

    const job = await pollRestoreJob(stateWith(startedJob({ polls: 1, percentDone: 5.04 })), deps(1140));

    expect(job.nextWaitSeconds).toBe(61);
  });

  it('runs through the Lambda handler with POLL_MIN_SECONDS and POLL_MAX_SECONDS', async () => {
    awsSays({ Status: 'RUNNING', PercentDone: '1.00%' });
    const handler = createHandler(step, {
      env: { POLL_MIN_SECONDS: '20', POLL_MAX_SECONDS: '300' },
      clients,
      now: () => at(65),
      logger: captureLogger().logger,
    });

    const job = await handler(stateWith(startedJob()));

    expect(job).toMatchObject({ status: 'RUNNING', done: false, nextWaitSeconds: 300 });
  });
});

describe('nextPollSeconds', () => {
  const exact = { percentResolution: 0.01 } as const;

  it('refines a wide window on the first poll with a poll just before its earliest end', () => {
    // 5 % of a 20-minute job 60 s in, measured between 59 s and 60 s: the end lies in
    // [59·100/5.01, 60·100/4.99] ∩ [19 min, 20 min] = [1177.6, 1200], 22 s wide. The refinement
    // goes 15 + 1 + 3 % × 1117.6 s before 1177.6: at 1128.1, 1068.1 s from now.
    const wait = nextPollSeconds(
      timing({ now: at(60), askedAt: at(59), percentDone: 5, ...exact, expectedCompletionTimeMinutes: 20 }),
    );

    expect(wait).toBe(1069);
  });

  it('lands just after the end from the refinement poll, where the window is narrow', () => {
    // 95.79 % at 1149.5–1150 s: [1149.5·100/95.8, 1150·100/95.78] ∩ [1140, 1200] = [1199.9, 1200].
    const wait = nextPollSeconds(
      timing({
        now: at(1150),
        askedAt: at(1149.5),
        percentDone: 95.79,
        ...exact,
        expectedCompletionTimeMinutes: 20,
      }),
    );

    expect(wait).toBe(1200 + WAIT_TUNING.landingMarginSeconds - 1150);
  });

  it('lands at once when the first window is already narrow', () => {
    // 20 % of a 5-minute job at exactly 60 s: [299.85, 300.15] ∩ [240, 300].
    const wait = nextPollSeconds(
      timing({ now: at(60), percentDone: 20, ...exact, expectedCompletionTimeMinutes: 5 }),
    );

    expect(wait).toBe(300 + 1 - 60);
  });

  it('treats a percentage without decimals as whole percent, and the expected minute bounds it', () => {
    // 5 % ± 1 puts the end in [1000, 1500]; 20 minutes, rounded up, in [1140, 1200]. Refine at
    // 1140 − 16 − 3 % × 1080 = 1091.6.
    const wait = nextPollSeconds(timing({ now: at(60), percentDone: 5, expectedCompletionTimeMinutes: 20 }));

    expect(wait).toBe(1032);
  });

  it('refines from the expected time alone when PercentDone is 0', () => {
    const wait = nextPollSeconds(timing({ now: at(60), percentDone: 0, expectedCompletionTimeMinutes: 20 }));

    expect(wait).toBe(1032);
  });

  it('lands rather than refines when no poll fits before the window', () => {
    // 98.33 % ± 1 at 1180 s: [1187.9, 1212.4] ∩ [1140, 1200] = [1187.9, 1200]; 7.9 s to its start.
    const wait = nextPollSeconds(
      timing({ now: at(1180), percentDone: 98.33, expectedCompletionTimeMinutes: 20 }),
    );

    expect(wait).toBe(1200 + 1 - 1180);
  });

  it('lands rather than refines when a refinement would not see twice the elapsed time', () => {
    // 83.33 % ± 1 at 1000 s: [1185.8, 1200]; a refinement at 1164 s would barely improve the 1000 s.
    const wait = nextPollSeconds(
      timing({ now: at(1000), percentDone: 83.33, expectedCompletionTimeMinutes: 20 }),
    );

    expect(wait).toBe(1200 + 1 - 1000);
  });

  it('places the poll that a landing beyond the cap needs anyway just before the window, not in the held last 1 %', () => {
    // 66.5 % after an hour: the end at 5413.5 ± 0.8 s, 1815 s away. Capped at 1800 s, the next poll
    // would come at 5400 s (99.75 %, where AWS may hold 99 %); instead it refines at
    // 5412.7 − 16 − 3 % × 1812.7 = 5342.3 s.
    const wait = nextPollSeconds(
      timing({ now: at(3600), percentDone: 66.5, ...exact, expectedCompletionTimeMinutes: 91 }),
    );

    expect(wait).toBe(1743);
  });

  it('extrapolates the progress rate when AWS gives no expected time', () => {
    // 10 % in 5 minutes: the end at 3000 ± 3 s, capped at the maximum.
    const early = nextPollSeconds(timing({ now: at(300), percentDone: 10, ...exact }));
    // 90 % in 9 minutes: [599.93, 600.07], narrow: land.
    const late = nextPollSeconds(timing({ now: at(540), percentDone: 90, ...exact }));

    expect(early).toBe(MAX);
    expect(late).toBe(62);
  });

  it('waits at most the maximum on the first poll of a job expected to take two hours', () => {
    const wait = nextPollSeconds(
      timing({ now: at(60), percentDone: 0.83, ...exact, expectedCompletionTimeMinutes: 120 }),
    );

    expect(wait).toBe(MAX);
  });

  it('takes the earlier window when the estimates disagree', () => {
    // 25 % at 600 s says 2400 s; 20 minutes says [1140, 1200]: land after 1200.
    const wait = nextPollSeconds(
      timing({ now: at(600), percentDone: 25, ...exact, expectedCompletionTimeMinutes: 20 }),
    );

    expect(wait).toBe(601);
  });

  it('reads a held 99 % as "the end may be now", bounded by 1 % of the elapsed time', () => {
    expect(estimateEndWindow(timing({ now: at(1190), percentDone: 99, ...exact }))).toEqual({
      kind: 'window',
      earliestMs: at(1190).getTime(),
      latestMs: at(0).getTime() + (1190 * 100_000) / 98.99,
    });
    expect(nextPollSeconds(timing({ now: at(1190), percentDone: 99, ...exact }))).toBe(MIN);
  });

  it('polls at the minimum just past the estimate, and backs off a quarter of the overrun when far past', () => {
    const justPast = nextPollSeconds(
      timing({ now: at(20 * 60 + 30), percentDone: 99, expectedCompletionTimeMinutes: 20 }),
    );
    const farPast = nextPollSeconds(timing({ now: at(60 * 60), expectedCompletionTimeMinutes: 20 }));

    expect(justPast).toBe(MIN);
    expect(farPast).toBe(600);
  });

  it('polls at the minimum at 100 % without COMPLETED', () => {
    expect(nextPollSeconds(timing({ now: at(600), percentDone: 100 }))).toBe(MIN);
  });

  it('falls back to a steady rhythm without any estimate, treating 0 % and 0 minutes as none', () => {
    const wait = nextPollSeconds(timing({ percentDone: 0, expectedCompletionTimeMinutes: 0 }));

    expect(wait).toBe(NO_ESTIMATE_WAIT_SECONDS);
  });

  it.each([
    ['a long way to go', { now: at(60), expectedCompletionTimeMinutes: 600 }],
    ['just started, 1 %', { now: at(30), percentDone: 1 }],
    ['about done', { now: at(599), expectedCompletionTimeMinutes: 10 }],
    ['at 100 % but not COMPLETED', { now: at(600), percentDone: 100 }],
    ['hours overdue', { now: at(3 * 3600), expectedCompletionTimeMinutes: 5 }],
    ['no estimate', {}],
  ])('never waits below the minimum or above the maximum (%s)', (_case, overrides: Partial<PollTiming>) => {
    const wait = nextPollSeconds(timing(overrides));

    expect(wait).toBeGreaterThanOrEqual(MIN);
    expect(wait).toBeLessThanOrEqual(MAX);
    expect(Number.isInteger(wait)).toBe(true);
  });

  it('never sleeps past the deadline by more than a few seconds', () => {
    // The job ends at 2 h, the deadline is 100 s away: wake 5 s after it to time out.
    const wait = nextPollSeconds(
      timing({
        now: at(3600),
        deadline: at(3700).toISOString(),
        percentDone: 50,
        ...exact,
        expectedCompletionTimeMinutes: 120,
      }),
    );

    expect(wait).toBe(105);
  });

  it('sleeps a second when the deadline has just passed', () => {
    const wait = nextPollSeconds(
      timing({ now: at(3710), deadline: at(3700).toISOString(), expectedCompletionTimeMinutes: 120 }),
    );

    expect(wait).toBe(1);
  });
});

describe('percentResolution', () => {
  it.each([
    ['45.37%', null, 0.01],
    ['45.5%', null, 0.1],
    ['45.00%', null, null],
    ['45%', null, null],
    ['45.00%', 44.37, 0.01],
    ['45.00%', 44, null],
    [undefined, null, null],
  ])('reads %p after %p as %p', (raw, previous, expected) => {
    const resolution = percentResolution(raw, previous);
    if (expected === null) expect(resolution).toBeNull();
    else expect(resolution).toBeCloseTo(expected, 10);
  });
});

describe('parsePercentDone', () => {
  it.each([
    ['45.00%', 45],
    ['0.00%', 0],
    ['100.00%', 100],
    [' 7.5 % ', 7.5],
    ['12', 12],
    [undefined, null],
    ['', null],
    ['n/a', null],
    ['145.00%', null],
  ])('reads %p as %p', (raw, expected) => {
    expect(parsePercentDone(raw)).toBe(expected);
  });
});
