/**
 * Errors a person can act on: each names the problem, gives the fix in one line, and exits 3
 * (configuration or AWS access), so a runbook script can tell them from a failed restore (1).
 */
import { type CliEmulator, isolatedEnv, runCli, startCliEmulator } from '@test/helpers/cli-run';
import { DEMO } from '@test/helpers/scenarios';

let world: CliEmulator;

beforeAll(async () => {
  world = await startCliEmulator({
    faults: {
      apiErrors: [
        {
          api: 'sfn:ListExecutions',
          code: 'ThrottlingException',
          status: 400,
          message: 'Rate exceeded',
          times: 100,
        },
      ],
    },
  });
});

afterAll(() => world.stop());

/** The emulator's environment without some of its variables. */
function envWithout(...names: string[]) {
  return Object.fromEntries(Object.entries(world.env).filter(([k]) => !names.includes(k)));
}

/** Exit 3 with the problem and a one-line fix on stderr, nothing on stdout. */
function expectConfigError(
  result: { code: number | null; stdout: string; stderr: string },
  problem: string | RegExp,
) {
  expect(result.code).toBe(3);
  expect(result.stdout).toBe('');
  const [first, fix, ...rest] = result.stderr.trimEnd().split('\n');
  expect(first).toMatch(problem);
  expect(fix).toMatch(/^ {2}fix: \S/);
  expect(rest).toEqual([]);
}

it('no credentials: says how to get them', async () => {
  const result = await runCli(['list'], envWithout('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'));

  expectConfigError(result, 'ec2-restore: No AWS credentials found.');
  expect(result.stderr).toContain('aws sso login');
});

it('no Region: says how to set one', async () => {
  const result = await runCli(
    ['recovery-points', '--instance-id', DEMO.instance],
    envWithout('AWS_REGION', 'AWS_DEFAULT_REGION'),
  );

  expectConfigError(result, 'ec2-restore: No AWS Region set.');
  expect(result.stderr).toContain('--region us-east-1');
});

it('state machine ARN not set: names the option and the variable', async () => {
  const result = await runCli(['list'], envWithout('EC2_RESTORE_STATE_MACHINE_ARN'));

  expectConfigError(result, 'ec2-restore: No state machine ARN set.');
  expect(result.stderr).toContain('--state-machine-arn ARN or export EC2_RESTORE_STATE_MACHINE_ARN=ARN');
});

it('state machine not found: names it and where to find the right one', async () => {
  const missing = world.emulator.stateMachineArns.restoreInstance.replace(
    'restore-instance',
    'restore-nothing',
  );

  const result = await runCli(
    ['start', '--instance-id', DEMO.instance, '--state-machine-arn', missing],
    world.env,
  );

  expectConfigError(result, `State Machine Does Not Exist: '${missing}' in us-east-1.`);
  expect(result.stderr).toContain('aws stepfunctions list-state-machines');
});

it('execution not found: points at `ec2-restore list`', async () => {
  const result = await runCli(['status', 'no-such-restore'], world.env);

  expectConfigError(result, /Execution Does Not Exist: '.*:execution:restore-instance:no-such-restore'/);
  expect(result.stderr).toContain('`ec2-restore list` shows recent executions');
});

it('throttled even after the SDK retries: says to wait and run it again', async () => {
  const result = await runCli(['list'], { ...world.env, AWS_MAX_ATTEMPTS: '2' });

  expectConfigError(
    result,
    /AWS throttled the request even after retries \(ThrottlingException: Rate exceeded\)/,
  );
  expect(result.stderr).toContain('Wait a minute and run the same command again');
});

it('--endpoint-url wins over AWS_ENDPOINT_URL, and nothing answering there is a configuration error', async () => {
  const result = await runCli(['status', 'any-restore', '--endpoint-url', 'http://127.0.0.1:9'], world.env);

  expectConfigError(result, 'ec2-restore: Nothing answers at http://127.0.0.1:9 (ECONNREFUSED).');
});

it('under --json the error is also one JSON document on stdout', async () => {
  const result = await runCli(['list', '--json'], isolatedEnv());

  expect(result.code).toBe(3);
  expect(JSON.parse(result.stdout)).toEqual({
    error: {
      code: 'StateMachineNotSet',
      message: 'No state machine ARN set.',
      fix: expect.stringContaining('EC2_RESTORE_STATE_MACHINE_ARN'),
    },
  });
  expect(result.stderr).toMatch(/^ec2-restore: No state machine ARN set\.\n {2}fix: /);
});
