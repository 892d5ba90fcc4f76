/**
 * `ec2-restore local` exports the operator's credentials, bound to the stack's operator policy
 * (infra/constructs/operator-policies.ts), and prints the administrator's as one comment line. The
 * AWS CLI, an independent client, shows the difference; the CLI's own commands work as operator.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { awsCli } from '@test/helpers/aws-cli';
import { BIN, isolatedEnv, runCli } from '@test/helpers/cli-run';
import { DEMO } from '@test/helpers/scenarios';

let child: ChildProcessWithoutNullStreams;
let env: Record<string, string>;
let admin: { accessKeyId: string; secretAccessKey: string };
let printed: string;

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'local', '--port', '0', '--clock', 'event'], { stdio: 'pipe' });
  printed = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('# scenario')) resolve(text);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before it was ready:\n${text}`)));
  });
  env = Object.fromEntries(
    [...printed.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
  const line = /^# admin AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)$/m.exec(printed);
  if (!line) throw new Error(`no admin line in:\n${printed}`);
  admin = { accessKeyId: line[1] ?? '', secretAccessKey: line[2] ?? '' };
});
afterAll(() => {
  child.kill('SIGTERM');
});

const operator = () => ({
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
});
const endpoint = () => env.AWS_ENDPOINT_URL ?? '';
const keyParameter = [
  'ssm',
  'get-parameter',
  '--name',
  `/ec2/keypair/${DEMO.keyPairId}`,
  '--with-decryption',
];

it('exports the operator key and prints the administrator key as exactly one comment line', () => {
  expect(printed.match(/^# admin /gm)).toHaveLength(1);
  expect(env.AWS_ACCESS_KEY_ID).toMatch(/^ASIA[0-9A-F]{16}$/);
  expect(admin.accessKeyId).not.toBe(env.AWS_ACCESS_KEY_ID);
  expect(printed).not.toContain(`export AWS_ACCESS_KEY_ID=${admin.accessKeyId}`);
});

it('operator: aws ec2 terminate-instances and reading a private key are denied', async () => {
  const terminate = await awsCli(
    endpoint(),
    ['ec2', 'terminate-instances', '--instance-ids', DEMO.instance],
    operator(),
  );
  expect(terminate.code).not.toBe(0);
  expect(terminate.stderr).toContain('(UnauthorizedOperation)');
  expect(terminate.stderr).toContain(
    `User: arn:aws:iam::123456789012:user/ec2-restore-operator is not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/${DEMO.instance}`,
  );

  const secret = await awsCli(endpoint(), keyParameter, operator());
  expect(secret.code).not.toBe(0);
  expect(secret.stderr).toContain('(AccessDeniedException)');
  expect(secret.stderr).toContain('is not authorized to perform: ssm:GetParameter');
});

it("operator: the CLI's own commands work (recovery-points, start --wait, status, list)", async () => {
  const cliEnv = isolatedEnv(env);
  const points = await runCli(['recovery-points', '--instance-id', DEMO.instance, '--json'], cliEnv);
  expect(points.code).toBe(0);
  const started = await runCli(
    ['start', '--instance-id', DEMO.instance, '--mode', 'test', '--name', 'as-operator', '--wait', '--json'],
    cliEnv,
    60_000,
  );
  expect(started.stderr).not.toMatch(/not authorized|AccessDenied/);
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout).status).toBe('VALIDATED_AND_CLEANED_UP');
  const status = await runCli(['status', 'as-operator', '--json'], cliEnv);
  expect(status.code).toBe(0);
  const list = await runCli(['list', '--json'], cliEnv);
  expect(list.code).toBe(0);
});

it('operator: start --via-api works (the Operator policy grants the API); sweep is refused, naming the permission, and works as administrator', async () => {
  const cliEnv = isolatedEnv(env);
  const apiUrl = /^# REST API (\S+)/m.exec(printed)?.[1] ?? '';
  const viaApi = await runCli(
    [
      'start',
      '--instance-id',
      DEMO.instance,
      '--dry-run',
      '--via-api',
      apiUrl,
      '--wait',
      '--poll-interval',
      '0.2',
      '--json',
    ],
    cliEnv,
    60_000,
  );
  expect({ code: viaApi.code, stderr: viaApi.code === 0 ? '' : viaApi.stderr }).toEqual({
    code: 0,
    stderr: '',
  });
  expect(JSON.parse(viaApi.stdout).status).toBe('PLANNED');

  const refused = await runCli(['sweep', '--json'], cliEnv);
  expect(refused.code).toBe(3);
  expect(JSON.parse(refused.stdout).error).toMatchObject({
    code: 'AccessDenied',
    message: expect.stringContaining('is not authorized to perform: ec2:DescribeInstances'),
  });
  const swept = await runCli(
    ['sweep', '--json'],
    isolatedEnv({
      ...env,
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
    }),
  );
  expect(swept.code).toBe(0);
});

it('administrator: reading the private key and terminating are allowed', async () => {
  const secret = await awsCli(endpoint(), keyParameter, admin);
  expect(secret.code).toBe(0);
  expect(JSON.parse(secret.stdout).Parameter.Value).toContain('PRIVATE KEY');
  const terminate = await awsCli(
    endpoint(),
    ['ec2', 'terminate-instances', '--instance-ids', DEMO.instance],
    admin,
  );
  expect(terminate.code).toBe(0);
});
