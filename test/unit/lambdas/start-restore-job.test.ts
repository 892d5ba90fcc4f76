import { GetRecoveryPointRestoreMetadataCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { step } from '@lambdas/start-restore-job/handler';
import {
  restoreIdempotencyToken,
  type StartRestoreJobDeps,
  startRestoreJob,
} from '@lambdas/start-restore-job/start-restore-job';
import { RestoreJobFailedError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { redactedValue } from '@shared/restore-metadata';
import { requireSlices, type WorkflowState } from '@shared/workflow-state';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const STARTED = at(5);

function deps(overrides: Partial<StartRestoreJobDeps> = {}): StartRestoreJobDeps {
  return {
    backup: clients.backup,
    now: () => STARTED,
    restoreRoleArn: IDS.restoreRoleArn,
    initialWaitSeconds: 60,
    logger: captureLogger().logger,
    ...overrides,
  };
}

describe('start-restore-job', () => {
  it('starts an EC2 restore of the selected point with the planned metadata and the restore role', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });
    const state = stateAfter('plan');
    const { plan } = requireSlices(state, 'plan');

    await startRestoreJob(state, deps());

    expect(mocks.backup).toHaveReceivedCommandTimes(StartRestoreJobCommand, 1);
    expect(mocks.backup).toHaveReceivedCommandWith(StartRestoreJobCommand, {
      RecoveryPointArn: IDS.recoveryPointArn,
      Metadata: plan.metadata,
      IamRoleArn: IDS.restoreRoleArn,
      ResourceType: 'EC2',
      IdempotencyToken: restoreIdempotencyToken(IDS.executionArn, IDS.recoveryPointArn),
    });
  });

  it('reads nothing more from the recovery point when the plan withheld nothing', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });

    await startRestoreJob(stateAfter('plan'), deps());

    expect(mocks.backup).toHaveReceivedCommandTimes(GetRecoveryPointRestoreMetadataCommand, 0);
  });

  describe('user data, which never enters the state', () => {
    const USER_DATA = Buffer.from('#!/bin/sh\nexport API_TOKEN=user-data-leak-marker\n').toString('base64');

    function withUserData(): WorkflowState {
      const state = stateAfter('plan');
      const { plan } = requireSlices(state, 'plan');
      return { ...state, plan: { ...plan, redactedMetadata: { UserData: redactedValue(USER_DATA) } } };
    }

    function pointHolds(userData: string | undefined): void {
      mocks.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({
        RestoreMetadata: {
          InstanceType: 't3.micro',
          ...(userData === undefined ? {} : { UserData: userData }),
        },
      });
    }

    it('sends the user data it reads from the recovery point, with the planned metadata, and logs none', async () => {
      pointHolds(USER_DATA);
      mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });
      const state = withUserData();
      const { plan } = requireSlices(state, 'plan');
      const { logger, lines } = captureLogger();

      const job = await startRestoreJob(state, deps({ logger }));

      expect(mocks.backup).toHaveReceivedCommandWith(GetRecoveryPointRestoreMetadataCommand, {
        BackupVaultName: IDS.vault,
        RecoveryPointArn: IDS.recoveryPointArn,
      });
      expect(mocks.backup).toHaveReceivedCommandWith(StartRestoreJobCommand, {
        Metadata: { ...plan.metadata, UserData: USER_DATA },
        IdempotencyToken: restoreIdempotencyToken(IDS.executionArn, IDS.recoveryPointArn),
      });
      expect(lines.length).toBeGreaterThan(0);
      for (const text of [JSON.stringify(job), lines.join('\n')]) {
        expect(text).not.toContain(USER_DATA);
        expect(text).not.toContain('user-data-leak-marker');
      }
    });

    it.each([
      ['changed', Buffer.from('#!/bin/sh\necho other\n').toString('base64')],
      ['gone', undefined],
    ])('starts nothing when the user data on the recovery point is %s since the plan', async (_how, now) => {
      pointHolds(now);
      mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });

      const error = await startRestoreJob(withUserData(), deps()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RestoreJobFailedError);
      expect((error as Error).message).toMatch(
        /no longer matches the plan: UserData .*No restore job was started/,
      );
      expect(mocks.backup).toHaveReceivedCommandTimes(StartRestoreJobCommand, 0);
    });

    it('cuts the user data out of an AWS error message it quotes', async () => {
      pointHolds(USER_DATA);
      const decoded = Buffer.from(USER_DATA, 'base64').toString('utf8');
      mocks.backup
        .on(StartRestoreJobCommand)
        .rejects(
          awsError('InvalidParameterValueException', `Invalid UserData ${USER_DATA} (decoded: ${decoded})`),
        );

      const error = await startRestoreJob(withUserData(), deps()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RestoreJobFailedError);
      const message = (error as Error).message;
      expect(message).toContain('<UserData redacted>');
      expect(message).not.toContain(USER_DATA);
      expect(message).not.toContain('user-data-leak-marker');
      expect(message).toContain('UserData'); // the key names the metadata that was sent
    });
  });

  it('does not ask AWS Backup to copy the source tags onto the restored instance', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });

    await startRestoreJob(stateAfter('plan'), deps());

    const input = mocks.backup.commandCalls(StartRestoreJobCommand)[0]?.args[0].input;
    expect(input).toBeDefined();
    expect(input).not.toHaveProperty('CopySourceTagsToRestoredResource');
  });

  it('returns a fresh PENDING slice with the deadline from restoreTimeoutMinutes and the initial wait', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });
    const state = stateAfter('plan', {
      request: { instanceId: IDS.sourceInstance, restoreTimeoutMinutes: 90 },
    });

    const job = await startRestoreJob(state, deps({ initialWaitSeconds: 45 }));

    expect(job).toEqual({
      id: IDS.restoreJobId,
      status: 'PENDING',
      statusMessage: null,
      percentDone: null,
      expectedCompletionTimeMinutes: null,
      createdInstanceId: null,
      startedAt: STARTED.toISOString(),
      deadline: at(5 + 90 * 60).toISOString(),
      polls: 0,
      completedAt: null,
      done: false,
      nextWaitSeconds: 45,
    });
  });

  it('derives the same UUID-shaped token for the same execution and recovery point, and another for another point', () => {
    const first = restoreIdempotencyToken(IDS.executionArn, IDS.recoveryPointArn);
    const again = restoreIdempotencyToken(IDS.executionArn, IDS.recoveryPointArn);
    const olderPoint = restoreIdempotencyToken(IDS.executionArn, IDS.olderRecoveryPointArn);
    const otherExecution = restoreIdempotencyToken(`${IDS.executionArn}-2`, IDS.recoveryPointArn);

    expect(again).toBe(first);
    // Pinned: a changed derivation would let a redrive across a deployment start a second job.
    expect(first).toBe('13bb12ea-12b2-842e-b03b-0c3481482835');
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set([first, olderPoint, otherExecution]).size).toBe(3);
  });

  it('sends the same token when the step runs again for the same execution', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });

    await startRestoreJob(stateAfter('plan'), deps());
    await startRestoreJob(stateAfter('plan'), deps({ now: () => at(65) }));

    const tokens = mocks.backup
      .commandCalls(StartRestoreJobCommand)
      .map((c) => c.args[0].input.IdempotencyToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]);
  });

  it('returns the tracked slice unchanged when AWS Backup answers with the job it already started', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });
    const tracked = {
      ...requireSlices(stateAfter('restore'), 'restoreJob').restoreJob,
      status: 'RUNNING',
      percentDone: 40,
      polls: 3,
      done: false,
      completedAt: null,
      nextWaitSeconds: 120,
    };
    const state = { ...stateAfter('plan'), restoreJob: tracked };

    const job = await startRestoreJob(state, deps({ now: () => at(900) }));

    expect(job).toBe(tracked);
  });

  it('starts tracking anew when AWS Backup returns a different job than the one in the state', async () => {
    mocks.backup
      .on(StartRestoreJobCommand)
      .resolves({ RestoreJobId: 'FFFFFFFF-0000-1111-2222-333333333333' });
    const state = stateAfter('restore');

    const job = await startRestoreJob(state, deps());

    expect(job).toMatchObject({ id: 'FFFFFFFF-0000-1111-2222-333333333333', status: 'PENDING', polls: 0 });
  });

  it.each([
    ['InvalidParameterValueException', 'Invalid value for parameter Metadata.Placement', /restore metadata/],
    [
      'InvalidRequestException',
      'Recovery point is EXPIRED and cannot be restored',
      /COMPLETED and restorable/,
    ],
  ])(
    'turns %s from StartRestoreJob into a RestoreJobFailedError that quotes AWS and says what to check',
    async (code, message, hint) => {
      const rejection = awsError(code, message);
      mocks.backup.on(StartRestoreJobCommand).rejects(rejection);

      const error = await startRestoreJob(stateAfter('plan'), deps()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RestoreJobFailedError);
      expect((error as RestoreJobFailedError).cause).toBe(rejection);
      expect((error as RestoreJobFailedError).message).toContain(`${code}: "${message}"`);
      expect((error as RestoreJobFailedError).message).toMatch(hint);
      expect((error as RestoreJobFailedError).message).toContain(IDS.recoveryPointArn);
    },
  );

  it('rethrows throttling unchanged so the state machine retries the step', async () => {
    mocks.backup.on(StartRestoreJobCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    const failure = startRestoreJob(stateAfter('plan'), deps());

    await expect(failure).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('fails with RestoreJobFailedError when AWS Backup returns no job id', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({});

    const failure = startRestoreJob(stateAfter('plan'), deps());

    await expect(failure).rejects.toBeInstanceOf(RestoreJobFailedError);
  });

  it('runs through the Lambda handler with the restore role from RESTORE_ROLE_ARN', async () => {
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: IDS.restoreJobId });
    const handler = createHandler(step, {
      env: { RESTORE_ROLE_ARN: IDS.restoreRoleArn },
      clients,
      now: () => STARTED,
      logger: captureLogger().logger,
    });

    const job = await handler(stateAfter('plan'));

    expect(job).toMatchObject({ id: IDS.restoreJobId, nextWaitSeconds: 60 });
    expect(mocks.backup).toHaveReceivedCommandWith(StartRestoreJobCommand, {
      IamRoleArn: IDS.restoreRoleArn,
    });
  });
});
