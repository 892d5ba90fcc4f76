/**
 * The Step Functions emulator on the wire: the unmodified SDK v3 client and the AWS CLI against
 * the front door, running small inline state machines and the real restore-instance ASL in
 * aws-local-stepfunctions on the simulated clock (speed 600: a simulated minute is 0.1 s).
 */
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  paginateGetExecutionHistory,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { AwsError } from '@local/aws-error';
import { SfnAdapter } from '@local/services/sfn';
import { type CallAwsSdk, StepFunctionsEmulator } from '@local/sfn/step-functions';
import { States, TaskFunctions } from '@shared/state-names';
import { renderRestoreInstanceAsl } from '@state-machines/render';
import { functionArn } from '@state-machines/rendered-asl';
import { awsCli } from '@test/helpers/aws-cli';
import { awsFailure } from '@test/helpers/failure';
import { clientConfig, type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { happyStubs } from '@test/helpers/local-engine';
import { PollTimeoutError, pollUntil } from '@test/helpers/poll-until';

const SIM_START = '2026-11-28T10:00:00.000Z';
const ROLE = 'arn:aws:iam::123456789012:role/sfn-test';
const lambdaArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

type Stub = (input: unknown) => unknown;

let door: FrontDoor;
let sfn: SFNClient;
let emulator: StepFunctionsEmulator;
/** Lambda handlers by function ARN; each test registers its own. */
const lambdas = new Map<string, Stub>();
let awsSdk: CallAwsSdk = async () => ({});

beforeAll(async () => {
  door = await startFrontDoor(
    { clock: { speed: 600, start: SIM_START }, iam: { roles: [{ name: 'ec2-restore-restore-role' }] } },
    (world) => {
      emulator = new StepFunctionsEmulator({
        clock: world.clock,
        region: world.region,
        accountId: world.accountId,
        runTask: (arn, input) => {
          const stub = lambdas.get(arn);
          return stub ? Promise.resolve().then(() => stub(input)) : undefined;
        },
        callAwsSdk: (service, action, params) => awsSdk(service, action, params),
      });
      return { sfn: new SfnAdapter(emulator) };
    },
  );
  sfn = new SFNClient(clientConfig(door.endpoint));
});
afterEach(() => {
  lambdas.clear();
  awsSdk = async () => ({});
});
afterAll(async () => {
  emulator.stopAll();
  sfn.destroy();
  await door.stop();
});

// ---- helpers -------------------------------------------------------------------------------------

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

let machineCount = 0;
async function createMachine(definition: object, name = `machine-${++machineCount}`): Promise<string> {
  const out = await sfn.send(
    new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE }),
  );
  return required(out.stateMachineArn, 'stateMachineArn');
}

async function start(stateMachineArn: string, input: unknown = {}, name?: string): Promise<string> {
  const out = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name && { name }) }),
  );
  return required(out.executionArn, 'executionArn');
}

async function fullHistory(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 1000 }, { executionArn })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

function formatHistory(events: readonly HistoryEvent[]): string {
  return events
    .map(({ id, type, timestamp, previousEventId, ...details }) => {
      return `${id} ${timestamp?.toISOString()} ${type} ${JSON.stringify(details)}`;
    })
    .join('\n');
}

interface Finished extends DescribeExecutionOutput {
  readonly events: HistoryEvent[];
}

/** DescribeExecution (over the wire) until the execution leaves RUNNING; fails with its history. */
async function finished(executionArn: string, expected?: string, deadlineMs = 15_000): Promise<Finished> {
  let described: DescribeExecutionOutput;
  try {
    described = await pollUntil(() => sfn.send(new DescribeExecutionCommand({ executionArn })), {
      describe: `execution ${executionArn} to close`,
      until: (d) => d.status !== 'RUNNING',
      deadlineMs,
    });
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    throw new Error(`${error.message}\n${formatHistory(await fullHistory(executionArn))}`);
  }
  const events = await fullHistory(executionArn);
  if (expected && described.status !== expected) {
    throw new Error(
      `expected ${expected}, got ${described.status} (${described.error}: ${described.cause})\n${formatHistory(events)}`,
    );
  }
  return { ...described, events };
}

/** The history, once it holds an event of `type`. */
function untilEvent(executionArn: string, type: string): Promise<HistoryEvent[]> {
  return pollUntil(() => fullHistory(executionArn), {
    describe: `a ${type} event in ${executionArn}`,
    until: (events) => events.some((e) => e.type === type),
  });
}

function ofType(events: readonly HistoryEvent[], type: string): HistoryEvent[] {
  return events.filter((e) => e.type === type);
}

function ms(event: { timestamp?: Date | undefined } | undefined): number {
  return required(event?.timestamp, 'event timestamp').getTime();
}

function outputOf(execution: { output?: string | undefined }): Record<string, unknown> {
  return JSON.parse(required(execution.output, 'output')) as Record<string, unknown>;
}

class PreflightError extends Error {
  override readonly name = 'PreflightError';
}

const PASS_MACHINE = {
  StartAt: 'Hello',
  States: { Hello: { Type: 'Pass', Result: { greeting: 'hello' }, ResultPath: '$.result', End: true } },
};

const waitMachine = (seconds: number) => ({
  StartAt: 'Pause',
  States: { Pause: { Type: 'Wait', Seconds: seconds, Next: 'Done' }, Done: { Type: 'Succeed' } },
});

// ---- state machines ------------------------------------------------------------------------------

describe('state machines', () => {
  it('creates, describes and lists a state machine, and returns the same ARN for an identical create', async () => {
    const definition = JSON.stringify(PASS_MACHINE);

    const created = await sfn.send(
      new CreateStateMachineCommand({ name: 'hello-world', definition, roleArn: ROLE, type: 'STANDARD' }),
    );
    const again = await sfn.send(
      new CreateStateMachineCommand({ name: 'hello-world', definition, roleArn: ROLE }),
    );
    const described = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
    );
    const listed = await sfn.send(new ListStateMachinesCommand({}));

    expect(created.stateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:hello-world');
    expect(created.creationDate?.toISOString().slice(0, 4)).toBe('2026');
    expect(again.stateMachineArn).toBe(created.stateMachineArn);
    expect(described).toMatchObject({
      name: 'hello-world',
      status: 'ACTIVE',
      definition,
      roleArn: ROLE,
      type: 'STANDARD',
      loggingConfiguration: { level: 'OFF' },
    });
    expect(listed.stateMachines?.map((s) => s.name)).toContain('hello-world');
  });

  it('refuses a different definition under an existing name with StateMachineAlreadyExists', async () => {
    await createMachine(PASS_MACHINE, 'taken-name');

    const error = await awsFailure(createMachine(waitMachine(1), 'taken-name'));

    expect(error.name).toBe('StateMachineAlreadyExists');
  });

  it("rejects a definition that is not JSON or that asl-validator rejects with InvalidDefinition and the validator's message", async () => {
    const notJson = await awsFailure(
      sfn.send(new CreateStateMachineCommand({ name: 'bad-json', definition: '{"StartAt":', roleArn: ROLE })),
    );
    const dangling = await awsFailure(
      createMachine({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }, 'bad-asl'),
    );

    expect(notJson.name).toBe('InvalidDefinition');
    expect(dangling.name).toBe('InvalidDefinition');
    expect(dangling.message).toContain('MISSING_TRANSITION_TARGET');
  });

  it('deletes a state machine', async () => {
    const arn = await createMachine(PASS_MACHINE);

    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    const error = await awsFailure(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })));

    expect(error.name).toBe('StateMachineDoesNotExist');
  });
});

// ---- executions ----------------------------------------------------------------------------------

describe('executions', () => {
  it('runs a Pass state and reports the output in DescribeExecution and an AWS-shaped history', async () => {
    const machine = await createMachine(PASS_MACHINE);

    const arn = await start(machine, { n: 1 }, 'first-run');
    const run = await finished(arn, 'SUCCEEDED');

    expect(arn).toBe(
      `arn:aws:states:us-east-1:123456789012:execution:${machine.split(':').at(-1)}:first-run`,
    );
    expect(outputOf(run)).toEqual({ n: 1, result: { greeting: 'hello' } });
    expect(run.input).toBe('{"n":1}');
    expect(required(run.stopDate, 'stopDate').getTime()).toBeGreaterThanOrEqual(
      ms({ timestamp: run.startDate }),
    );
    expect(run.events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 1, 'PassStateEntered'],
      [3, 2, 'PassStateExited'],
      [4, 3, 'ExecutionSucceeded'],
    ]);
    expect(run.events[0]?.executionStartedEventDetails).toMatchObject({ input: '{"n":1}', roleArn: ROLE });
    expect(run.events[1]?.stateEnteredEventDetails).toMatchObject({ name: 'Hello', input: '{"n":1}' });
    expect(JSON.parse(required(run.events[2]?.stateExitedEventDetails?.output, 'output'))).toEqual(
      outputOf(run),
    );
    expect(run.events[3]?.executionSucceededEventDetails?.output).toBe(run.output);
  });

  it('generates a UUID name when none is given and validates names, input and ARNs', async () => {
    const machine = await createMachine(PASS_MACHINE);

    const unnamed = await start(machine);
    const errors = await Promise.all([
      awsFailure(start(machine, {}, 'has space')),
      awsFailure(start(machine, {}, 'a/b')),
      awsFailure(start(machine, {}, 'x'.repeat(81))),
      awsFailure(sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: 'not json' }))),
      awsFailure(start(`${machine}-missing`)),
      awsFailure(sfn.send(new DescribeExecutionCommand({ executionArn: `${unnamed}-missing` }))),
      awsFailure(sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' }))),
    ]);

    expect(unnamed.split(':').at(-1)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(errors.map((e) => e.name)).toEqual([
      'InvalidName',
      'InvalidName',
      'InvalidName',
      'InvalidExecutionInput',
      'StateMachineDoesNotExist',
      'ExecutionDoesNotExist',
      'InvalidArn',
    ]);
  });

  it('answers the same name and input for a running execution with that execution, and different input with ExecutionAlreadyExists', async () => {
    const machine = await createMachine(waitMachine(3600));
    const input = JSON.stringify({ instanceId: 'i-1' });

    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine, name: 'nightly', input }),
    );
    const repeat = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine, name: 'nightly', input }),
    );
    const different = await awsFailure(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machine,
          name: 'nightly',
          input: '{"instanceId":"i-2"}',
        }),
      ),
    );
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    const afterClose = await awsFailure(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'nightly', input })),
    );

    expect(repeat.executionArn).toBe(first.executionArn);
    expect(repeat.startDate).toEqual(first.startDate);
    expect(different.name).toBe('ExecutionAlreadyExists');
    expect(afterClose.name).toBe('ExecutionAlreadyExists');
  });

  it('waits 60 simulated seconds in a Wait state, measured by the history timestamps', async () => {
    const machine = await createMachine(waitMachine(60));

    const run = await finished(await start(machine), 'SUCCEEDED');

    const entered = ofType(run.events, 'WaitStateEntered');
    const exited = ofType(run.events, 'WaitStateExited');
    expect(entered).toHaveLength(1);
    expect(exited).toHaveLength(1);
    expect(ms(exited[0]) - ms(entered[0])).toBeGreaterThanOrEqual(60_000);
    expect(ms({ timestamp: run.stopDate }) - ms({ timestamp: run.startDate })).toBeGreaterThanOrEqual(60_000);
    expect(run.events.some((e) => e.type === 'TaskStateEntered')).toBe(false);
  });

  it('gives $$.Execution.StartTime the simulated start time, and Id and Name the execution', async () => {
    const machine = await createMachine({
      StartAt: 'Stamp',
      States: {
        Stamp: {
          Type: 'Pass',
          Parameters: {
            'startTime.$': '$$.Execution.StartTime',
            'id.$': '$$.Execution.Id',
            'name.$': '$$.Execution.Name',
            'machine.$': '$$.StateMachine.Name',
          },
          End: true,
        },
      },
    });

    const arn = await start(machine, {}, 'stamped');
    const run = await finished(arn, 'SUCCEEDED');

    expect(outputOf(run)).toEqual({
      startTime: run.startDate?.toISOString(),
      id: arn,
      name: 'stamped',
      machine: machine.split(':').at(-1),
    });
    expect(run.startDate?.toISOString().slice(0, 10)).toBe('2026-11-28');
  });

  it('lists executions newest first, filtered by status, in pages', async () => {
    const machine = await createMachine(PASS_MACHINE);
    const arns: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      arns.push(await start(machine, {}, name));
      await finished(required(arns.at(-1), 'arn'), 'SUCCEEDED');
    }
    const running = await createMachine(waitMachine(3600));
    const longRun = await start(running);

    const page1 = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 2 }));
    const page2 = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 2, nextToken: page1.nextToken }),
    );
    const succeeded = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'SUCCEEDED' }),
    );
    const stillRunning = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: running, statusFilter: 'RUNNING' }),
    );
    await sfn.send(new StopExecutionCommand({ executionArn: longRun }));

    expect(page1.executions?.map((e) => e.name)).toEqual(['three', 'two']);
    expect(page2.executions?.map((e) => e.name)).toEqual(['one']);
    expect(page2.nextToken).toBeUndefined();
    expect(succeeded.executions).toHaveLength(3);
    expect(succeeded.executions?.[0]).toMatchObject({ stateMachineArn: machine, status: 'SUCCEEDED' });
    expect(stillRunning.executions?.map((e) => e.executionArn)).toEqual([longRun]);
  });

  it('pages GetExecutionHistory with nextToken, in either order, with or without execution data', async () => {
    const machine = await createMachine({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'B' },
        B: { Type: 'Pass', Next: 'C' },
        C: { Type: 'Pass', End: true },
      },
    });
    const arn = await start(machine, { secret: 'input' });
    const all = (await finished(arn, 'SUCCEEDED')).events;

    const pages: HistoryEvent[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 3, nextToken }),
      );
      pages.push(page.events ?? []);
      nextToken = page.nextToken;
    } while (nextToken);
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 2 }),
    );
    const reversedNext = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: arn,
        reverseOrder: true,
        maxResults: 2,
        nextToken: reversed.nextToken,
      }),
    );
    const noData = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, includeExecutionData: false }),
    );
    const badToken = await awsFailure(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken: 'bm90LWEtdG9rZW4' })),
    );

    expect(all).toHaveLength(8);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(pages.flat().map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(reversed.events?.map((e) => e.id)).toEqual([8, 7]);
    expect(reversedNext.events?.map((e) => e.id)).toEqual([6, 5]);
    expect(noData.events?.[0]?.executionStartedEventDetails).toEqual({
      inputDetails: { truncated: false },
      roleArn: ROLE,
    });
    expect(JSON.stringify(noData.events)).not.toContain('secret');
    expect(badToken.name).toBe('InvalidToken');
  });

  it('stops a running execution with StopExecution: ABORTED, with the error and cause given', async () => {
    const machine = await createMachine(waitMachine(3600));
    const arn = await start(machine);
    await untilEvent(arn, 'WaitStateEntered');

    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'changed my mind' }),
    );
    const run = await finished(arn, 'ABORTED');

    expect(run).toMatchObject({ error: 'Operator', cause: 'changed my mind' });
    expect(run.stopDate).toEqual(stopped.stopDate);
    expect(run.events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'changed my mind' },
    });
    expect(ofType(run.events, 'WaitStateExited')).toHaveLength(0);
  });

  it('times an execution out after its TimeoutSeconds of simulated time', async () => {
    const machine = await createMachine({ ...waitMachine(3600), TimeoutSeconds: 30 });

    const run = await finished(await start(machine), 'TIMED_OUT');

    expect(run.error).toBe('States.Timeout');
    expect(run.events.at(-1)?.type).toBe('ExecutionTimedOut');
    expect(ms({ timestamp: run.stopDate }) - ms({ timestamp: run.startDate })).toBeGreaterThanOrEqual(30_000);
    expect(ms({ timestamp: run.stopDate }) - ms({ timestamp: run.startDate })).toBeLessThan(3600_000);
  });

  it('fails an execution whose history reaches 25,000 events', async () => {
    const machine = await createMachine({
      StartAt: 'Spin',
      States: {
        Spin: { Type: 'Pass', Next: 'Again' },
        Again: {
          Type: 'Choice',
          Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Stop' }],
          Default: 'Spin',
        },
        Stop: { Type: 'Succeed' },
      },
    });
    const arn = await start(machine);

    const run = await finished(arn, 'FAILED');

    expect(run.error).toBe('States.Runtime');
    const last = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 1 }),
    );
    expect(last.events?.[0]).toMatchObject({ id: 25_000, type: 'ExecutionFailed' });
  });

  it('runs Waits inside Map iterations on the simulated clock', async () => {
    const machine = await createMachine({
      StartAt: 'EachItem',
      States: {
        EachItem: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'PauseItem',
            States: { PauseItem: { Type: 'Wait', SecondsPath: '$.pause', End: true } },
          },
          End: true,
        },
      },
    });

    const run = await finished(await start(machine, { items: [{ pause: 30 }, { pause: 45 }] }), 'SUCCEEDED');

    expect(outputOf({ output: run.output })).toEqual([{ pause: 30 }, { pause: 45 }]);
    expect(ofType(run.events, 'WaitStateEntered')).toHaveLength(2);
    expect(
      ofType(run.events, 'MapIterationStarted').map((e) => e.mapIterationStartedEventDetails?.index),
    ).toEqual(expect.arrayContaining([0, 1]));
    expect(
      ms(ofType(run.events, 'MapStateExited')[0]) - ms(ofType(run.events, 'MapStateEntered')[0]),
    ).toBeGreaterThanOrEqual(45_000);
  });
});

// ---- tasks -----------------------------------------------------------------------------------------

const catchingTask = (resource: string, extra: object = {}) => ({
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: resource,
      ResultPath: '$.result',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recovered' }],
      End: true,
      ...extra,
    },
    Recovered: { Type: 'Pass', End: true },
  },
});

describe('Task states', () => {
  it("names a Lambda error after the thrown error's name and gives Catch the Lambda runtime's cause JSON", async () => {
    lambdas.set(lambdaArn('plan'), () => {
      throw new PreflightError('subnet subnet-1 does not exist');
    });
    const machine = await createMachine(catchingTask(lambdaArn('plan')));

    const run = await finished(await start(machine, { step: 'plan' }), 'SUCCEEDED');

    const caught = outputOf(run).error as { Error: string; Cause: string };
    expect(caught.Error).toBe('PreflightError');
    const cause = JSON.parse(caught.Cause) as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause).toMatchObject({
      errorType: 'PreflightError',
      errorMessage: 'subnet subnet-1 does not exist',
    });
    expect(cause.trace[0]).toBe('PreflightError: subnet subnet-1 does not exist');
    expect(run.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(run.events[2]?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: lambdaArn('plan'),
      input: '{"step":"plan"}',
    });
    expect(run.events[4]?.lambdaFunctionFailedEventDetails).toEqual({
      error: 'PreflightError',
      cause: caught.Cause,
    });
  });

  it('fails the execution with the Lambda error and cause when nothing catches it', async () => {
    lambdas.set(lambdaArn('plan'), () => {
      throw new PreflightError('no subnet');
    });
    const machine = await createMachine({
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: lambdaArn('plan'), End: true } },
    });

    const run = await finished(await start(machine), 'FAILED');

    expect(run.error).toBe('PreflightError');
    expect(JSON.parse(required(run.cause, 'cause'))).toMatchObject({ errorMessage: 'no subnet' });
    expect(run.events.at(-1)?.executionFailedEventDetails).toEqual({ error: run.error, cause: run.cause });
  });

  it('retries per the Retry field, one LambdaFunctionScheduled per attempt, IntervalSeconds apart on the simulated clock', async () => {
    let calls = 0;
    lambdas.set(lambdaArn('select'), (input) => {
      calls += 1;
      if (calls < 3) {
        const error = new Error('Rate exceeded');
        error.name = 'TransientAwsError';
        throw error;
      }
      return { picked: input };
    });
    const machine = await createMachine({
      StartAt: 'Select',
      States: {
        Select: {
          Type: 'Task',
          Resource: lambdaArn('select'),
          Retry: [
            { ErrorEquals: ['TransientAwsError'], IntervalSeconds: 30, MaxAttempts: 3, BackoffRate: 2 },
          ],
          ResultPath: '$.selection',
          End: true,
        },
      },
    });

    const run = await finished(await start(machine, { id: 7 }), 'SUCCEEDED');

    expect(calls).toBe(3);
    expect(outputOf(run)).toEqual({ id: 7, selection: { picked: { id: 7 } } });
    const scheduled = ofType(run.events, 'LambdaFunctionScheduled');
    const failed = ofType(run.events, 'LambdaFunctionFailed');
    expect(scheduled).toHaveLength(3);
    expect(failed.map((e) => e.lambdaFunctionFailedEventDetails?.error)).toEqual([
      'TransientAwsError',
      'TransientAwsError',
    ]);
    expect(ofType(run.events, 'LambdaFunctionSucceeded')).toHaveLength(1);
    expect(ofType(run.events, 'TaskStateEntered')).toHaveLength(1);
    // The engine's retry timer may fire up to a real millisecond (0.6 simulated s) early.
    expect(ms(scheduled[1]) - ms(failed[0])).toBeGreaterThanOrEqual(29_000);
  });

  it('fails a Task whose result exceeds 256 KiB with States.DataLimitExceeded, which States.ALL does not catch', async () => {
    lambdas.set(lambdaArn('big'), () => ({ blob: 'x'.repeat(300 * 1024) }));
    const machine = await createMachine(catchingTask(lambdaArn('big')));

    const run = await finished(await start(machine), 'FAILED');

    expect(run.error).toBe('States.DataLimitExceeded');
  });

  it('times a Lambda Task out after its TimeoutSeconds with States.Timeout and LambdaFunctionTimedOut', async () => {
    lambdas.set(lambdaArn('hang'), () => new Promise(() => {}));
    const machine = await createMachine(catchingTask(lambdaArn('hang'), { TimeoutSeconds: 1 }));

    const run = await finished(await start(machine), 'SUCCEEDED');

    expect((outputOf(run).error as { Error: string }).Error).toBe('States.Timeout');
    expect(ofType(run.events, 'LambdaFunctionTimedOut')).toHaveLength(1);
    expect(run.events[2]?.lambdaFunctionScheduledEventDetails?.timeoutInSeconds).toBe(1);
  });

  it('names aws-sdk integration errors <Service>.<Name>Exception, and EC2 errors Ec2.Ec2Exception with the code in the cause', async () => {
    const calls: unknown[] = [];
    awsSdk = async (service, action, params) => {
      calls.push({ service, action, params });
      if (service === 'ec2')
        throw new AwsError('InvalidInstanceID.NotFound', "The instance ID 'i-1' does not exist");
      const error = new Error('Recovery point not found');
      error.name = 'ResourceNotFoundException';
      throw error;
    };
    const backup = await createMachine(
      catchingTask('arn:aws:states:::aws-sdk:backup:describeRecoveryPoint', {
        Parameters: { 'RecoveryPointArn.$': '$.arn', BackupVaultName: 'EC2' },
      }),
    );
    const ec2 = await createMachine(
      catchingTask('arn:aws:states:::aws-sdk:ec2:describeInstances', {
        Parameters: { InstanceIds: ['i-1'] },
      }),
    );

    const backupRun = await finished(await start(backup, { arn: 'rp-1' }), 'SUCCEEDED');
    const ec2Run = await finished(await start(ec2), 'SUCCEEDED');

    const backupError = outputOf(backupRun).error as { Error: string; Cause: string };
    const ec2Error = outputOf(ec2Run).error as { Error: string; Cause: string };
    expect(backupError.Error).toBe('Backup.ResourceNotFoundException');
    expect(backupError.Cause).toContain('Recovery point not found');
    expect(ec2Error.Error).toBe('Ec2.Ec2Exception');
    expect(ec2Error.Cause).toContain('InvalidInstanceID.NotFound');
    expect(calls[0]).toEqual({
      service: 'backup',
      action: 'describeRecoveryPoint',
      params: { RecoveryPointArn: 'rp-1', BackupVaultName: 'EC2' },
    });
    expect(ofType(backupRun.events, 'TaskScheduled')[0]?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'aws-sdk:backup',
      resource: 'describeRecoveryPoint',
      region: 'us-east-1',
      parameters: '{"RecoveryPointArn":"rp-1","BackupVaultName":"EC2"}',
    });
    expect(ofType(backupRun.events, 'TaskFailed')[0]?.taskFailedEventDetails).toMatchObject({
      error: 'Backup.ResourceNotFoundException',
    });
  });

  it('returns an aws-sdk result and records TaskScheduled, TaskStarted and TaskSucceeded', async () => {
    awsSdk = async () => ({ Parameter: { Name: '/app/key', Value: 'v' } });
    const machine = await createMachine(
      catchingTask('arn:aws:states:::aws-sdk:ssm:getParameter', { Parameters: { Name: '/app/key' } }),
    );

    const run = await finished(await start(machine), 'SUCCEEDED');

    expect(outputOf(run).result).toEqual({ Parameter: { Name: '/app/key', Value: 'v' } });
    expect(run.events.map((e) => e.type).slice(1, 6)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
  });

  it('invokes a Lambda through arn:aws:states:::lambda:invoke and returns the Invoke response', async () => {
    lambdas.set(lambdaArn('report'), (input) => ({ echoed: input }));
    const machine = await createMachine(
      catchingTask('arn:aws:states:::lambda:invoke', {
        Parameters: { FunctionName: 'report', 'Payload.$': '$' },
      }),
    );

    const run = await finished(await start(machine, { a: 1 }), 'SUCCEEDED');

    expect(outputOf(run).result).toMatchObject({ StatusCode: 200, Payload: { echoed: { a: 1 } } });
    expect(ofType(run.events, 'TaskScheduled')[0]?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
    });
  });

  it('fails clearly on an unknown Lambda function and on a Task resource the emulator does not run', async () => {
    const unknownFunction = await createMachine(catchingTask(lambdaArn('nobody')));
    const unsupported = await createMachine(catchingTask('arn:aws:states:::sqs:sendMessage'));

    const missing = await finished(await start(unknownFunction), 'SUCCEEDED');
    const notRun = await finished(await start(unsupported), 'FAILED');

    expect((outputOf(missing).error as { Error: string }).Error).toBe('Lambda.ResourceNotFoundException');
    expect(ofType(missing.events, 'LambdaFunctionStartFailed')).toHaveLength(1);
    expect(notRun.error).toBe('States.Runtime');
    expect(notRun.cause).toContain('arn:aws:states:::sqs:sendMessage');
  });

  it('runs a child execution with startExecution.sync:2, and fails the Task with States.TaskFailed when the child fails', async () => {
    const child = await createMachine({
      StartAt: 'Check',
      States: {
        Check: {
          Type: 'Choice',
          Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Fine' }],
          Default: 'Broken',
        },
        Fine: { Type: 'Pass', Result: { restored: true }, End: true },
        Broken: { Type: 'Fail', Error: 'RestoreJobFailedError', Cause: 'job failed' },
      },
    });
    const parent = await createMachine(
      catchingTask('arn:aws:states:::states:startExecution.sync:2', {
        Parameters: { StateMachineArn: child, 'Input.$': '$' },
      }),
    );

    const good = await finished(await start(parent, { ok: true }), 'SUCCEEDED');
    const bad = await finished(await start(parent, { ok: false }), 'SUCCEEDED');

    expect(outputOf(good).result).toMatchObject({
      Status: 'SUCCEEDED',
      Output: { restored: true },
      Input: { ok: true },
    });
    expect(ofType(good.events, 'TaskSubmitted')).toHaveLength(1);
    const caught = outputOf(bad).error as { Error: string; Cause: string };
    expect(caught.Error).toBe('States.TaskFailed');
    expect(JSON.parse(caught.Cause)).toMatchObject({
      Status: 'FAILED',
      Error: 'RestoreJobFailedError',
      Cause: 'job failed',
    });
  });
});

// ---- the real workflow ---------------------------------------------------------------------------

describe('restore-instance', () => {
  it('runs the rendered ASL end to end, its Waits advancing simulated time by the steps’ nextWaitSeconds', async () => {
    for (const [state, stub] of Object.entries(happyStubs())) {
      lambdas.set(functionArn(TaskFunctions[state as keyof typeof TaskFunctions]), stub);
    }
    const machine = await createMachine(renderRestoreInstanceAsl(), 'restore-instance');

    const arn = await start(machine, { instanceId: 'i-0123456789abcdef0' }, 'restore-1');
    const run = await finished(arn, 'SUCCEEDED');

    expect(outputOf(run)).toEqual({ status: 'RESTORED' });
    const waits = run.events.filter((e) => e.type === 'WaitStateEntered' || e.type === 'WaitStateExited');
    const restoreWaits = waits.filter(
      (e) => (e.stateEnteredEventDetails ?? e.stateExitedEventDetails)?.name === States.WaitForRestoreJob,
    );
    expect(restoreWaits.map((e) => e.type)).toEqual([
      'WaitStateEntered',
      'WaitStateExited',
      'WaitStateEntered',
      'WaitStateExited',
    ]);
    expect(ms(restoreWaits[1]) - ms(restoreWaits[0])).toBeGreaterThanOrEqual(600_000);
    expect(ms(restoreWaits[3]) - ms(restoreWaits[2])).toBeGreaterThanOrEqual(60_000);
    expect(ms({ timestamp: run.stopDate }) - ms({ timestamp: run.startDate })).toBeGreaterThanOrEqual(
      (600 + 60 + 10 + 5 + 15) * 1000,
    );
    const initialised = JSON.parse(
      required(ofType(run.events, 'PassStateExited')[0]?.stateExitedEventDetails?.output, 'output'),
    ) as { execution: { id: string; name: string; startTime: string } };
    expect(initialised.execution).toEqual({
      id: arn,
      name: 'restore-1',
      startTime: run.startDate?.toISOString(),
    });
    // Every Task runs its Lambda: the stubs take two turns per loop, and after SSH is proven the
    // profile is looked at again, followed by CheckSsh returning its done check (17 invocations).
    expect(ofType(run.events, 'LambdaFunctionScheduled')).toHaveLength(17);
  });
});

// ---- the wire --------------------------------------------------------------------------------------

describe('the awsJson1_0 wire', () => {
  async function post(
    target: string,
    body: object,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(door.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('answers unknown operations, missing members and unknown executions with JSON 1.0 errors, and dates as epoch seconds', async () => {
    const machine = await createMachine(PASS_MACHINE);
    const arn = await start(machine);

    const unknown = await post('AWSStepFunctions.FlyToTheMoon', {});
    const missing = await post('AWSStepFunctions.DescribeExecution', {});
    const noSuch = await post('AWSStepFunctions.DescribeExecution', { executionArn: `${arn}-nope` });
    const described = await post('AWSStepFunctions.DescribeExecution', { executionArn: arn });

    expect(unknown.status).toBe(400);
    expect(unknown.json.__type).toMatch(/#UnknownOperationException$/);
    expect(missing.status).toBe(400);
    expect(missing.json.__type).toMatch(/#ValidationException$/);
    expect(missing.json.message).toContain("'executionArn'");
    expect(noSuch.json).toEqual({
      __type: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${arn}-nope'`,
    });
    expect(typeof described.json.startDate).toBe('number');
    const startDate = required(emulator.describeExecution({ executionArn: arn }).startDate, 'startDate');
    expect(described.json.startDate).toBe(startDate.getTime() / 1000);
  });

  it('serves the AWS CLI: start-execution, describe-execution and get-execution-history', async () => {
    lambdas.set(lambdaArn('double'), (input) => ({ doubled: 2 * (input as { n: number }).n }));
    const machine = await createMachine(catchingTask(lambdaArn('double')));

    const started = await awsCli(door.endpoint, [
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      machine,
      '--name',
      'from-cli',
      '--input',
      '{"n":21}',
    ]);
    const { executionArn } = JSON.parse(started.stdout) as { executionArn: string };
    await finished(executionArn, 'SUCCEEDED');
    const described = await awsCli(door.endpoint, [
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      executionArn,
    ]);
    const history = await awsCli(door.endpoint, [
      'stepfunctions',
      'get-execution-history',
      '--execution-arn',
      executionArn,
    ]);

    expect(started.code).toBe(0);
    expect(executionArn.endsWith(':from-cli')).toBe(true);
    const execution = JSON.parse(described.stdout) as {
      status: string;
      output: string;
      startDate: number | string;
    };
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output)).toEqual({ n: 21, result: { doubled: 42 } });
    // The CLI prints timestamps as it received them (epoch seconds) or as ISO 8601, per its version's default.
    const startMs =
      typeof execution.startDate === 'number' ? execution.startDate * 1000 : Date.parse(execution.startDate);
    expect(startMs).toBeGreaterThanOrEqual(Date.parse(SIM_START));
    const events = (JSON.parse(history.stdout) as { events: { type: string }[] }).events;
    expect(events.map((e) => e.type)).toContain('LambdaFunctionSucceeded');
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
  });
});
