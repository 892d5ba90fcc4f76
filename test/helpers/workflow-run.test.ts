/**
 * The workflow harness's deadline: a run that does not close in time fails with the execution's
 * history (event types, the states entered, the errors), not with a bare jest timeout.
 */
import { type Harness, startHarness } from './workflow-run';

let harness: Harness;
afterEach(() => harness.stop());

it('fails a run that does not close by its deadline with the history of where it hangs', async () => {
  harness = await startHarness({}, { deadlineMs: 500 });
  const { sfn, region, accountId } = harness.emulator;
  // A Lambda that does not exist fails at once; the retry then waits a simulated day.
  const { stateMachineArn } = sfn.createStateMachine({
    name: 'hangs-in-a-retry',
    roleArn: `arn:aws:iam::${accountId}:role/ec2-restore-state-machine`,
    definition: JSON.stringify({
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Next: 'CallMissingFunction' },
        CallMissingFunction: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: {
            FunctionName: `arn:aws:lambda:${region}:${accountId}:function:no-such-function`,
            'Payload.$': '$',
          },
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 86_400, MaxAttempts: 3 }],
          End: true,
        },
      },
    }),
  });

  const failure = await harness.runOn(stateMachineArn, {}, 'never-closes').catch((error: unknown) => error);

  expect(failure).toBeInstanceOf(Error);
  const message = (failure as Error).message;
  expect(message).toContain(
    `Execution ${stateMachineArn.replace(':stateMachine:', ':execution:')}:never-closes`,
  );
  expect(message).toContain('did not close within 500 ms (still RUNNING)');
  expect(message).toMatch(/^ +1 ExecutionStarted/m);
  expect(message).toMatch(/ PassStateEntered Prepare$/m);
  expect(message).toMatch(/ PassStateExited Prepare$/m);
  expect(message).toMatch(/ TaskStateEntered CallMissingFunction$/m);
  expect(message).toMatch(
    / (TaskFailed|LambdaFunctionFailed) Lambda\.ResourceNotFoundException: Function not found/m,
  );
});
