/**
 * `ec2-restore demo` (what `npm start` runs), as a user runs it: a child process on the built-in
 * demo scenario and on a scenario file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoScenario } from '@test/helpers/scenarios';

const BIN = join(__dirname, '..', '..', 'bin', 'ec2-restore.cjs');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ec2-restore demo', () => {
  it('restores the demo instance, progress and the report path on stderr, the output as one JSON document on stdout', () => {
    const { code, stdout, stderr } = cli('demo', '--json');

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
  });

  it('runs any scenario file, and exits 1 with the error name when the restore fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2-restore-demo-'));
    const file = join(dir, 'failing.json');
    writeFileSync(
      file,
      JSON.stringify(demoScenario({ faults: { restoreJob: { durationMinutes: 5, outcome: 'FAILED' } } })),
    );

    const { code, stdout } = cli('demo', '--scenario', file);

    expect(code).toBe(1);
    expect(stdout).toMatch(/Restore FAILED: RestoreJobFailedError/);
    expect(stdout).toMatch(/^Report: .+\.html$/m);
  });

  it('names the problem in a bad scenario file and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2-restore-demo-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ subnets: [{ id: 'subnet-x' }] }));

    const { code, stderr } = cli('demo', '--scenario', file);

    expect(code).toBe(2);
    expect(stderr).toMatch(/subnets/);
  });
});
