/**
 * `ec2-restore start --via-api` and `status --via-api` against the REST API the emulator serves
 * from the synthesised stack: signed with the caller's keys, POST /restores/{mode} and GET
 * /restores/{mode}/{name}, the answers printed as `start` and `status` print them.
 */
import { spawn } from 'node:child_process';
import { type Emulator, startEmulator } from '@local/emulator';
import { BIN, isolatedEnv, runCli, runInProcess } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { DEMO, demoScenario } from '@test/helpers/scenarios';

let emulator: Emulator;
let env: Record<string, string | undefined>;
const restore = ['--instance-id', DEMO.instance, '--ssh-port', '2222'];

beforeAll(async () => {
  emulator = await startEmulator({ scenario: demoScenario(), api: true });
  // Only the keys and the Region: a caller of the API needs no Step Functions endpoint or ARN.
  env = isolatedEnv({
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: emulator.clientEnv.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: emulator.clientEnv.AWS_SECRET_ACCESS_KEY,
  });
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
});

describe('ec2-restore start and status --via-api', () => {
  it('starts a test restore through the API and reads how it ended, as child processes', async () => {
    const started = await runCli(
      ['start', ...restore, '--mode', 'test', '--name', 'cli-e2e', '--via-api', emulator.apiUrl, '--json'],
      env,
    );

    expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
    const doc = JSON.parse(started.stdout);
    expect(doc).toEqual({
      executionArn: `${emulator.stateMachineArns.restoreInstance.replace(':stateMachine:', ':execution:')}:api-test-cli-e2e`,
      name: 'api-test-cli-e2e',
      startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      consoleUrl: expect.stringContaining('https://us-east-1.console.aws.amazon.com/states/home'),
    });
    await executionClosed(emulator, doc.executionArn);

    const status = await runCli(['status', '--via-api', emulator.apiUrl, 'api-test-cli-e2e', '--json'], env);
    expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(status.stdout)).toMatchObject({
      executionArn: doc.executionArn,
      name: 'api-test-cli-e2e',
      status: 'SUCCEEDED',
      startDate: doc.startDate,
      stopDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      error: null,
      output: { status: 'VALIDATED_AND_CLEANED_UP', mode: 'test', source: { instanceId: DEMO.instance } },
    });
  });

  it('prints the start and the status for a person, and --wait reads the API until the end', async () => {
    const started = await runInProcess(
      ['start', ...restore, '--mode', 'test', '--via-api', emulator.apiUrl],
      {
        env,
      },
    );
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^Started api-test-i-0de00000000000001-\d{8}T\d{6}Z through the API\n/);
    expect(started.stdout).toMatch(
      / {2}execution {2}arn:aws:states:us-east-1:123456789012:execution:restore-instance:api-test-/,
    );
    expect(started.stdout).toContain(
      `status     ec2-restore status --via-api ${emulator.apiUrl} --mode test api-test-`,
    );

    const waited = await runInProcess(
      [
        'start',
        ...restore,
        '--mode',
        'test',
        '--name',
        'cli-wait',
        '--wait',
        '--poll-interval',
        '0.1',
        '--via-api',
        emulator.apiUrl,
      ],
      { env },
    );
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain(
      'Started api-test-cli-wait through the API; reading its status every 0.1 s',
    );
    expect(waited.stdout).toMatch(/\nstatus {5}SUCCEEDED\n/);
    expect(waited.stdout).toMatch(/stopped {4}.+ \(\d/);
    // The execution's output, rendered as the restore summary.
    expect(waited.stdout).toMatch(/\n {2}status {12}VALIDATED_AND_CLEANED_UP\n/);

    const status = await runInProcess(
      ['status', '--via-api', emulator.apiUrl, '--mode', 'test', 'cli-wait'],
      { env },
    );
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      'execution  arn:aws:states:us-east-1:123456789012:execution:restore-instance:api-test-cli-wait',
    );
  });

  it('--wait --json prints the execution output, as start --wait --json does without the API', async () => {
    const waited = await runInProcess(
      [
        'start',
        ...restore,
        '--mode',
        'test',
        '--name',
        'cli-wait-json',
        '--wait',
        '--poll-interval',
        '0.1',
        '--via-api',
        emulator.apiUrl,
        '--json',
      ],
      { env },
    );

    expect(waited.code).toBe(0);
    const output = JSON.parse(waited.stdout);
    expect(output).toMatchObject({ status: 'VALIDATED_AND_CLEANED_UP', mode: 'test' });
    expect(output.source.instanceId).toBe(DEMO.instance);
    expect(output).not.toHaveProperty('startDate'); // the API's status wrapper
  });

  it("exits 2 with the model's reason when the API refuses the body, and starts nothing", async () => {
    const refused = await runInProcess(
      [
        'start',
        ...restore,
        '--mode',
        'test',
        '--public-ip',
        'always',
        '--name',
        'cli-refused',
        '--via-api',
        emulator.apiUrl,
      ],
      { env },
    );

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('The API refused POST');
    expect(refused.stderr).toContain('Invalid request body [instance value ("always") not found in enum');
    const names = emulator.sfn
      .listExecutions({ stateMachineArn: emulator.stateMachineArns.restoreInstance })
      .executions?.map((e) => e.name);
    expect(names).not.toContain('api-test-cli-refused');
  });

  it('exits 3 when the API refuses the signature', async () => {
    const forged = await runInProcess(['status', '--via-api', emulator.apiUrl, 'api-test-cli-e2e'], {
      env: { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    });

    expect(forged.code).toBe(3);
    expect(forged.stderr).toContain(
      'The API refused the request (InvalidSignatureException: The request signature we calculated does not match',
    );
  });

  it('exits 2 for a name the API does not know, and asks for the mode of a name without a prefix', async () => {
    const missing = await runInProcess(['status', '--via-api', emulator.apiUrl, 'api-recovery-never'], {
      env,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'No such execution: arn:aws:states:us-east-1:123456789012:execution:restore-instance:api-recovery-never',
    );

    const unprefixed = await runInProcess(['status', '--via-api', emulator.apiUrl, 'never'], { env });
    expect(unprefixed.code).toBe(2);
    expect(unprefixed.stderr).toContain('pass --mode test|recovery');
  });
});

describe('ec2-restore local', () => {
  it('prints the REST API URL, which --via-api takes as it is', async () => {
    const child = spawn(process.execPath, [BIN, 'local', '--port', '0'], { stdio: 'pipe' });
    try {
      let text = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (text.includes('# scenario')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before it was ready:\n${text}`)));
      });
      const url =
        /^# REST API (http:\/\/127\.0\.0\.1:\d+\/restapis\/[a-z0-9]{10}\/v1\/_user_request_) /m.exec(
          text,
        )?.[1];
      expect(url).toBeDefined();
      const keys = Object.fromEntries(
        [...text.matchAll(/^export (AWS_\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
      );

      const missing = await runCli(
        ['status', '--via-api', url ?? '', 'api-test-nothing'],
        isolatedEnv(keys),
        60_000,
      );
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('No such execution');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
