/** `--help` on every command shows an example and the global options; `--version` the package's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv, runInProcess } from '@test/helpers/cli-run';

const env = isolatedEnv();
const COMMANDS = ['start', 'watch', 'status', 'list', 'recovery-points', 'report', 'fleet', 'local', 'demo'];

it('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));

  const result = await runInProcess(['--version'], { env });

  expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
});

it('the top-level help lists every command, examples and the exit codes', async () => {
  const { code, stdout } = await runInProcess(['--help'], { env });

  expect(code).toBe(0);
  for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
  expect(stdout).toContain('Examples:');
  expect(stdout).toContain(
    'Exit codes: 0 success, 1 the restore (or any fleet member) failed, 2 bad usage or input, 3 configuration',
  );
});

it.each(COMMANDS)('%s --help shows an example and the global options', async (command) => {
  const { code, stdout } = await runInProcess([command, '--help'], { env });

  expect(code).toBe(0);
  expect(stdout).toMatch(new RegExp(`Examples?:\\n {2}ec2-restore ${command}\\b`));
  for (const option of ['--region', '--endpoint-url', '--state-machine-arn', '--json'])
    expect(stdout).toContain(option);
});

it('an unknown command or option is bad usage: exit 2', async () => {
  const command = await runInProcess(['restore-everything'], { env });
  const option = await runInProcess(['list', '--colour'], { env });

  expect(command).toMatchObject({
    code: 2,
    stderr: expect.stringContaining("unknown command 'restore-everything'"),
  });
  expect(option).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--colour'") });
});
