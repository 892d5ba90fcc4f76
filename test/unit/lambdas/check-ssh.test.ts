import { createHash } from 'node:crypto';
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { type CheckSshDeps, checkSsh } from '@lambdas/check-ssh/check-ssh';
import { step } from '@lambdas/check-ssh/handler';
import type { SshHandshakeOptions, SshHandshakeResult } from '@lambdas/check-ssh/ssh-handshake';
import { SshAuthenticationError, SshUnreachableError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import type { RestoreRequestInput } from '@shared/restore-request';
import { requireSlices, type SshState, type WorkflowState } from '@shared/workflow-state';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';
import { type Connection, Server, utils } from 'ssh2';

const { clients, mocks } = mockAws();

const hostKey = utils.generateKeyPairSync('ed25519');
const instanceKey = utils.generateKeyPairSync('ed25519');
const strangerKey = utils.generateKeyPairSync('ed25519');
const LOOPBACK = '127.0.0.1';
const KEY_PARAMETER = `/ec2/keypair/${IDS.keyPairId}`;
const STARTED = at(1260);

/** A real sshd stand-in: accepts exactly one user's public key, with a verified signature. */
class TestSshServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  port = 0;

  constructor(allowedPublicKey: string, allowedUser = 'ec2-user') {
    const allowed = utils.parseKey(allowedPublicKey);
    if (allowed instanceof Error) throw allowed;
    this.server = new Server({ hostKeys: [hostKey.private] }, (connection) => {
      this.connections.add(connection);
      connection
        .on('authentication', (ctx) => {
          const keyMatches =
            ctx.method === 'publickey' &&
            ctx.username === allowedUser &&
            ctx.key.algo === allowed.type &&
            ctx.key.data.equals(allowed.getPublicSSH()) &&
            (ctx.signature === undefined ||
              (ctx.blob !== undefined && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)));
          if (keyMatches) ctx.accept();
          else ctx.reject(['publickey']);
        })
        .on('error', () => undefined)
        .on('close', () => this.connections.delete(connection));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, LOOPBACK, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** OpenSSH's fingerprint of the test host key, computed from the public key file. */
function expectedHostFingerprint(): string {
  const parsed = utils.parseKey(hostKey.public);
  if (parsed instanceof Error) throw parsed;
  return `SHA256:${createHash('sha256').update(parsed.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}

/** A port on which nothing listens: bind, read the port, close. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function sshState(
  port: number,
  request: Partial<RestoreRequestInput> = {},
  previous?: SshState,
): WorkflowState {
  const base = requireSlices(stateAfter('address'), 'address');
  const { ssh, ...rest } = request;
  return {
    ...stateAfter('address', {
      request: { instanceId: IDS.sourceInstance, ...rest, ssh: { port, ...(ssh ?? {}) } },
      address: { ...base.address, publicIp: LOOPBACK },
    }),
    ...(previous ? { ssh: previous } : {}),
  };
}

function givenKey(value: string = instanceKey.private) {
  mocks.ssm
    .on(GetParameterCommand)
    .resolves({ Parameter: { Name: KEY_PARAMETER, Type: 'SecureString', Value: value } });
}

function deps(overrides: Partial<CheckSshDeps> = {}) {
  const captured = captureLogger();
  return {
    lines: captured.lines,
    deps: {
      ssm: clients.ssm,
      now: () => STARTED,
      logger: captured.logger,
      connectTimeoutSeconds: 5,
      retrySeconds: 15,
      ...overrides,
    } satisfies CheckSshDeps,
  };
}

/** A stand-in for one handshake, for the tests about choosing a host. */
function recordingHandshake(
  result: SshHandshakeResult = { outcome: 'ready', hostKeyFingerprint: 'SHA256:x' },
) {
  const calls: SshHandshakeOptions[] = [];
  return {
    calls,
    handshake: async (options: SshHandshakeOptions) => {
      calls.push(options);
      return result;
    },
  };
}

describe('check-ssh over a real SSH handshake', () => {
  let server: TestSshServer | undefined;
  let silentServer: NetServer | undefined;
  const silentSockets = new Set<Socket>();

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    for (const socket of silentSockets) socket.destroy();
    silentSockets.clear();
    await new Promise<void>((resolve) => (silentServer ? silentServer.close(() => resolve()) : resolve()));
    silentServer = undefined;
  });

  it('authenticates with the key pair’s private key from SSM and records the host key fingerprint', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    const { deps: checkDeps } = deps();

    const ssh = await checkSsh(sshState(server.port), checkDeps);

    expect(ssh).toEqual({
      enabled: true,
      reachable: true,
      host: LOOPBACK,
      port: server.port,
      username: 'ec2-user',
      attempts: 1,
      hostKeyFingerprint: expectedHostFingerprint(),
      lastError: null,
      startedAt: STARTED.toISOString(),
      deadline: at(1260 + 600).toISOString(),
      readyAt: STARTED.toISOString(),
      done: true,
      nextWaitSeconds: 0,
    });
    expect(mocks.ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: KEY_PARAMETER,
      WithDecryption: true,
    });
  });

  it('accepts a private key stored with Windows line ends', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey(instanceKey.private.replace(/\n/g, '\r\n'));

    const ssh = await checkSsh(sshState(server.port), deps().deps);

    expect(ssh.reachable).toBe(true);
  });

  it('fails at once with SshAuthenticationError naming the key pair and user when the key is rejected', async () => {
    server = await new TestSshServer(strangerKey.public).start();
    givenKey();

    const error = await checkSsh(sshState(server.port), deps().deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SshAuthenticationError);
    const { message } = error as SshAuthenticationError;
    expect(message).toContain(`key pair ${IDS.keyName} (${IDS.keyPairId})`);
    expect(message).toContain('"ec2-user"');
    expect(message).toContain('ubuntu for Ubuntu AMIs');
  });

  it('returns not-done with ECONNREFUSED and the retry wait when nothing listens yet', async () => {
    givenKey();
    const port = await closedPort();

    const ssh = await checkSsh(sshState(port), deps().deps);

    expect(ssh).toMatchObject({
      enabled: true,
      reachable: false,
      done: false,
      attempts: 1,
      lastError: 'ECONNREFUSED',
      nextWaitSeconds: 15,
      hostKeyFingerprint: null,
      deadline: at(1260 + 600).toISOString(),
    });
  });

  it('keeps the first attempt’s deadline and fails with SshUnreachableError once it has passed', async () => {
    givenKey();
    const port = await closedPort();
    const first = await checkSsh(sshState(port), deps().deps);

    const error = await checkSsh(sshState(port, {}, first), deps({ now: () => at(1260 + 601) }).deps).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(SshUnreachableError);
    const { message } = error as SshUnreachableError;
    expect(message).toContain('2 attempt(s)');
    expect(message).toContain('last error: ECONNREFUSED');
    expect(message).toContain(`security group(s) ${IDS.securityGroup} allow TCP ${port}`);
    expect(message).toContain('sshd');
  });

  it('never waits past the deadline before the last attempt', async () => {
    givenKey();
    const port = await closedPort();
    const first = await checkSsh(sshState(port), deps().deps);

    const second = await checkSsh(sshState(port, {}, first), deps({ now: () => at(1260 + 595) }).deps);

    expect(second).toMatchObject({
      done: false,
      attempts: 2,
      nextWaitSeconds: 5,
      startedAt: first.startedAt,
    });
  });

  it('retries when the host accepts TCP but never completes the handshake', async () => {
    givenKey();
    silentServer = createServer((socket) => silentSockets.add(socket));
    await new Promise<void>((resolve) => silentServer?.listen(0, LOOPBACK, resolve));
    const { port } = silentServer.address() as AddressInfo;

    const ssh = await checkSsh(sshState(port), deps({ connectTimeoutSeconds: 1 }).deps);

    expect(ssh).toMatchObject({ done: false, reachable: false, lastError: 'handshake timed out' });
  });

  it('never puts the private key in its result, its errors or its logs', async () => {
    givenKey();
    const keyLines = instanceKey.private
      .split('\n')
      .filter((line) => line.length > 0 && !line.startsWith('-----'));
    const { deps: okDeps, lines } = deps();
    server = await new TestSshServer(instanceKey.public).start();
    const reachable = await checkSsh(sshState(server.port), okDeps);
    const retry = await checkSsh(sshState(await closedPort()), okDeps);
    await server.stop();
    server = await new TestSshServer(strangerKey.public).start();

    const rejected = await checkSsh(sshState(server.port), okDeps).catch((e: unknown) => e);

    const everything = [JSON.stringify(reachable), JSON.stringify(retry), String(rejected), ...lines].join(
      '\n',
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(rejected).toBeInstanceOf(SshAuthenticationError);
    for (const line of keyLines) expect(everything).not.toContain(line);
  });

  it('runs through the Lambda handler with its environment defaults', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    const handler = createHandler(step, {
      env: { SSH_CONNECT_TIMEOUT_SECONDS: '5' },
      clients,
      now: () => STARTED,
      logger: captureLogger().logger,
    });

    const ssh = await handler(sshState(server.port));

    expect(ssh.reachable).toBe(true);
  });
});

describe('check-ssh choices before connecting', () => {
  it('reports the check as disabled, without any AWS call, when ssh.enabled is false', async () => {
    const state = sshState(22, { ssh: { enabled: false } });

    const ssh = await checkSsh(state, deps().deps);

    expect(ssh).toMatchObject({
      enabled: false,
      reachable: false,
      done: true,
      host: null,
      nextWaitSeconds: 0,
    });
    expect(mocks.ssm.calls()).toHaveLength(0);
    expect(mocks.ec2.calls()).toHaveLength(0);
  });

  it.each([
    ['auto', IDS.publicIp, IDS.publicIp],
    ['auto', null, IDS.privateIp],
    ['public', IDS.publicIp, IDS.publicIp],
    ['private', IDS.publicIp, IDS.privateIp],
  ] as const)(
    'with target %s and public address %s connects to %s',
    async (target, publicIp, expectedHost) => {
      givenKey();
      const base = requireSlices(sshState(22, { ssh: { target } }), 'address');
      const state = { ...base, address: { ...base.address, publicIp } };
      const { calls, handshake } = recordingHandshake();

      const ssh = await checkSsh(state, deps({ handshake }).deps);

      expect(calls[0]?.host).toBe(expectedHost);
      expect(ssh.host).toBe(expectedHost);
    },
  );

  it('fails with SshUnreachableError explaining the missing public address when target is public', async () => {
    givenKey();
    const base = requireSlices(sshState(22, { ssh: { target: 'public' } }), 'address');
    const state = {
      ...base,
      address: { ...base.address, action: 'disabled' as const, reason: 'publicIp is never', publicIp: null },
    };

    const failure = checkSsh(state, deps(recordingHandshake()).deps);

    await expect(failure).rejects.toBeInstanceOf(SshUnreachableError);
    await expect(failure).rejects.toThrow(/no public IPv4 address \(publicIp is never\)/);
  });

  it('returns a check that is already done unchanged, without reading the key or connecting', async () => {
    givenKey();
    const { calls, handshake } = recordingHandshake();
    const proven = await checkSsh(sshState(22), deps({ handshake }).deps);
    mocks.ssm.resetHistory();

    const again = await checkSsh({ ...sshState(22), ssh: proven }, deps({ handshake }).deps);

    expect(again).toBe(proven);
    expect(calls).toHaveLength(1);
    expect(mocks.ssm.calls()).toHaveLength(0);
  });

  it('reads the key from SSM once per invocation when the same call tries again', async () => {
    givenKey();
    const keys = new Map();
    const { handshake } = recordingHandshake();

    await checkSsh(sshState(22), deps({ handshake, keys }).deps);
    await checkSsh(sshState(22), deps({ handshake, keys }).deps);

    expect(mocks.ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  it('refuses to run without a key parameter, which PlanRestore always resolves', async () => {
    const base = requireSlices(sshState(22), 'plan');
    const state = { ...base, plan: { ...base.plan, privateKeyParameter: null } };

    await expect(checkSsh(state, deps(recordingHandshake()).deps)).rejects.toThrow(TypeError);
    expect(mocks.ssm.calls()).toHaveLength(0);
  });

  it('reads the parameter the request names instead of the key pair’s', async () => {
    givenKey();

    await checkSsh(
      sshState(22, { ssh: { privateKeyParameter: '/team/app-key' } }),
      deps(recordingHandshake()).deps,
    );

    expect(mocks.ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: '/team/app-key',
      WithDecryption: true,
    });
  });

  it('fails with SshAuthenticationError naming the parameter when the private key cannot be read', async () => {
    mocks.ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));

    const failure = checkSsh(sshState(22), deps(recordingHandshake()).deps);

    await expect(failure).rejects.toBeInstanceOf(SshAuthenticationError);
    await expect(failure).rejects.toThrow(`SSM parameter ${KEY_PARAMETER}: ParameterNotFound`);
  });

  it('reports a key that is not a usable private key without echoing it', async () => {
    givenKey('not a key at all, secret-ish text');

    const failure = checkSsh(sshState(await closedPort()), deps().deps);

    await expect(failure).rejects.toBeInstanceOf(SshAuthenticationError);
    await expect(failure).rejects.toThrow(/cannot be used/);
    await expect(failure).rejects.not.toThrow(/secret-ish/);
  });
});
