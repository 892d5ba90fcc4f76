import { DescribeRestoreJobCommand, type DescribeRestoreJobOutput } from '@aws-sdk/client-backup';
import { step } from '@lambdas/poll-restore-job/handler';
import {
  LANDING_MARGIN_SECONDS,
  NO_ESTIMATE_WAIT_SECONDS,
  nextPollSeconds,
  type PollRestoreJobDeps,
  type PollTiming,
  parsePercentDone,
  pollRestoreJob,
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

    expect(job.nextWaitSeconds).toBe(60 + LANDING_MARGIN_SECONDS);
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
  it('waits at most the maximum on the first poll of a job expected to take two hours', () => {
    const wait = nextPollSeconds(timing({ now: at(60), expectedCompletionTimeMinutes: 120 }));

    expect(wait).toBe(MAX);
  });

  it('waits until just after the expected end when that is within the bounds', () => {
    const wait = nextPollSeconds(timing({ now: at(60), expectedCompletionTimeMinutes: 20 }));

    expect(wait).toBe(19 * 60 + LANDING_MARGIN_SECONDS);
  });

  it('waits short near the expected completion', () => {
    const wait = nextPollSeconds(timing({ now: at(19 * 60 + 50), expectedCompletionTimeMinutes: 20 }));

    expect(wait).toBe(MIN);
  });

  it('polls at the minimum just past the estimate, and backs off when the estimate is far off', () => {
    const justPast = nextPollSeconds(timing({ now: at(20 * 60 + 30), expectedCompletionTimeMinutes: 20 }));
    const farPast = nextPollSeconds(timing({ now: at(60 * 60), expectedCompletionTimeMinutes: 20 }));

    expect(justPast).toBe(MIN);
    expect(farPast).toBeGreaterThan(MIN);
    expect(farPast).toBeLessThanOrEqual(MAX);
  });

  it('extrapolates the progress rate when AWS gives no expected time', () => {
    // 10 % in 5 minutes: 45 minutes to go, capped at the maximum.
    const early = nextPollSeconds(timing({ now: at(300), percentDone: 10 }));
    // 90 % in 9 minutes: one minute to go.
    const late = nextPollSeconds(timing({ now: at(540), percentDone: 90 }));

    expect(early).toBe(MAX);
    expect(late).toBe(60 + LANDING_MARGIN_SECONDS);
  });

  it('takes the earlier of the two estimates', () => {
    const wait = nextPollSeconds(
      timing({ now: at(540), percentDone: 90, expectedCompletionTimeMinutes: 60 }),
    );

    expect(wait).toBe(60 + LANDING_MARGIN_SECONDS);
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
    const wait = nextPollSeconds(
      timing({ now: at(3600), deadline: at(3700).toISOString(), expectedCompletionTimeMinutes: 240 }),
    );

    expect(wait).toBeLessThanOrEqual(105);
    expect(wait).toBeGreaterThanOrEqual(100);
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
