import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorNames, PreflightError, SshAuthenticationError } from '@shared/errors';
import { States, TaskFunctions } from '@shared/state-names';
import { renderRestoreInstanceAsl } from '@state-machines/render';
import { committedRestoreInstanceAsl } from '@state-machines/rendered-asl';
import { happyStubs, runLocally, type TaskStub } from '@test/helpers/local-engine';
import aslValidator from 'asl-validator';

const asl = renderRestoreInstanceAsl();
const committedPath = join(__dirname, '../../../state-machines/restore-instance/restore-instance.asl.json');

function throwing(error: Error): TaskStub {
  return () => {
    throw error;
  };
}

describe('restore-instance state machine', () => {
  it('renders ASL that asl-validator accepts', () => {
    const result = aslValidator(structuredClone(asl));

    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('matches the committed restore-instance.asl.json (run `npm run render-asl` after changing the construct)', () => {
    const committed = JSON.parse(readFileSync(committedPath, 'utf8'));

    expect(committed).toEqual(asl);
  });

  it('gives the emulator, from the committed file, exactly what a render for its Region and account gives', () => {
    const target = { region: 'eu-west-3', accountId: '210987654321' };

    expect(committedRestoreInstanceAsl(target)).toEqual(renderRestoreInstanceAsl(target));
  });

  it('gives every Task jittered retries for transient errors and a Catch that records the failed step', () => {
    const taskNames = Object.keys(asl.States).filter((name) => asl.States[name]?.Type === 'Task');

    expect(taskNames.sort()).toEqual(Object.keys(TaskFunctions).sort());
    for (const name of taskNames) {
      const state = asl.States[name] as {
        Retry: { ErrorEquals: string[]; JitterStrategy: string }[];
        Catch: { ErrorEquals: string[]; Next: string }[];
      };
      expect(state.Retry[0]?.ErrorEquals).toContain(ErrorNames.TransientAws);
      expect(state.Retry[0]?.JitterStrategy).toBe('FULL');
      expect(state.Catch[0]?.ErrorEquals).toEqual(['States.ALL']);
      const expectedNext =
        name === States.HandleFailure ? States.FailWithCleanupError : `Record${name}Failure`;
      expect(state.Catch[0]?.Next).toBe(expectedNext);
    }
  });

  it('has a backstop timeout longer than the longest restore deadline', () => {
    expect(asl.TimeoutSeconds).toBeGreaterThan(24 * 3600);
  });

  it('runs the happy path through every step, looping on the waits, and outputs the report', async () => {
    const run = await runLocally(asl, { instanceId: 'i-0123456789abcdef0' }, happyStubs());

    expect(run.error).toBeNull();
    expect(run.output).toEqual({ status: 'RESTORED' });
    expect(run.visited).toEqual([
      'InitialiseState',
      'ValidateInput',
      'SelectRecoveryPoint',
      'ResolveSource',
      'PlanRestore',
      'IsDryRun',
      'StartRestoreJob',
      'WaitForRestoreJob',
      'PollRestoreJob',
      'IsRestoreJobDone',
      'WaitForRestoreJob',
      'PollRestoreJob',
      'IsRestoreJobDone',
      'WaitForInstance',
      'IsInstanceRunning',
      'WaitBeforeInstanceCheck',
      'WaitForInstance',
      'IsInstanceRunning',
      'TagResources',
      'EnsurePublicAddress',
      // The profile is still associating when its call returns, so SSH is checked meanwhile…
      'ReattachInstanceProfile',
      'CheckSsh',
      'IsSshDone',
      'WaitBeforeSshRetry',
      'CheckSsh',
      'IsSshDone',
      // …and once SSH is proven, the profile is looked at again (CheckSsh returns its done check).
      'WaitForProfileAssociation',
      'ReattachInstanceProfile',
      'CheckSsh',
      'IsSshDone',
      'Report',
    ]);
  });

  it('goes from a proven SSH check with the profile associated straight to Report: no Choice of its own for either', async () => {
    const stubs = {
      ...happyStubs(),
      [States.ReattachInstanceProfile]: () => ({ done: true, nextWaitSeconds: 0 }),
      [States.CheckSsh]: () => ({ done: true, nextWaitSeconds: 0 }),
    };

    const run = await runLocally(asl, { instanceId: 'i-0123456789abcdef0' }, stubs);

    expect(run.visited.slice(run.visited.indexOf(States.TagResources))).toEqual([
      'TagResources',
      'EnsurePublicAddress',
      'ReattachInstanceProfile',
      'CheckSsh',
      'IsSshDone',
      'Report',
    ]);
  });

  it('names ReattachInstanceProfile as the failed step when the profile fails while being confirmed after SSH', async () => {
    let failedStep: string | undefined;
    let profileCalls = 0;
    const stubs = {
      ...happyStubs(),
      [States.ReattachInstanceProfile]: () => {
        profileCalls += 1;
        if (profileCalls === 1) return { done: false, nextWaitSeconds: 2 };
        throw new Error('InstanceProfileError: not associated within 300s');
      },
      [States.HandleFailure]: (input: unknown) => {
        failedStep = (input as { failedStep?: string }).failedStep;
        return { error: 'InstanceProfileError', cause: 'ReattachInstanceProfile failed' };
      },
    };

    const run = await runLocally(asl, { instanceId: 'i-0123456789abcdef0' }, stubs);

    expect(failedStep).toBe(States.ReattachInstanceProfile);
    expect(run.visited.slice(-6)).toEqual([
      'IsSshDone',
      'WaitForProfileAssociation',
      'ReattachInstanceProfile',
      'RecordReattachInstanceProfileFailure',
      'HandleFailure',
      'FailExecution',
    ]);
    expect(run.error?.Error).toBe('InstanceProfileError');
  });

  it('cleans up before reporting in test mode', async () => {
    const run = await runLocally(asl, {}, happyStubs('test'));

    expect(run.output).toEqual({ status: 'VALIDATED_AND_CLEANED_UP' });
    expect(run.visited.slice(-3)).toEqual(['IsSshDone', 'CleanUp', 'Report']);
  });

  it('stops after planning on a dry run without starting a restore job', async () => {
    const run = await runLocally(asl, {}, happyStubs('recovery', true));

    expect(run.visited).toEqual([
      'InitialiseState',
      'ValidateInput',
      'SelectRecoveryPoint',
      'ResolveSource',
      'PlanRestore',
      'IsDryRun',
      'Report',
    ]);
  });

  it('routes a step failure through HandleFailure and fails with the error and cause it returns', async () => {
    let failureInput: { failedStep?: string; error?: { Error: string } } = {};
    const stubs = {
      ...happyStubs(),
      [States.PlanRestore]: throwing(new PreflightError(['subnet subnet-0aaaaaaaaaaaaaaaa does not exist'])),
      [States.HandleFailure]: (input: unknown) => {
        failureInput = input as typeof failureInput;
        return {
          error: 'PreflightError',
          cause: 'PlanRestore failed: subnet subnet-0aaaaaaaaaaaaaaaa does not exist',
        };
      },
    };

    const run = await runLocally(asl, {}, stubs);

    expect(run.visited.slice(-4)).toEqual([
      'PlanRestore',
      'RecordPlanRestoreFailure',
      'HandleFailure',
      'FailExecution',
    ]);
    expect(failureInput.failedStep).toBe('PlanRestore');
    expect(failureInput.error?.Error).toBe('PreflightError');
    expect(run.error).toEqual({
      Error: 'PreflightError',
      Cause: 'PlanRestore failed: subnet subnet-0aaaaaaaaaaaaaaaa does not exist',
    });
  });

  it('fails with CleanupError when the failure handler itself crashes', async () => {
    const stubs = {
      ...happyStubs('test'),
      [States.CheckSsh]: throwing(new SshAuthenticationError('key rejected')),
      [States.HandleFailure]: throwing(new TypeError('bug')),
    };

    const run = await runLocally(asl, {}, stubs);

    expect(run.visited.slice(-3)).toEqual(['RecordCheckSshFailure', 'HandleFailure', 'FailWithCleanupError']);
    expect(run.error?.Error).toBe(ErrorNames.Cleanup);
  });

  it('retries a transient AWS error and carries on', async () => {
    let calls = 0;
    const stubs = {
      ...happyStubs(),
      [States.SelectRecoveryPoint]: () => {
        calls += 1;
        if (calls < 3) {
          const error = new Error('Rate exceeded');
          error.name = ErrorNames.TransientAws;
          throw error;
        }
        return { recoveryPoint: { arn: 'rp' } };
      },
    };

    const run = await runLocally(asl, {}, stubs);

    expect(calls).toBe(3);
    expect(run.output).toEqual({ status: 'RESTORED' });
  });
});
