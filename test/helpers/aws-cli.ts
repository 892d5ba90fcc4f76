/**
 * Runs the AWS CLI (preinstalled) against an emulator endpoint, isolated from the machine's AWS
 * configuration and credentials. The CLI starts slowly (about a second), so tests keep to a few calls.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `aws <args> --endpoint-url <endpoint> --region us-east-1 --output json`; never throws on a non-zero
 * exit. An emulator that enforces IAM needs a key it knows (`credentials`); a bare front door takes any.
 */
export async function awsCli(
  endpoint: string,
  args: readonly string[],
  credentials: { accessKeyId: string; secretAccessKey: string } = {
    accessKeyId: 'test',
    secretAccessKey: 'test',
  },
): Promise<CliResult> {
  // A HOME of its own, so the machine's ~/.aws never leaks in; removed after the call.
  const home = mkdtempSync(join(tmpdir(), 'aws-cli-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
  const argv = [...args, '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'];
  try {
    const { stdout, stderr } = await run('aws', argv, { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw new Error(`aws ${args.join(' ')} did not run: ${e.message}`);
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
