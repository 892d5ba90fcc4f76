/**
 * The bundling every step Lambda deploys with (infra/lambda-bundling.ts and its esbuild plugins):
 * the plugins change nothing a step does, and a deployed EC2 step bundle runs real calls.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inlineSchemaKeys } from '@infra/bundling/inline-sdk-schema-keys';
import { rewriteSsh2, SSH2_CLIENT_FILE } from '@infra/bundling/ssh2-client-only';
import { bundleSteps, lambdaBuildOptions } from '@infra/lambda-bundling';
import { Ec2Adapter } from '@local/services/ec2';
import { IamAdapter } from '@local/services/iam';
import { functionEnvironments } from '@shared/function-environments';
import { type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import { parseableEd25519Key } from '@test/helpers/ssh-keys';
import { stateAfter } from '@test/helpers/workflow-state';
import { build } from 'esbuild';
import { Server, utils } from 'ssh2';
import type { ProbeIds, ProbeResult, RawExchange } from './fixtures/ec2-schema-probe';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
const IDS: ProbeIds = {
  instanceId: DEMO.instance,
  subnetId: DEMO.subnet,
  securityGroupId: DEMO.securityGroup,
  keyName: DEMO.keyName,
  profileName: DEMO.profileName,
};

type Probe = (
  mode: { record: string } | { replay: readonly RawExchange[] },
  ids: ProbeIds,
) => Promise<ProbeResult>;

let dir: string;
const frontDoors: FrontDoor[] = [];

/** A fresh demo world per test: the probe terminates the instance the step test waits for. */
async function emulator(): Promise<FrontDoor> {
  const frontDoor = await startFrontDoor(demoScenario(), (world) => ({
    ec2: new Ec2Adapter(world),
    iam: new IamAdapter(world),
  }));
  frontDoors.push(frontDoor);
  return frontDoor;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lambda-bundling-test-'));
});

afterAll(async () => {
  await Promise.all(frontDoors.map((f) => f.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('inlineSchemaKeys', () => {
  it('writes string constants into computed keys and leaves everything else as it was', () => {
    const source = [
      'const _a = "Address";',
      'const _xN = "xmlName";',
      'const n0 = "com.amazonaws.ec2";',
      'export var A$ = [3, n0, _a, 0, [_a], [[0, { [_xN]: _a }]]];',
      'export var B$ = { [_unknown]: 1, [n0]: 2 };',
    ].join('\n');
    const out = inlineSchemaKeys(source);
    expect(out).toContain('[[0, { ["xmlName"]: _a }]]');
    // Not a `_name` string constant: kept as a computed key.
    expect(out).toContain('{ [_unknown]: 1, [n0]: 2 }');
    // Only keys change, never values.
    expect(out).toContain('[3, n0, _a, 0, [_a],');
  });
});

describe('ssh2-client-only', () => {
  it("rewrites ssh2's client.js and fails loudly when ssh2's text no longer matches", () => {
    const file = join(ROOT, 'node_modules', 'ssh2', 'lib', 'client.js');
    const out = rewriteSsh2(file, readFileSync(file, 'utf8'));
    expect(out).not.toContain("const { SFTP } = require('./protocol/SFTP.js');");
    expect(out).toContain("require('./protocol/SFTP.js').SFTP");
    expect(() => rewriteSsh2(file, '// not ssh2')).toThrow(/no longer contains/);
  });
});

/** The probe bundled as deployed, or as deployed without any plugin (the SDK's schema whole). */
async function bundleProbe(name: string, withPlugins: boolean): Promise<Probe> {
  const outfile = join(dir, `${name}.js`);
  await build({
    ...lambdaBuildOptions(),
    ...(withPlugins ? {} : { plugins: [] }),
    entryPoints: [join(__dirname, 'fixtures', 'ec2-schema-probe.ts')],
    outfile,
    logLevel: 'silent',
  });
  return (require(outfile) as { probe: Probe }).probe;
}

it('every EC2 call the steps make serialises and parses the same with the schema plugin as with the whole schema', async () => {
  const whole = await bundleProbe('whole-schema', false);
  const trimmed = await bundleProbe('trimmed-schema', true);
  const reference = await whole({ record: (await emulator()).endpoint }, IDS);
  const replayed = await trimmed({ replay: reference.exchanges }, IDS);

  // The reference itself parsed the emulator's answers (else the comparison proves nothing).
  const [described, , subnets, , keyPairs, , allocated] = reference.outputs as Record<string, never>[];
  expect(described).toMatchObject({
    Reservations: [
      { Instances: [{ InstanceId: DEMO.instance, SubnetId: DEMO.subnet, KeyName: DEMO.keyName }] },
    ],
  });
  expect(subnets).toMatchObject({ Subnets: [{ SubnetId: DEMO.subnet, VpcId: DEMO.vpc }] });
  expect(keyPairs).toMatchObject({ KeyPairs: [{ KeyName: DEMO.keyName, KeyPairId: DEMO.keyPairId }] });
  expect(allocated).toMatchObject({ AllocationId: expect.stringMatching(/^eipalloc-/) });

  expect(replayed.exchanges.map((e) => e.request)).toEqual(reference.exchanges.map((e) => e.request));
  expect(replayed.outputs).toEqual(reference.outputs);
  // And the plugin did trim: the bundle is far smaller than with the whole schema.
  const size = (name: string) => readFileSync(join(dir, `${name}.js`)).length;
  expect(size('trimmed-schema')).toBeLessThan(size('whole-schema') * 0.7);
}, 120_000);

it('the deployed bundle of an EC2 step runs in a fresh process against the emulator', async () => {
  const frontDoor = await emulator();
  await bundleSteps({ steps: ['wait-instance'], outdir: join(dir, 'wait-instance'), flat: true });
  const restored = stateAfter('restore');
  // The demo world's instance stands in for the restored one.
  const state = { ...restored, restoreJob: { ...restored.restoreJob, createdInstanceId: DEMO.instance } };
  const env = (
    functionEnvironments({ restoreRoleArn: 'arn:aws:iam::123456789012:role/r' }) as Record<
      string,
      Record<string, string>
    >
  )['wait-instance'];
  const script = `require(process.argv[1]).handler(JSON.parse(process.argv[2])).then(
    (r) => process.stdout.write('\\n' + JSON.stringify(r)),
    (e) => { process.stderr.write(String(e && e.stack || e)); process.exitCode = 1; })`;
  const { stdout } = await run(
    process.execPath,
    ['-e', script, join(dir, 'wait-instance', 'index.js'), JSON.stringify(state)],
    {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL: frontDoor.endpoint,
        ...env,
      },
      timeout: 60_000,
    },
  );
  // The step's JSON logs come first; the result is the last line.
  // The step returns its slice, parsed from DescribeInstances through the trimmed schema.
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({
    instanceId: DEMO.instance,
    state: 'running',
    privateIp: expect.stringMatching(/^127\./),
    subnetId: DEMO.subnet,
    vpcId: DEMO.vpc,
    instanceProfileArn: expect.stringContaining(`instance-profile/${DEMO.profileName}`),
    ready: true,
  });
}, 120_000);

it("check-ssh's handshake, bundled as deployed (ssh2's client in its own file, loaded on first use), authenticates and tells a refused key", async () => {
  const entry = join(dir, 'handshake-entry.ts');
  writeFileSync(
    entry,
    `export { ssh2Handshake } from '${join(ROOT, 'lambdas', 'check-ssh', 'ssh-handshake')}';\n`,
  );
  const outfile = join(dir, 'handshake.js');
  await build({ ...lambdaBuildOptions(), entryPoints: [entry], outfile, logLevel: 'silent' });
  const bundled = readFileSync(outfile, 'utf8');
  const client = readFileSync(join(dir, SSH2_CLIENT_FILE), 'utf8');
  // ssh2's client (lib/client.js) is in the file beside the bundle, not in it; its server
  // (lib/server.js) and key generation (lib/keygen.js) are in neither.
  expect(bundled).not.toContain('Invalid username');
  expect(client).toContain('Invalid username');
  for (const text of [bundled, client]) {
    expect(text).not.toContain('Change request already in progress');
    expect(text).not.toContain('RSA bits must be an integer');
  }
  const { ssh2Handshake } = require(outfile) as typeof import('@lambdas/check-ssh/ssh-handshake');

  const userKey = parseableEd25519Key();
  const allowed = utils.parseKey(userKey);
  if (allowed instanceof Error) throw allowed;
  const server = new Server({ hostKeys: [parseableEd25519Key()] }, (client) => {
    client.on('authentication', (ctx) => {
      const ok =
        ctx.method === 'publickey' &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || allowed.verify(ctx.blob as Buffer, ctx.signature, ctx.hashAlgo) === true);
      if (ok) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => client.end());
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const attempt = (privateKey: string) =>
      ssh2Handshake({ host: '127.0.0.1', port, username: 'ec2-user', privateKey, timeoutMs: 10_000 });
    expect(await attempt(userKey)).toMatchObject({
      outcome: 'ready',
      hostKeyFingerprint: expect.stringMatching(/^SHA256:/),
    });
    expect(await attempt(parseableEd25519Key())).toMatchObject({ outcome: 'auth-rejected' });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
