import { PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import {
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  ReleaseAddressCommand,
  type Tag,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  ERROR_BY_FAILED_STEP,
  extractCause,
  handleFailure,
  MAX_CAUSE_LENGTH,
} from '@lambdas/handle-failure/handle-failure';
import { step } from '@lambdas/handle-failure/handler';
import { CONTRACT_ERROR_NAMES, ErrorNames } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { States, TaskFunctions } from '@shared/state-names';
import { BACKUP_SOURCE_TAG, TagKeys } from '@shared/tags';
import type { WorkflowState } from '@shared/workflow-state';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, initialState, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();

const deps = () => {
  const { logger, lines } = captureLogger();
  return { lines, deps: { ec2: clients.ec2, now: () => at(1400), logger } };
};

/** What Step Functions puts in Cause when a Lambda function throws. */
function lambdaCause(
  errorType: string,
  errorMessage: string,
  traceKey: 'trace' | 'stackTrace' = 'trace',
): string {
  return JSON.stringify({
    errorType,
    errorMessage,
    [traceKey]: [`${errorType}: ${errorMessage}`, '    at run (/var/task/index.js:1:2)'],
  });
}

function failed(state: WorkflowState, failedStep: string, errorName: string, cause?: string): WorkflowState {
  return {
    ...state,
    failedStep,
    error: { Error: errorName, ...(cause !== undefined ? { Cause: cause } : {}) },
  };
}

const testMode = (through: Parameters<typeof stateAfter>[0]) =>
  stateAfter(through, { request: { instanceId: IDS.sourceInstance, mode: 'test' } });

/** EC2 shows the restore job's instance with these tags (by default: this test execution's). */
function instanceTagged(tags: Tag[]) {
  mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  mocks.ec2.on(DescribeInstancesCommand, { InstanceIds: [IDS.restoredInstance] }).resolves({
    Reservations: [
      { Instances: [{ InstanceId: IDS.restoredInstance, State: { Code: 16, Name: 'running' }, Tags: tags }] },
    ],
  });
}
const ours = (mode: string): Tag[] => [
  { Key: TagKeys.Execution, Value: IDS.executionArn },
  { Key: TagKeys.Mode, Value: mode },
];
const JUST_RESTORED: Tag[] = [
  { Key: BACKUP_SOURCE_TAG, Value: `${IDS.sourceInstance}:ami-0aaaaaaaaaaaaaaaa` },
];

function cleanupWorld() {
  mocks.ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: IDS.allocationId }] });
  instanceTagged(ours('test'));
  mocks.ec2.on(ReleaseAddressCommand).resolves({});
  mocks.ec2.on(TerminateInstancesCommand).resolves({});
}

describe('handle-failure: naming the error', () => {
  it('maps every Task state of restore-instance except itself', () => {
    const taskStates = Object.keys(TaskFunctions).filter((name) => name !== States.HandleFailure);

    expect(Object.keys(ERROR_BY_FAILED_STEP).sort()).toEqual(taskStates.sort());
  });

  it.each(Object.entries(ERROR_BY_FAILED_STEP))(
    'maps a non-contract error in %s to %s and keeps the original error name in the cause',
    async (failedStep, expected) => {
      const state = failed(
        initialState(),
        failedStep,
        'UnauthorizedOperation',
        lambdaCause('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
      );

      const failure = await handleFailure(state, deps().deps);

      expect(failure.error).toBe(expected);
      expect(CONTRACT_ERROR_NAMES).toContain(failure.error);
      expect(failure.cause).toBe(
        `${failedStep} failed: UnauthorizedOperation: You are not authorized to perform this operation.`,
      );
    },
  );

  it('keeps a contract error as it is and takes the message out of the Lambda cause, without the stack trace', async () => {
    const message =
      '1 pre-flight check(s) failed; nothing was created:\n- subnet subnet-0aaaaaaaaaaaaaaaa does not exist';
    const state = failed(
      initialState(),
      'PlanRestore',
      ErrorNames.Preflight,
      lambdaCause(ErrorNames.Preflight, message),
    );

    const failure = await handleFailure(state, deps().deps);

    expect(failure).toEqual({
      error: ErrorNames.Preflight,
      cause: `PlanRestore failed: ${message}`,
      failedStep: 'PlanRestore',
      cleanup: null,
    });
  });

  it('keeps a contract error raised in another step’s phase (SshAuthenticationError from CheckSsh)', async () => {
    const state = failed(
      initialState(),
      'CheckSsh',
      ErrorNames.SshAuthentication,
      lambdaCause(ErrorNames.SshAuthentication, 'key rejected'),
    );

    const failure = await handleFailure(state, deps().deps);

    expect(failure.error).toBe(ErrorNames.SshAuthentication);
  });

  it('reads a Lambda cause that carries stackTrace instead of trace', () => {
    expect(extractCause(lambdaCause('TypeError', 'x is undefined', 'stackTrace'))).toEqual({
      type: 'TypeError',
      message: 'x is undefined',
    });
  });

  it('passes a cause that is not JSON through as it is', () => {
    expect(extractCause('{not json: the task was cancelled')).toEqual({
      type: null,
      message: '{not json: the task was cancelled',
    });
  });

  it('explains a States.Timeout that comes without a cause', async () => {
    const state = failed(initialState(), 'PollRestoreJob', 'States.Timeout');

    const failure = await handleFailure(state, deps().deps);

    expect(failure).toMatchObject({
      error: ErrorNames.RestoreJobFailed,
      cause: 'PollRestoreJob failed: States.Timeout: the step did not finish within its timeout',
    });
  });

  it('names the Lambda error type when the state’s error is a generic one', async () => {
    const state = failed(
      initialState(),
      'WaitForInstance',
      'Lambda.Unknown',
      lambdaCause('Runtime.ExitError', 'exited'),
    );

    const failure = await handleFailure(state, deps().deps);

    expect(failure.cause).toBe('WaitForInstance failed: Lambda.Unknown (Runtime.ExitError): exited');
  });

  it('falls back to CleanupError for a step the table does not know', async () => {
    const state = failed(initialState(), 'SomeNewStep', 'Error', 'boom');

    const failure = await handleFailure(state, deps().deps);

    expect(failure.error).toBe(ErrorNames.Cleanup);
  });

  it('keeps the cause within the limit', async () => {
    const state = failed(initialState(), 'CheckSsh', 'Error', lambdaCause('Error', 'x'.repeat(10_000)));

    const failure = await handleFailure(state, deps().deps);

    expect(failure.cause.length).toBeLessThanOrEqual(MAX_CAUSE_LENGTH);
    expect(failure.cause.startsWith('CheckSsh failed: Error: xxx')).toBe(true);
  });

  it('makes no AWS call when the request never validated', async () => {
    const state = failed(
      initialState({ instanceId: 'nope' }),
      'ValidateInput',
      ErrorNames.InvalidInput,
      'bad',
    );

    const failure = await handleFailure(state, deps().deps);

    expect(failure.error).toBe(ErrorNames.InvalidInput);
    expect(mocks.ec2.calls()).toHaveLength(0);
  });
});

describe('handle-failure: test mode', () => {
  it('cleans up what the execution created and says so in the cause', async () => {
    cleanupWorld();
    const state = failed(
      testMode('address'),
      'CheckSsh',
      ErrorNames.SshUnreachable,
      lambdaCause(ErrorNames.SshUnreachable, 'no answer'),
    );

    const failure = await handleFailure(state, deps().deps);

    expect(failure.error).toBe(ErrorNames.SshUnreachable);
    expect(failure.cleanup).toMatchObject({
      terminatedInstanceIds: [IDS.restoredInstance],
      releasedAllocationIds: [IDS.allocationId],
    });
    expect(failure.cause).toBe(
      `CheckSsh failed: no answer; test mode: removed ${IDS.restoredInstance}, ${IDS.allocationId}`,
    );
    expect(mocks.ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, {
      InstanceIds: [IDS.restoredInstance],
    });
  });

  it('keeps the original error, with cleanup null, and appends what remains when cleanup fails too', async () => {
    cleanupWorld();
    mocks.ec2.on(TerminateInstancesCommand).rejects(awsError('UnauthorizedOperation', 'not allowed'));
    const state = failed(
      testMode('address'),
      'CheckSsh',
      ErrorNames.SshUnreachable,
      lambdaCause(ErrorNames.SshUnreachable, 'no answer'),
    );

    const failure = await handleFailure(state, deps().deps);

    expect(failure.error).toBe(ErrorNames.SshUnreachable);
    expect(failure.cleanup).toBeNull();
    expect(failure.cause).toMatch(
      new RegExp(
        `^CheckSsh failed: no answer; cleanup also failed: Cleanup did not finish\\. Still present: ${IDS.restoredInstance}\\.`,
      ),
    );
    expect(failure.cause.length).toBeLessThanOrEqual(MAX_CAUSE_LENGTH);
  });

  it('keeps the cleanup note whole when the failure message is long', async () => {
    cleanupWorld();
    mocks.ec2.on(TerminateInstancesCommand).rejects(awsError('UnauthorizedOperation', 'not allowed'));
    const state = failed(testMode('address'), 'CheckSsh', 'Error', lambdaCause('Error', 'y'.repeat(5000)));

    const failure = await handleFailure(state, deps().deps);

    expect(failure.cause.length).toBeLessThanOrEqual(MAX_CAUSE_LENGTH);
    expect(failure.cause).toContain(
      `; cleanup also failed: Cleanup did not finish. Still present: ${IDS.restoredInstance}.`,
    );
  });

  it('does not look for anything to clean up when the failure came before the restore job', async () => {
    const state = failed(testMode('resolve'), 'PlanRestore', ErrorNames.Preflight, 'no subnet');

    const failure = await handleFailure(state, deps().deps);

    expect(failure.cleanup).toBeNull();
    expect(mocks.ec2.calls()).toHaveLength(0);
  });

  it('still looks for tagged resources when StartRestoreJob itself failed', async () => {
    cleanupWorld();
    const state = failed(testMode('plan'), 'StartRestoreJob', 'InvalidRequestException', 'token reused');

    const failure = await handleFailure(state, deps().deps);

    expect(failure.error).toBe(ErrorNames.RestoreJobFailed);
    expect(mocks.ec2).toHaveReceivedCommand(DescribeInstancesCommand);
    expect(failure.cleanup).not.toBeNull();
  });
});

describe('handle-failure: recovery mode', () => {
  it('keeps the restored instance and tags it with the failed step', async () => {
    instanceTagged(ours('recovery'));
    mocks.ec2.on(CreateTagsCommand).resolves({});
    const state = failed(stateAfter('address'), 'CheckSsh', ErrorNames.SshUnreachable, 'no answer');

    const failure = await handleFailure(state, deps().deps);

    expect(mocks.ec2).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [IDS.restoredInstance],
      Tags: [{ Key: TagKeys.FailedStep, Value: 'CheckSsh' }],
    });
    expect(failure.cause).toBe(
      `CheckSsh failed: no answer; the restored instance ${IDS.restoredInstance} was kept and tagged ${TagKeys.FailedStep}=CheckSsh`,
    );
    expect(mocks.ec2).not.toHaveReceivedCommand(TerminateInstancesCommand);
  });

  it('claims the restore job’s instance as this recovery, with the failed step, when the run failed before TagResources', async () => {
    instanceTagged(JUST_RESTORED);
    mocks.ec2.on(CreateTagsCommand).resolves({});
    const state = failed(
      stateAfter('restore'),
      'WaitForInstance',
      ErrorNames.InstanceNotRunning,
      'terminated',
    );

    const failure = await handleFailure(state, deps().deps);

    expect(mocks.ec2).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [IDS.restoredInstance],
      Tags: [
        { Key: TagKeys.Execution, Value: IDS.executionArn },
        { Key: TagKeys.Mode, Value: 'recovery' },
        { Key: TagKeys.FailedStep, Value: 'WaitForInstance' },
      ],
    });
    expect(failure.cause).toContain(`was kept and tagged ${TagKeys.FailedStep}=WaitForInstance`);
    expect(mocks.ec2).not.toHaveReceivedCommand(TerminateInstancesCommand);
  });

  it.each([
    ['a test-mode restore', ours('test')],
    [
      'another execution’s',
      [
        { Key: TagKeys.Execution, Value: `${IDS.executionArn}-other` },
        { Key: TagKeys.Mode, Value: 'recovery' },
      ],
    ],
  ])('does not tag the instance when its tags say it is %s', async (_what, tags) => {
    instanceTagged(tags);
    mocks.ec2.on(CreateTagsCommand).resolves({});
    const state = failed(stateAfter('address'), 'CheckSsh', ErrorNames.SshUnreachable, 'no answer');

    const failure = await handleFailure(state, deps().deps);

    expect(mocks.ec2).not.toHaveReceivedCommand(CreateTagsCommand);
    expect(failure.cause).toBe(
      `CheckSsh failed: no answer; the restored instance ${IDS.restoredInstance} was kept`,
    );
  });

  it('logs a tagging failure and still returns the failure', async () => {
    instanceTagged(ours('recovery'));
    mocks.ec2.on(CreateTagsCommand).rejects(awsError('UnauthorizedOperation', 'not allowed'));
    const state = failed(stateAfter('address'), 'CheckSsh', ErrorNames.SshUnreachable, 'no answer');
    const { deps: failureDeps, lines } = deps();

    const failure = await handleFailure(state, failureDeps);

    expect(failure.cause).toBe(
      `CheckSsh failed: no answer; the restored instance ${IDS.restoredInstance} was kept`,
    );
    expect(lines.join('\n')).toContain('could not tag the restored instance');
  });

  it('runs through the Lambda handler', async () => {
    const handler = createHandler(step, {
      env: {},
      clients,
      now: () => at(1400),
      logger: captureLogger().logger,
    });

    const failure = await handler(
      failed(initialState(), 'ValidateInput', ErrorNames.InvalidInput, 'bad input'),
    );

    expect(failure).toMatchObject({
      error: ErrorNames.InvalidInput,
      cause: 'ValidateInput failed: bad input',
    });
  });
});

describe('handle-failure: the validation verdict of a failed check (issue 12)', () => {
  const checkFailed = (mode: 'test' | 'recovery') =>
    failed(
      stateAfter('address', { request: { instanceId: IDS.sourceInstance, mode } }),
      'CheckSsh',
      ErrorNames.ValidationCheck,
      lambdaCause(
        ErrorNames.ValidationCheck,
        'ssh.commands[0] "exit 3" exited with code 3 on i-0fedcba9876543210',
      ),
    );

  it('reports FAILED to AWS Backup in test mode, naming the command', async () => {
    cleanupWorld();
    mocks.backup.on(PutRestoreValidationResultCommand).resolves({});

    const failure = await handleFailure(checkFailed('test'), { ...deps().deps, backup: clients.backup });

    expect(mocks.backup).toHaveReceivedCommandWith(PutRestoreValidationResultCommand, {
      RestoreJobId: IDS.restoreJobId,
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: expect.stringContaining('ssh.commands[0] "exit 3" exited with code 3'),
    });
    expect(failure.error).toBe(ErrorNames.ValidationCheck);
    expect(failure.cause).toContain('reported FAILED to AWS Backup');
  });

  it('reports nothing in recovery mode', async () => {
    mocks.ec2.on(CreateTagsCommand).resolves({});

    await handleFailure(checkFailed('recovery'), { ...deps().deps, backup: clients.backup });

    expect(mocks.backup.commandCalls(PutRestoreValidationResultCommand)).toHaveLength(0);
  });
});
