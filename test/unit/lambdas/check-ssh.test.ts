import { createHash } from 'node:crypto';
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net';
import {
  DescribeInstanceAttributeCommand,
  GetConsoleOutputCommand,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { type CheckSshDeps, checkSsh } from '@lambdas/check-ssh/check-ssh';
import { step } from '@lambdas/check-ssh/handler';
import { lambdaProbeInvoker, type ProbeInvoker } from '@lambdas/check-ssh/probe-invoker';
import type { SshHandshakeOptions, SshHandshakeResult } from '@lambdas/check-ssh/ssh-handshake';
import { createProbeHandler } from '@lambdas/ssh-probe/handler';
import { SshAuthenticationError, SshUnreachableError, ValidationCheckError } from '@shared/errors';
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
const ANY_FINGERPRINT = `SHA256:${'x'.repeat(43)}`;

/** A real sshd stand-in: accepts exactly one user's public key, with a verified signature. */
class TestSshServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  port = 0;
  /** Authentication requests seen: a host-key mismatch must end the connection before any. */
  authAttempts = 0;

  constructor(allowedPublicKey: string, allowedUser = 'ec2-user') {
    const allowed = utils.parseKey(allowedPublicKey);
    if (allowed instanceof Error) throw allowed;
    this.server = new Server({ hostKeys: [hostKey.private] }, (connection) => {
      this.connections.add(connection);
      connection
        .on('authentication', (ctx) => {
          this.authAttempts += 1;
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
        .on('ready', () =>
          connection.on('session', (accept) =>
            accept().on('exec', (acceptExec, _reject, info) => {
              // `exit N` exits N; `big` prints 5000 bytes; anything else echoes itself.
              const stream = acceptExec();
              const exit = /^exit (\d+)$/.exec(info.command);
              if (info.command === 'big') stream.write('x'.repeat(5000));
              else if (!exit) stream.write(`ran ${info.command}\n`);
              stream.exit(exit ? Number(exit[1]) : 0);
              stream.end();
            }),
          ),
        )
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

/** The instance console as cloud-init leaves it (docs/aws-facts.md I.4); null: nothing posted yet. */
function givenConsole(fingerprints: readonly string[] | null = [expectedHostFingerprint()]) {
  const lines = (fingerprints ?? []).map(
    (f) => `<14>Nov 28 10:21:03 cloud-init: 256 ${f} root@ip-10-0-1-20 (ED25519)`,
  );
  const text = [
    '[    1.234] Linux version 6.1',
    '<14>Nov 28 10:21:03 cloud-init: #############################################################',
    '<14>Nov 28 10:21:03 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    ...lines,
    '<14>Nov 28 10:21:03 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----',
  ].join('\n');
  mocks.ec2
    .on(GetConsoleOutputCommand)
    .resolves(
      fingerprints
        ? { InstanceId: IDS.restoredInstance, Output: Buffer.from(text).toString('base64') }
        : { InstanceId: IDS.restoredInstance },
    );
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
      ec2: clients.ec2,
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
  result: SshHandshakeResult = { outcome: 'ready', hostKeyFingerprint: ANY_FINGERPRINT, checks: [] },
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

  it('authenticates with the key pair’s private key from SSM after checking the host key against the console', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole();
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
      hostKeyVerified: true,
      hostKeyVerification: `the offered host key ${expectedHostFingerprint()} is one of the fingerprints ${IDS.restoredInstance} printed on its console`,
      checks: [],
      from: 'internet',
      probeFunction: null,
      securityGroups: null,
      lastError: null,
      startedAt: STARTED.toISOString(),
      deadline: at(1260 + 600).toISOString(),
      readyAt: STARTED.toISOString(),
      done: true,
      nextWaitSeconds: 0,
    });
    expect(mocks.ec2).toHaveReceivedCommandWith(GetConsoleOutputCommand, {
      InstanceId: IDS.restoredInstance,
      Latest: true,
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

  it('fails with SshAuthenticationError naming both fingerprints, before offering the key, when the host key is not the console’s', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    const consoleFingerprint = `SHA256:${'A'.repeat(43)}`;
    givenConsole([consoleFingerprint]);

    const error = await checkSsh(sshState(server.port), deps().deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SshAuthenticationError);
    expect(String(error)).toContain(`offered host key ${expectedHostFingerprint()}`);
    expect(String(error)).toContain(`printed on its console (${consoleFingerprint})`);
    expect(server.authAttempts).toBe(0);
  });

  it('waits for the console while sshd answers, then records the key unverified at the deadline and says why', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole(null);

    const waiting = await checkSsh(sshState(server.port), deps().deps);
    expect(waiting).toMatchObject({ done: false, reachable: true, hostKeyVerified: false });
    const attemptsBefore = server.authAttempts;
    const still = await checkSsh(
      sshState(server.port, {}, waiting),
      deps({ now: () => at(1260 + 300) }).deps,
    );
    expect(still).toMatchObject({ done: false, attempts: 1 });
    expect(server.authAttempts).toBe(attemptsBefore);

    const last = await checkSsh(
      sshState(server.port, { ssh: { port: server.port, commands: ['true'] } }, still),
      deps({ now: () => at(1260 + 590) }).deps,
    );

    expect(last).toMatchObject({
      done: true,
      reachable: true,
      hostKeyVerified: false,
      hostKeyFingerprint: expectedHostFingerprint(),
      hostKeyVerification:
        'not verified: no SSH HOST KEY FINGERPRINTS block appeared on the instance console within the SSH deadline, so the host key was recorded, not checked',
      checks: [{ command: 'true', exitCode: 0, timedOut: false, output: 'ran true\n', truncated: false }],
    });
  });

  it('records the key unverified at once, saying why, when IAM denies reading the console', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    mocks.ec2
      .on(GetConsoleOutputCommand)
      .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));

    const ssh = await checkSsh(sshState(server.port), deps().deps);

    expect(ssh).toMatchObject({
      done: true,
      reachable: true,
      attempts: 1,
      hostKeyVerified: false,
      hostKeyFingerprint: expectedHostFingerprint(),
      hostKeyVerification:
        'not verified: the console could not be read (UnauthorizedOperation: You are not authorized to perform this operation.; grant ec2:GetConsoleOutput), so the host key was recorded, not checked',
    });
  });

  it('runs ssh.commands on the verified session and keeps each exit code and the first 2 KiB of output', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole();

    const ssh = await checkSsh(
      sshState(server.port, { ssh: { port: server.port, commands: ['systemctl is-active nginx', 'big'] } }),
      deps().deps,
    );

    expect(ssh.checks).toEqual([
      {
        command: 'systemctl is-active nginx',
        exitCode: 0,
        timedOut: false,
        output: 'ran systemctl is-active nginx\n',
        truncated: false,
      },
      { command: 'big', exitCode: 0, timedOut: false, output: 'x'.repeat(2048), truncated: true },
    ]);
  });

  it('fails with ValidationCheckError naming the command and its exit code when a check exits non-zero', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole();

    const error = await checkSsh(
      sshState(server.port, { ssh: { port: server.port, commands: ['true', 'exit 3', 'never-run'] } }),
      deps().deps,
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationCheckError);
    expect(String(error)).toContain('ssh.commands[1] "exit 3" exited with code 3');
  });

  it('runs through the Lambda handler with its environment defaults', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole();
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
    givenConsole([ANY_FINGERPRINT]);
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

describe('check-ssh from the in-VPC probe', () => {
  const INGRESS = 'sg-0eeeeeeeeeeeeeeee';
  const PROBE_FN = `ec2-restore-ssh-probe-${IDS.vpc}`;
  let server: TestSshServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  /** The instance's groupSet attribute, changing as ModifyInstanceAttribute sets it. */
  function givenInstanceGroups(initial: string[]) {
    let groups = [...initial];
    mocks.ec2
      .on(DescribeInstanceAttributeCommand, { InstanceId: IDS.restoredInstance, Attribute: 'groupSet' })
      .callsFake(async () => ({
        InstanceId: IDS.restoredInstance,
        Groups: groups.map((GroupId) => ({ GroupId })),
      }));
    mocks.ec2.on(ModifyInstanceAttributeCommand).callsFake(async (input: { Groups?: string[] }) => {
      groups = [...(input.Groups ?? [])];
      return {};
    });
    return () => groups;
  }

  function probeState(port: number, commands: string[] = []): WorkflowState {
    const base = requireSlices(sshState(port, { ssh: { port, commands } }), 'plan', 'instance');
    return {
      ...base,
      instance: { ...base.instance, privateIp: LOOPBACK },
      plan: {
        ...base.plan,
        sshNetwork: {
          routeTableId: 'rtb-0bbbbbbbbbbbbbbbb',
          subnetRoutesToInternetGateway: false,
          path: 'probe',
          probe: { vpcId: IDS.vpc, functionName: PROBE_FN, ingressGroupId: INGRESS, ports: [port] },
        },
      },
    };
  }

  /** Invokes the real probe handler with the payload as Lambda would carry it (JSON both ways). */
  function realProbe() {
    const payloads: string[] = [];
    const handler = createProbeHandler();
    const invokeProbe: ProbeInvoker = async (functionName, request) => {
      expect(functionName).toBe(PROBE_FN);
      payloads.push(JSON.stringify(request));
      return JSON.parse(JSON.stringify(await handler(JSON.parse(JSON.stringify(request)))));
    };
    return { payloads, invokeProbe };
  }

  it('proves SSH from the probe at the private address with the probe-ingress group added, then sets the groups back exactly', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole();
    const groupsNow = givenInstanceGroups([IDS.securityGroup]);
    const { payloads, invokeProbe } = realProbe();
    const { deps: probeDeps, lines } = deps({ invokeProbe, handshake: undefined });

    const ssh = await checkSsh(probeState(server.port, ['true']), probeDeps);

    expect(ssh).toMatchObject({
      done: true,
      reachable: true,
      host: LOOPBACK,
      from: 'probe',
      probeFunction: PROBE_FN,
      hostKeyVerified: true,
      checks: [{ command: 'true', exitCode: 0 }],
      securityGroups: { original: [IDS.securityGroup], added: [INGRESS], removed: [INGRESS], restored: true },
    });
    const sets = mocks.ec2.commandCalls(ModifyInstanceAttributeCommand).map((c) => c.args[0].input.Groups);
    expect(sets).toEqual([[IDS.securityGroup, INGRESS], [IDS.securityGroup]]);
    expect(groupsNow()).toEqual([IDS.securityGroup]);
    // The key went to the probe in the invocation payload, and nowhere else.
    const keyLine = instanceKey.private.split('\n')[1] ?? '';
    expect(payloads[0]).toContain(keyLine.slice(0, 20));
    expect(JSON.stringify(ssh)).not.toContain(keyLine.slice(0, 20));
    expect(lines.join('\n')).not.toContain(keyLine.slice(0, 20));
  });

  it('finds and removes a probe group an earlier, crashed attempt left on the instance', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole();
    const groupsNow = givenInstanceGroups([IDS.securityGroup, INGRESS]);

    const ssh = await checkSsh(probeState(server.port), deps(realProbe()).deps);

    expect(ssh.securityGroups).toEqual({
      original: [IDS.securityGroup],
      added: [INGRESS],
      removed: [INGRESS],
      restored: true,
    });
    expect(groupsNow()).toEqual([IDS.securityGroup]);
    expect(mocks.ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(1);
  });

  it('sets the groups back before failing a check command', async () => {
    server = await new TestSshServer(instanceKey.public).start();
    givenKey();
    givenConsole();
    const groupsNow = givenInstanceGroups([IDS.securityGroup]);

    const error = await checkSsh(probeState(server.port, ['exit 3']), deps(realProbe()).deps).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ValidationCheckError);
    expect(groupsNow()).toEqual([IDS.securityGroup]);
  });

  it('says the instance is gone when EC2 no longer knows it, and changes no group', async () => {
    givenKey();
    givenConsole();
    mocks.ec2
      .on(DescribeInstanceAttributeCommand)
      .rejects(
        awsError('InvalidInstanceID.NotFound', `The instance ID '${IDS.restoredInstance}' does not exist`),
      );

    const error = await checkSsh(probeState(22), deps(realProbe()).deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SshUnreachableError);
    expect(String(error)).toContain(`Instance ${IDS.restoredInstance} no longer exists`);
    expect(mocks.ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
  });

  it('says the probe cannot be invoked when Lambda does not know it', async () => {
    givenKey();
    givenConsole();
    givenInstanceGroups([IDS.securityGroup]);
    mocks.lambda.on(InvokeCommand).rejects(awsError('ResourceNotFoundException', 'Function not found', 404));

    const error = await checkSsh(
      probeState(22),
      deps({ invokeProbe: lambdaProbeInvoker(clients.lambda) }).deps,
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SshUnreachableError);
    expect(String(error)).toContain(`probe ${PROBE_FN} could not be invoked: ResourceNotFoundException`);
  });
});
