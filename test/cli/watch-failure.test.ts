/**
 * A restore that goes wrong, as the CLI tells it: a throttled API retried (with the reason), then
 * a failed restore job: the error, the cause, the failed step and what to do next, exit 1. And
 * Ctrl-C while watching stops the watcher, not the restore.
 */
import { spawn } from 'node:child_process';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { FAKE_CREDENTIALS } from '@local/emulator';
import { BIN, type CliEmulator, runCli, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO } from '@test/helpers/scenarios';

const restore = ['--instance-id', DEMO.instance, '--ssh-port', '2222'];

describe('a failed restore', () => {
  let world: CliEmulator;

  beforeAll(async () => {
    world = await startCliEmulator({
      faults: {
        restoreJob: { durationMinutes: 5, outcome: 'FAILED', statusMessage: 'Insufficient capacity' },
        // Three throttles outlast the Lambda's own SDK retries, so the state machine retries the step.
        apiErrors: [
          {
            api: 'backup:StartRestoreJob',
            code: 'ThrottlingException',
            status: 400,
            message: 'Rate exceeded',
            times: 3,
          },
        ],
      },
    });
  });

  afterAll(() => world.stop());

  it('shows the retry and its reason, then the error, cause, failed step and next steps, and exits 1', async () => {
    const { code, stdout, stderr } = await runCli(
      ['start', ...restore, '--wait', '--poll-interval', '0.1'],
      world.env,
    );

    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(stdout).toMatch(
      /StartRestoreJob\s+retry 1 after TransientAwsError: ThrottlingException: Rate exceeded/,
    );
    expect(stdout).toContain('Restore FAILED in PollRestoreJob');
    expect(stdout).toMatch(/ error {4}RestoreJobFailedError\n/);
    expect(stdout).toMatch(
      / cause {4}PollRestoreJob failed: Restore job \S+ FAILED: "Insufficient capacity"/,
    );
    expect(stdout).toContain('What to do next:');
    expect(stdout).toContain(`ec2-restore recovery-points --instance-id ${DEMO.instance}`);
    expect(stdout).toMatch(/ec2-restore report arn:aws:states:\S+ --out restore\.html/);
  });

  it('status of the failed execution exits 1, and its --json names the error and the failed step', async () => {
    const started = await runInProcess(['start', ...restore, '--json'], { env: world.env });
    const { executionArn } = JSON.parse(started.stdout);
    await executionClosed(world.emulator, executionArn);

    const human = await runInProcess(['status', executionArn], { env: world.env });
    const json = await runInProcess(['status', executionArn, '--json'], { env: world.env });

    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^status {5}FAILED$/m);
    expect(human.stdout).toContain('Restore FAILED in PollRestoreJob');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      executionArn,
      status: 'FAILED',
      error: 'RestoreJobFailedError',
      cause: expect.stringContaining('Insufficient capacity'),
      failedStep: 'PollRestoreJob',
      input: { instanceId: DEMO.instance, ssh: { port: 2222 } },
      output: null,
    });
  });
});

describe('a restored instance whose sshd rejects the key', () => {
  let world: CliEmulator;

  beforeAll(async () => {
    world = await startCliEmulator({ faults: { ssh: { rejectKey: true } } });
  });

  afterAll(() => world.stop());

  it('says to check the login user with --ssh-user, in CLI words, the cause printed once', async () => {
    const { code, stdout } = await runInProcess(['start', ...restore, '--wait', '--poll-interval', '0.05'], {
      env: world.env,
    });

    expect(code).toBe(1);
    expect(stdout).toMatch(/\] CheckSsh\s+failed: SshAuthenticationError\n/);
    expect(stdout).toMatch(/\] FAILED SshAuthenticationError\n/);
    expect(stdout).toContain('Restore FAILED in CheckSsh\n  error    SshAuthenticationError\n');
    const cause = /^ {2}cause {4}(.*)$/m.exec(stdout)?.[1] ?? '';
    expect(cause).toMatch(
      /^CheckSsh failed: ec2-user@\S+:2222 rejected the private key of key pair app-key \(key-\w+\) \(from SSM parameter \/ec2\/keypair\/key-\w+\) for user "ec2-user": sshd answered, but public-key authentication failed\. Check that "ec2-user" is the AMI's login user \(ubuntu for Ubuntu AMIs, admin for Debian, ec2-user for Amazon Linux and RHEL\) and that the parameter holds the private key of the key pair the source instance was launched with; the restored instance i-\w+ was kept and tagged ec2-restore:failed-step=CheckSsh$/,
    );
    expect(stdout.split('public-key authentication failed')).toHaveLength(2);
    expect(stdout).not.toContain('ssh.username');
    expect(stdout).not.toContain('.;');
    expect(stdout).toContain(
      [
        'What to do next:',
        '  - If the AMI logs in as another user, start again with --ssh-user USER (ubuntu for Ubuntu, admin for Debian, ec2-user for Amazon Linux and RHEL).',
        "  - Otherwise put the private key of the source instance's key pair in the SSM parameter the cause names (/ec2/keypair/<KeyPairId>), then start again.",
      ].join('\n'),
    );
  });
});

describe('Ctrl-C while watching', () => {
  let world: CliEmulator;
  let sfn: SFNClient;

  beforeAll(async () => {
    // A ten-hour restore job on a fixed clock: still running whenever the test presses Ctrl-C (the
    // event clock would skip straight to its end).
    world = await startCliEmulator({
      clock: { speed: 600, mode: 'fixed' },
      faults: { restoreJob: { durationMinutes: 600 } },
    });
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

  it('stops watching, leaves the restore running, says how to resume and exits 130', async () => {
    const started = await runInProcess(['start', ...restore, '--json'], { env: world.env });
    const { executionArn } = JSON.parse(started.stdout);
    const child = spawn(process.execPath, [BIN, 'watch', executionArn, '--poll-interval', '0.1'], {
      env: world.env as NodeJS.ProcessEnv,
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));

    try {
      await pollUntil(() => stdout, {
        describe: 'watch to show the restore job being polled',
        until: (text) => /PollRestoreJob/.test(text),
      });
      child.kill('SIGINT');
      const code = await exited;

      expect(code).toBe(130);
      expect(stdout).toContain('Stopped watching; the restore goes on (RUNNING). Resume with:');
      expect(stdout).toContain(`  ec2-restore watch ${executionArn}`);
      const after = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(after.status).toBe('RUNNING');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('status of a running execution names the step it is in and how to follow it', async () => {
    const started = await runInProcess(['start', ...restore, '--json'], { env: world.env });
    const { executionArn } = JSON.parse(started.stdout);
    await pollUntil(
      async () => {
        const { stdout } = await runInProcess(['status', executionArn, '--json'], { env: world.env });
        return JSON.parse(stdout).currentStep;
      },
      {
        describe: 'status to say the current step is PollRestoreJob',
        until: (step) => step === 'PollRestoreJob',
      },
    );

    const { code, stdout } = await runInProcess(['status', executionArn], { env: world.env });

    expect(code).toBe(0);
    expect(stdout).toContain('Restore RUNNING, now in PollRestoreJob');
    expect(stdout).toContain(`Follow it: ec2-restore watch ${executionArn}`);
  });
});
