/**
 * `ec2-restore local`: the emulator as a foreground process. It prints READY and the client env,
 * answers an independent client (the AWS CLI), and shuts down cleanly on SIGTERM; a pinned
 * loopback range another process holds is refused before READY, naming the holder.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SCENARIO_PATH } from '@local/emulator';
import { awsCli } from '@test/helpers/aws-cli';
import { BIN, isolatedEnv, runCli } from '@test/helpers/cli-run';
import { scratchDir } from '@test/helpers/scratch';

const scratch = scratchDir('ec2-restore-pinned-');

function readLines(child: ChildProcessWithoutNullStreams, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (until(text)) resolve(text);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before it was ready:\n${text}`)));
  });
}

it('prints READY and the client env, serves the AWS CLI, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'local', '--port', '0'], { stdio: 'pipe' });
  try {
    const text = await readLines(child, (t) => t.includes('# scenario'));
    const ready = /^READY (http:\/\/127\.0\.0\.1:\d+)$/m.exec(text);
    expect(ready).not.toBeNull();
    const env = Object.fromEntries([...text.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL: ready?.[1],
      AWS_REGION: 'us-east-1',
      EC2_RESTORE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-instance',
      EC2_RESTORE_FLEET_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-fleet',
    });

    const vaults = await awsCli(env.AWS_ENDPOINT_URL ?? '', ['backup', 'list-backup-vaults'], {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    });
    expect(vaults.code).toBe(0);
    expect(
      JSON.parse(vaults.stdout).BackupVaultList.map((v: { BackupVaultName: string }) => v.BackupVaultName),
    ).toEqual(['EC2']);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});

it('exits non-zero before READY when the pinned loopback range is taken, naming the address and the process', async () => {
  const demo = JSON.parse(readFileSync(DEMO_SCENARIO_PATH, 'utf8')) as { sshPort: number };
  const file = join(scratch, 'pinned.json');
  writeFileSync(file, JSON.stringify({ ...demo, loopbackOctet: 5 }));
  // The demo's source instance is the first address of its first subnet: 127.5.1.10.
  const taken = '127.5.1.10';
  const holder = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${demo.sshPort}, '${taken}', () => console.log('up'))`],
    { stdio: 'pipe' },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
    });
    const result = await runCli(['local', '--scenario', file, '--port', '0'], isolatedEnv(), 50_000);
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('READY');
    expect(result.stderr).toContain(`loopbackOctet 5`);
    expect(result.stderr).toContain(`${taken}:${demo.sshPort} is held by pid ${holder.pid} (`);
  } finally {
    holder.kill();
  }
});
