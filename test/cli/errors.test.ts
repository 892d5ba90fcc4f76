/**
 * Errors a person can act on: each names the problem, gives the fix in one line, and exits 3
 * (configuration or AWS access) or 2 (the command line: a bad flag value, an execution that does
 * not exist), so a runbook script can tell them from a failed restore (1).
 */
import { type CliEmulator, isolatedEnv, runCli, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
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

it('execution not found is bad usage, not configuration: exit 2, and points at `ec2-restore list`', async () => {
  const result = await runCli(
    ['status', 'no-such-restore'],
    envWithout('EC2_RESTORE_FLEET_STATE_MACHINE_ARN'),
  );

  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
  expect(result.stderr).toBe(
    `ec2-restore: No such execution: ${world.emulator.stateMachineArns.restoreInstance.replace(':stateMachine:', ':execution:')}:no-such-restore in us-east-1.\n` +
      '  fix: Check the ARN or name (`ec2-restore list` shows recent executions), the Region, and the state machine.\n',
  );
});

describe('a flag with a bad value is named in its own terms, exit 2', () => {
  const start = ['start', '--instance-id', DEMO.instance];

  it.each([
    [[...start, '--ssh-port', 'abc'], '--ssh-port must be a whole number from 1 to 65535, got "abc"'],
    [[...start, '--ssh-port', '0'], '--ssh-port must be a whole number from 1 to 65535, got "0"'],
    [[...start, '--ssh-port', '22.5'], '--ssh-port must be a whole number from 1 to 65535, got "22.5"'],
    [
      [...start, '--restore-timeout-minutes', 'soon'],
      '--restore-timeout-minutes must be a whole number from 5 to 1440, got "soon"',
    ],
    [
      [...start, '--restore-timeout-minutes', '2'],
      '--restore-timeout-minutes must be a whole number from 5 to 1440, got "2"',
    ],
    [
      [...start, '--poll-interval', 'fast'],
      '--poll-interval must be a number of seconds above 0 and at most 300, got "fast"',
    ],
    [
      ['fleet', '--tag', 'AWSBackup=EC2', '--max-concurrency', 'lots'],
      '--max-concurrency must be a whole number from 1 to 40, got "lots"',
    ],
    [
      ['fleet', '--tag', 'AWSBackup=EC2', '--ssh-port', '70000'],
      '--ssh-port must be a whole number from 1 to 65535, got "70000"',
    ],
    [['list', '--max', '1e3'], '--max must be a whole number from 1 to 1000, got "1e3"'],
    [['local', '--port', 'any'], '--port must be a whole number from 0 to 65535, got "any"'],
  ])('%j', async (args, message) => {
    const result = await runInProcess(args, { env: world.env });

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^ec2-restore: .*\n {2}fix: For example --[\w-]+ [\d.]+\.\n$/),
    });
    expect(result.stderr.split('\n')[0]).toBe(`ec2-restore: ${message}`);
  });

  it('under --json the refusal is also one JSON document on stdout', async () => {
    const result = await runInProcess([...start, '--ssh-port', 'abc', '--json'], { env: world.env });

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'Usage',
        message: '--ssh-port must be a whole number from 1 to 65535, got "abc"',
        fix: 'For example --ssh-port 2222.',
      },
    });
  });

  it.each([
    [[...start, '--bogus'], 'start', "unknown option '--bogus'"],
    [['recovery-points'], 'recovery-points', "required option '--instance-id <id>' not specified"],
    [
      ['local', '--clock', 'bogus'],
      'local',
      "option '--clock <mode>' argument 'bogus' is invalid. Allowed choices are event, fixed.",
    ],
    [
      ['demo', '--mode', 'bogus'],
      'demo',
      "option '--mode <mode>' argument 'bogus' is invalid. Allowed choices are recovery, test.",
    ],
  ])(
    'a flag the parser refuses is one JSON document on stdout too under --json: %j',
    async (args, command, message) => {
      const result = await runInProcess([...args, '--json'], { env: world.env });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(JSON.parse(result.stdout)).toEqual({
        error: {
          code: 'Usage',
          message,
          fix: `See \`ec2-restore ${command} --help\` for each flag and an example.`,
        },
      });
    },
  );

  it('start without an instance or a recovery point names the two flags, not request fields', async () => {
    const result = await runInProcess(['start', '--ssh-port', '2222'], { env: world.env });

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'ec2-restore: Nothing to restore: give --instance-id or --recovery-point.\n' +
        '  fix: For example: ec2-restore start --instance-id i-0123456789abcdef0 --wait\n',
    });
  });

  it('a request field named inside a schema message becomes its flag too', async () => {
    const result = await runInProcess(
      [
        ...start,
        '--recovery-point',
        'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0',
        '--before',
        '2026-11-20T00:00:00Z',
      ],
      { env: world.env },
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--before: cannot be combined with --recovery-point (which already names the point)',
    );
    expect(result.stderr).not.toMatch(/recoveryPointArn|restorePointBefore/);
  });
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
