/**
 * `ec2-restore demo` (what `npm start` runs), as a user runs it: a child process on the built-in
 * demo scenario and on a scenario file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv, runCli } from '@test/helpers/cli-run';
import { demoScenario } from '@test/helpers/scenarios';
import { scratchDir } from '@test/helpers/scratch';

const dir = scratchDir('ec2-restore-demo-');

/**
 * As a user runs it: a child process, with nothing of the developer's AWS environment. Each run
 * writes its report into this file's scratch directory (`--report`), not a temp directory of its own.
 */
let runs = 0;
const cli = (...args: string[]) =>
  runCli([...args, '--report', join(dir, `report-${++runs}.html`)], isolatedEnv(), 120_000);

describe('ec2-restore demo', () => {
  it('restores the demo instance, progress and the report path on stderr, the output as one JSON document on stdout', async () => {
    const { code, stdout, stderr } = await cli('demo', '--json');

    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const output = JSON.parse(stdout);
    expect(output).toMatchObject({
      status: 'RESTORED',
      publicAddress: { action: 'allocated' },
      instanceProfile: { action: 'associated' },
      ssh: { reachable: true },
    });
    for (const step of [
      'SelectRecoveryPoint',
      'PollRestoreJob',
      'ReattachInstanceProfile',
      'CheckSsh',
      'Report',
    ]) {
      expect(stderr).toContain(step);
    }
    const report = /^Report: (.+\.html)$/m.exec(stderr)?.[1] ?? '';
    expect(readFileSync(report, 'utf8')).toMatch(/<svg class="timeline"[\s\S]*data-phase="restoreJob"/);
  }, 120_000); // a child process that starts an emulator: slow beside the rest of the suite on 2 cores

  it('runs any scenario file, and exits 1 with the error name when the restore fails', async () => {
    const file = join(dir, 'failing.json');
    writeFileSync(
      file,
      JSON.stringify(demoScenario({ faults: { restoreJob: { durationMinutes: 5, outcome: 'FAILED' } } })),
    );

    const { code, stdout } = await cli('demo', '--scenario', file);

    expect(code).toBe(1);
    expect(stdout).toMatch(/Restore FAILED: RestoreJobFailedError/);
    expect(stdout).toMatch(/^Report: .+\.html$/m);
  });

  it('prints the cause of a failure once: the progress lines name the error, the end gives its cause', async () => {
    const file = join(dir, 'rejected-key.json');
    writeFileSync(file, JSON.stringify(demoScenario({ faults: { ssh: { rejectKey: true } } })));

    const { code, stdout } = await cli('demo', '--scenario', file);

    expect(code).toBe(1);
    expect(stdout.split('public-key authentication failed')).toHaveLength(2);
    expect(stdout).toMatch(/\] CheckSsh\s+failed: SshAuthenticationError\n/);
    expect(stdout).toMatch(/\] FAILED SshAuthenticationError\n/);
    expect(stdout).toMatch(
      /\nRestore FAILED: SshAuthenticationError\n {2}CheckSsh failed: .*public-key authentication failed\. Check that "ec2-user" is the AMI's login user .* was launched with; the restored instance i-\w+ was kept and tagged ec2-restore:failed-step=CheckSsh\n/,
    );
  });

  it('refuses a malformed --instance-id as bad usage (exit 2), naming the flag, before any restore', async () => {
    const { code, stdout, stderr } = await cli('demo', '--instance-id', 'i-bad', '--json');

    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({
      error: { code: 'Usage', message: '--instance-id: must look like i-0123456789abcdef0 (got "i-bad")' },
    });
    expect(stderr).not.toContain('restoring');
  });

  it('names the problem in a bad scenario file and exits 2', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ subnets: [{ id: 'subnet-x' }] }));

    const { code, stderr } = await cli('demo', '--scenario', file);

    expect(code).toBe(2);
    expect(stderr).toMatch(/subnets/);
  });
});
