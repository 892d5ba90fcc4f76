/**
 * `ec2-restore fleet` against the emulator's restore-fleet workflow: the request built from flags
 * and validated before anything starts, `--wait --json` printing the fleet output with the exit
 * code saying whether any instance failed, progress as plain lines on a pipe and as a redrawn
 * status line on a terminal, `watch` of a fleet, and Ctrl-C leaving the fleet running.
 */
import { spawn } from 'node:child_process';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CLEAR_LINE } from '@cli/progress-view';
import { FAKE_CREDENTIALS } from '@local/emulator';
import { DURATION } from '@test/helpers/cli-format';
import { BIN, type CliEmulator, runCli, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { fleetId, fleetScenario } from '@test/helpers/fleet-scenario';
import { pollUntil } from '@test/helpers/poll-until';

const TEST_MODE = ['--mode', 'test', '--ssh-port', '2222', '--poll-interval', '0.05'];

function client(world: CliEmulator): SFNClient {
  return new SFNClient({
    endpoint: world.emulator.endpoint,
    region: world.emulator.region,
    credentials: FAKE_CREDENTIALS,
  });
}

describe('a fleet of 8 with 2 failing restores', () => {
  const failing = [fleetId(2), fleetId(5)];
  let world: CliEmulator;

  beforeAll(async () => {
    world = await startCliEmulator(fleetScenario(8, { failing }));
  });

  afterAll(() => world.stop());

  it('by tag with --wait --json prints the fleet output on stdout, progress on stderr, and exits 1', async () => {
    const { code, stdout, stderr } = await runCli(
      ['fleet', '--tag', 'AWSBackup=EC2', ...TEST_MODE, '--max-concurrency', '4', '--wait', '--json'],
      world.env,
      60_000,
    );

    expect(code).toBe(1);
    const output = JSON.parse(stdout);
    expect(output).toMatchObject({ total: 8, succeeded: 6, failed: 2 });
    expect(
      output.results
        .filter((r: { status: string }) => r.status === 'FAILED')
        .map((r: { instanceId: string; error: string }) => [r.instanceId, r.error]),
    ).toEqual(failing.map((id) => [id, 'RestoreJobFailedError']));
    expect(stderr).toMatch(/^Started test-fleet-AWSBackup-EC2-\d{8}T\d{6}Z$/m);
    expect(stderr).toContain('8 of 8 instances to restore, 4 at a time');
    expect(stderr).toMatch(/^\[\+\d\d:\d\d:\d\d\] 8 of 8 done, 2 failed so far: i-0f1\d{14} /m);
  });

  it('prints plain lines on a pipe, "n of N done" as each instance ends, then one row per instance', async () => {
    const { code, stdout, stderr } = await runInProcess(
      ['fleet', '--instance-ids', [0, 1, 2, 3, 4, 5].map(fleetId).join(','), ...TEST_MODE, '--wait'],
      { env: world.env },
    );

    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(stdout).not.toContain('\x1b');
    expect(stdout).toMatch(/^Started test-fleet-6-instances-\d{8}T\d{6}Z$/m);
    const done = stdout.split('\n').filter((l) => / of 6 done/.test(l));
    expect(done).toHaveLength(6);
    expect(done.map((l) => /\] (\d) of 6 done/.exec(l)?.[1])).toEqual(['1', '2', '3', '4', '5', '6']);
    for (const line of done) {
      expect(line).toMatch(
        /^\[\+\d\d:\d\d:\d\d\] \d of 6 done, [0-2] failed so far: i-0f1\d{14} (VALIDATED_AND_CLEANED_UP|FAILED \(RestoreJobFailedError\))$/,
      );
    }
    expect(done.at(-1)).toContain('6 of 6 done, 2 failed so far');
    expect(stdout).toMatch(
      new RegExp(`\\nFleet finished in ${DURATION}: 4 of 6 instances restored, 2 failed\\n`),
    );
    expect(stdout).not.toContain('SUCCEEDED');
    expect(stdout).toMatch(/\] fleet finished: 4 of 6 instances restored, 2 failed\n/);
    // One status command per failed child, by name (the restore-instance state machine is configured).
    const childOf = (id: string) =>
      new RegExp(`^ {2}${id}\\s+FAILED\\s+\\S+\\s+arn:\\S+:execution:restore-instance:(\\S+)$`, 'm').exec(
        stdout,
      )?.[1];
    expect(stdout).toContain(
      [
        'What to do next:',
        '  - Why each failed, and how to fix it:',
        `      ec2-restore status ${childOf(fleetId(2))}`,
        `      ec2-restore status ${childOf(fleetId(5))}`,
        '  - Every instance on one time axis: ec2-restore report ',
      ].join('\n'),
    );
    expect(stdout).not.toContain('<child execution>');
    expect(stdout).toMatch(/^ {2}instance\s+status\s+error\s+child execution$/m);
    expect(stdout).toMatch(
      new RegExp(
        `^ {2}${fleetId(2)}\\s+FAILED\\s+RestoreJobFailedError\\s+arn:aws:states:us-east-1:\\d{12}:execution:restore-instance:\\S+-${fleetId(2)}$`,
        'm',
      ),
    );
    expect(stdout).toMatch(
      new RegExp(`^ {2}${fleetId(0)}\\s+VALIDATED_AND_CLEANED_UP\\s+—\\s+arn:\\S+$`, 'm'),
    );
  });

  it('watch of a fleet execution on a terminal redraws one status line with the fleet progress bar', async () => {
    const started = await runInProcess(['fleet', '--tag', 'AWSBackup=EC2', ...TEST_MODE, '--json'], {
      env: world.env,
    });
    const { executionArn } = JSON.parse(started.stdout);

    const { code, stdout } = await runInProcess(['watch', executionArn, '--poll-interval', '0.05'], {
      env: world.env,
      tty: true,
    });

    expect(code).toBe(1);
    expect(stdout).toContain('Watching fleet test-fleet-AWSBackup-EC2-');
    const redraws = stdout.split(CLEAR_LINE);
    expect(redraws).toContainEqual(
      expect.stringMatching(
        /^. \[█*░+\] \d+% [0-7] of 8 done, [0-2] failed so far · [1-8] running · elapsed \+\d\d:\d\d:\d\d$/,
      ),
    );
    expect(redraws).toContainEqual(
      expect.stringMatching(/^✗ \[\+\d\d:\d\d:\d\d\] \d of 8 done, [12] failed so far: i-0f1\d{14} FAILED/),
    );
    expect(stdout).not.toMatch(/elapsed \+\d\d:\d\d:\d\d\n/);
    expect(stdout).toMatch(/\nFleet finished in .*: 6 of 8 instances restored, 2 failed\n/);
  });
});

describe('a fleet where every restore succeeds', () => {
  let world: CliEmulator;
  let sfn: SFNClient;

  beforeAll(async () => {
    // A fixed clock keeps the hour-long jobs running while the test presses Ctrl-C; the event clock
    // would skip straight to their end.
    world = await startCliEmulator({
      ...fleetScenario(3, { restoreJobMinutes: 60 }),
      clock: { speed: 600, mode: 'fixed' },
    });
    sfn = client(world);
  });

  afterAll(async () => {
    sfn.destroy();
    await world.stop();
  });

  async function fleetExecutions(): Promise<string[]> {
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: world.emulator.stateMachineArns.restoreFleet }),
    );
    return executions.map((e) => e.name ?? '');
  }

  it('by ids with --wait --json exits 0 with every result', async () => {
    const ids = [fleetId(0), fleetId(1), fleetId(2)];

    const { code, stdout } = await runInProcess(
      ['fleet', '--instance-ids', ids.join(','), ...TEST_MODE, '--name', 'ops-7-fleet', '--wait', '--json'],
      { env: world.env },
    );

    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output).toMatchObject({ total: 3, succeeded: 3, failed: 0 });
    expect(
      output.results.map((r: { instanceId: string; status: string }) => [r.instanceId, r.status]),
    ).toEqual(ids.map((id) => [id, 'VALIDATED_AND_CLEANED_UP']));
  });

  it('status of a finished fleet by its name shows one row per instance and exits 0', async () => {
    const { code, stdout } = await runInProcess(['status', 'ops-7-fleet'], { env: world.env });
    const json = await runInProcess(['status', 'ops-7-fleet', '--json'], { env: world.env });

    expect(code).toBe(0);
    expect(stdout).toMatch(/^status {5}SUCCEEDED$/m);
    expect(stdout).toMatch(new RegExp(`^Fleet finished in ${DURATION}: all 3 instances restored$`, 'm'));
    expect(stdout).not.toContain('What to do next');
    expect(stdout).toMatch(new RegExp(`^  ${fleetId(2)}  VALIDATED_AND_CLEANED_UP`, 'm'));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'ops-7-fleet',
      status: 'SUCCEEDED',
      output: { total: 3, succeeded: 3, failed: 0 },
    });
  });

  it('a tag that matches nothing ends at once with an empty result that says so, exit 0', async () => {
    const json = await runInProcess(
      ['fleet', '--tag', 'Team=nobody', '--wait', '--json', '--poll-interval', '0.05'],
      {
        env: world.env,
      },
    );
    const text = await runInProcess(['fleet', '--tag', 'Team=nobody', '--wait', '--poll-interval', '0.05'], {
      env: world.env,
    });

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ total: 0, succeeded: 0, failed: 0, results: [] });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`Fleet finished in ${DURATION}: nothing to restore\\. .*Team=nobody`),
    );
  });

  it.each([
    [
      ['--tag', 'AWSBackup=EC2', '--instance-ids', fleetId(0)],
      'Give exactly one of --instance-ids or --tag.',
    ],
    [[], 'Give exactly one of --instance-ids or --tag.'],
    [['--tag', 'AWSBackup'], '--tag: "AWSBackup" is not KEY=VALUE.'],
    [['--tag', '=EC2'], '--tag: "=EC2" is not KEY=VALUE.'],
    [
      ['--tag', 'AWSBackup=EC2', '--max-concurrency', '0'],
      '--max-concurrency must be a whole number from 1 to 40, got "0"',
    ],
    [
      ['--tag', 'AWSBackup=EC2', '--max-concurrency', 'lots'],
      '--max-concurrency must be a whole number from 1 to 40, got "lots"',
    ],
    [['--instance-ids', `${fleetId(0)},i-bad`], '--instance-ids: '],
    [
      ['--tag', 'AWSBackup=EC2', '--public-ip', 'sometimes'],
      '--public-ip: must be one of "auto", "always", "never"',
    ],
    [
      ['--tag', 'AWSBackup=EC2', '--ssh-port', '0'],
      '--ssh-port must be a whole number from 1 to 65535, got "0"',
    ],
    [['--tag', 'AWSBackup=EC2', '--vault', 'no such vault'], '--vault: must look like EC2'],
  ])('%j is bad usage: exit 2 naming the flag, nothing started', async (flags, message) => {
    const before = await fleetExecutions();

    const { code, stdout, stderr } = await runInProcess(['fleet', ...flags], { env: world.env });

    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain(`ec2-restore: ${message}`);
    expect(await fleetExecutions()).toEqual(before);
  });

  it('Ctrl-C stops watching, leaves the fleet running, says how to resume and exits 130', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'fleet', '--tag', 'AWSBackup=EC2', '--mode', 'test', '--ssh-port', '2222', '--wait'],
      { env: { ...world.env, AWS_ENDPOINT_URL: world.emulator.endpoint } as NodeJS.ProcessEnv },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));

    try {
      await pollUntil(() => stdout, {
        describe: 'the fleet progress to show the first instance started',
        until: (text) => / started$/m.test(text),
      });
      child.kill('SIGINT');
      const code = await exited;

      expect(code).toBe(130);
      const executionArn = /execution {2}(\S+)/.exec(stdout)?.[1] ?? '';
      expect(stdout).toMatch(
        /Stopped watching; the fleet goes on \(RUNNING, 0 of 3 done, 0 failed so far\)\. Resume with:/,
      );
      expect(stdout).toContain(`  ec2-restore watch ${executionArn}`);
      const after = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(after.status).toBe('RUNNING');
      await executionClosed(world.emulator, executionArn);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
