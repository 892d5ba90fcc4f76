/**
 * `ec2-restore local`: the emulator as a foreground process. It prints READY and the client env,
 * answers an independent client (the AWS CLI), and shuts down cleanly on SIGTERM.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { awsCli } from '@test/helpers/aws-cli';
import { BIN } from '@test/helpers/cli-run';

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

    const vaults = await awsCli(env.AWS_ENDPOINT_URL ?? '', ['backup', 'list-backup-vaults']);
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
