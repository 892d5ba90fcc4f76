/**
 * `ec2-restore start` and `watch` against the emulator: the input built from flags and validated
 * before anything starts, the readable execution name, idempotent re-runs with `--name`, the
 * `--json` document on stdout with progress on stderr, and progress for a pipe and for a terminal.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CLEAR_LINE } from '@cli/progress-view';
import { FAKE_CREDENTIALS } from '@local/emulator';
import { CLOCK, DURATION } from '@test/helpers/cli-format';
import { type CliEmulator, runCli, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { DEMO } from '@test/helpers/scenarios';

let world: CliEmulator;
let sfn: SFNClient;
const restore = ['--instance-id', DEMO.instance, '--ssh-port', '2222'];

beforeAll(async () => {
  world = await startCliEmulator();
  sfn = new SFNClient({
    endpoint: world.emulator.endpoint,
    region: world.emulator.region,
    credentials: FAKE_CREDENTIALS,
  });
});

afterAll(async () => {
  sfn.destroy();
  await world.stop();
});

async function executionNames(): Promise<string[]> {
  const { executions } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: world.emulator.stateMachineArns.restoreInstance }),
  );
  return (executions ?? []).map((e) => e.name ?? '');
}

describe('ec2-restore start', () => {
  it('prints one JSON document with the execution ARN, a readable name and the start date', async () => {
    const { code, stdout, stderr } = await runCli(
      ['start', ...restore, '--mode', 'test', '--json', '--endpoint-url', world.emulator.endpoint],
      world.env,
    );

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({
      executionArn: expect.stringMatching(
        /:execution:restore-instance:test-i-0de00000000000001-\d{8}T\d{6}Z$/,
      ),
      name: expect.stringMatching(/^test-i-0de00000000000001-\d{8}T\d{6}Z$/),
      consoleUrl: expect.stringContaining('https://us-east-1.console.aws.amazon.com/states/home'),
      alreadyStarted: false,
    });
    expect(Number.isNaN(Date.parse(doc.startDate))).toBe(false);
    const ended = await executionClosed(world.emulator, doc.executionArn);
    expect(ended.status).toBe('SUCCEEDED');
  });

  it('with --wait --json prints only the execution output on stdout and the progress on stderr', async () => {
    const { code, stdout, stderr } = await runCli(
      ['start', ...restore, '--wait', '--poll-interval', '0.1', '--json'],
      world.env,
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'RESTORED',
      instanceProfile: { action: 'associated' },
      publicAddress: { action: 'allocated' },
      ssh: { reachable: true, port: 2222 },
    });
    expect(stderr).toMatch(/SelectRecoveryPoint\s+started/);
    expect(stderr).toMatch(/PollRestoreJob\s+restore job RUNNING \d+%/);
    expect(stderr).toMatch(/CheckSsh\s+ec2-user@.*authenticated/);
    expect(stderr).toMatch(/Report\s+status RESTORED\n/);
  });

  it('names the bad flag and exits 2 without starting anything', async () => {
    const before = await executionNames();

    const { code, stdout, stderr } = await runCli(
      ['start', ...restore, '--subnet-id', 'subnet-nope', '--public-ip', 'sometimes'],
      world.env,
    );

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--subnet-id: must look like subnet-0123456789abcdef0 (got "subnet-nope")');
    expect(stderr).toContain('--public-ip: must be one of "auto", "always", "never"');
    expect(await executionNames()).toEqual(before);
  });

  it('takes the SSH port from EC2_RESTORE_SSH_PORT, which ec2-restore local exports, unless --ssh-port is given', async () => {
    // Each call gets its own name: the default one holds the second, so two calls within one
    // second would otherwise meet as the same execution with another input (a usage error).
    let call = 0;
    const sshPortOf = async (args: string[], env: typeof world.env) => {
      call += 1;
      const name = ['--name', `ssh-port-default-${call}`];
      const { code, stdout } = await runCli(['start', ...args, ...name, '--dry-run', '--json'], env);
      expect(code).toBe(0);
      const { executionArn } = JSON.parse(stdout);
      const { input } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return JSON.parse(input ?? '{}').ssh?.port;
    };
    const { EC2_RESTORE_SSH_PORT, ...withoutPort } = world.env;

    expect(EC2_RESTORE_SSH_PORT).toBe('2222');
    expect(await sshPortOf(['--instance-id', DEMO.instance], world.env)).toBe(2222);
    expect(await sshPortOf(['--instance-id', DEMO.instance, '--ssh-port', '2200'], world.env)).toBe(2200);
    expect(await sshPortOf(['--instance-id', DEMO.instance], withoutPort)).toBeUndefined();
  });

  it('re-run with the same --name and flags finds the first execution instead of starting another', async () => {
    const args = ['start', ...restore, '--name', 'ops-123-restore'];

    const first = await runInProcess(args, { env: world.env });
    const again = await runInProcess(args, { env: world.env });
    const changed = await runInProcess([...args, '--mode', 'test'], { env: world.env });

    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('Started ops-123-restore') });
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Already started ops-123-restore'),
    });
    const arn = /execution {2}(\S+)/.exec(first.stdout)?.[1];
    expect(arn).toMatch(/:execution:restore-instance:ops-123-restore$/);
    expect(again.stdout).toContain(`execution  ${arn}`);
    expect(changed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--name ops-123-restore is taken'),
    });
    expect((await executionNames()).filter((n) => n === 'ops-123-restore')).toHaveLength(1);
    await executionClosed(world.emulator, arn ?? '');
  });
});

describe('ec2-restore watch', () => {
  let executionArn: string;

  beforeAll(async () => {
    const started = await runInProcess(['start', ...restore, '--json'], { env: world.env });
    executionArn = JSON.parse(started.stdout).executionArn;
  });

  it('prints plain lines on a pipe: each step starting and ending, percent done, then the summary', async () => {
    const { code, stdout, stderr } = await runInProcess(['watch', executionArn, '--poll-interval', '0.05'], {
      env: world.env,
    });

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).not.toContain('\x1b');
    const lines = stdout.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\[${CLOCK}\\] ValidateInput\\s+started$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^\[\+\d\d:\d\d:\d\d\] PollRestoreJob\s+restore job RUNNING \d+%/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^\[\+\d\d:\d\d:\d\d\] PollRestoreJob\s+restore job COMPLETED$/),
    );
    expect(stdout).toMatch(new RegExp(`Restore SUCCEEDED in ${DURATION}\\n\\s+status\\s+RESTORED`));
    expect(stdout).toMatch(new RegExp(`total \\(RTO\\)\\s+${DURATION}\\n`));
  });

  it('redraws one status line on a terminal, with the restore job progress bar', async () => {
    const started = await runInProcess(['start', ...restore, '--json'], { env: world.env });
    const arn = JSON.parse(started.stdout).executionArn;

    const { code, stdout } = await runInProcess(['watch', arn, '--poll-interval', '0.05'], {
      env: world.env,
      tty: true,
    });

    expect(code).toBe(0);
    // The status line is rewritten in place, never followed by a newline; finished steps become lines.
    const redraws = stdout.split(CLEAR_LINE);
    expect(redraws).toContainEqual(
      expect.stringMatching(
        /^. PollRestoreJob \[█+░*\] \d+% restore job RUNNING .* · elapsed \+\d\d:\d\d:\d\d$/,
      ),
    );
    expect(redraws).toContainEqual(
      expect.stringMatching(/^✓ \[\+\d\d:\d\d:\d\d\] PollRestoreJob\s+restore job COMPLETED\n$/),
    );
    expect(stdout).not.toMatch(/elapsed \+\d\d:\d\d:\d\d\n/);
    expect(stdout).toContain('Restore SUCCEEDED');
  });

  it('--json of a succeeded execution exits 0 with its output, run after run', async () => {
    await executionClosed(world.emulator, executionArn);

    const runs = await Promise.all(
      [1, 2, 3].map(() => runCli(['watch', executionArn, '--json', '--poll-interval', '0.05'], world.env)),
    );

    for (const { code, stdout } of runs) {
      expect({ code, status: JSON.parse(stdout).status }).toEqual({ code: 0, status: 'RESTORED' });
    }
  });

  // The race that once printed `"status": "SUCCEEDED"` and exited 130: Ctrl-C pressed while the
  // watcher slept between polls of an execution that had already ended. Pressed at once, and
  // after 1-50 ms, it must not turn a finished execution into an interrupted watch.
  it.each([0, 1, 5, 20, 50])(
    '--json of a succeeded execution with Ctrl-C %i ms into watching still exits 0 with its output',
    async (delayMs) => {
      await executionClosed(world.emulator, executionArn);
      const ctrlC = (handler: () => void) => {
        if (delayMs === 0) {
          handler();
          return () => {};
        }
        const timer = setTimeout(handler, delayMs);
        return () => clearTimeout(timer);
      };

      const { code, stdout, stderr } = await runInProcess(
        ['watch', executionArn, '--json', '--poll-interval', '0.05'],
        { env: world.env, onInterrupt: ctrlC },
      );

      expect({ code, status: JSON.parse(stdout).status }).toEqual({ code: 0, status: 'RESTORED' });
      expect(stderr).not.toContain('Stopped watching');
    },
  );

  it('accepts an execution name when the state machine ARN is set', async () => {
    const name = executionArn.split(':').pop() ?? '';

    const { code, stdout } = await runInProcess(['watch', name, '--poll-interval', '0.05'], {
      env: world.env,
    });

    expect(code).toBe(0);
    expect(stdout).toContain(`Watching ${name}`);
  });
});
