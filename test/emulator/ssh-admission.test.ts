/**
 * The emulated sshd admits a connection only where AWS's network would deliver it (issue 12,
 * item 7), checked with real clients over real TCP: ssh2 (from a probe's own source address or
 * from 127.0.0.1, the internet) and the system's OpenSSH. A refused connection must look like a
 * dropped packet: a timeout, never a reset or a refusal.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { type Emulator, FAKE_CREDENTIALS, startEmulator } from '@local/emulator';
import type { ScenarioInput } from '@local/scenario';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO, NETWORK, networkScenario } from '@test/helpers/scenarios';
import { type HandshakeResult, opensshRun, sshHandshake } from '@test/helpers/ssh-client';

const LOOPBACK_GROUP = 'sg-0de00000000000004';
const DROP_WAIT_MS = 1500;

function scenario(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  const base = networkScenario();
  const ssh = { protocol: 'tcp', fromPort: DEMO.sshPort, toPort: DEMO.sshPort } as const;
  return {
    ...base,
    securityGroups: [
      ...(base.securityGroups ?? []),
      // Every emulated address is in 127.0.0.0/8: a CIDR rule that contains the probe's source.
      {
        id: LOOPBACK_GROUP,
        name: 'ssh-loopback',
        vpcId: DEMO.vpc,
        ingress: [{ ...ssh, cidrIp: '127.0.0.0/8' }],
      },
    ],
    ...overrides,
  };
}

async function start(input: ScenarioInput): Promise<{ emulator: Emulator; ec2: EC2Client; key: string }> {
  const emulator = await startEmulator({ scenario: input });
  const ec2 = new EC2Client({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
  });
  const key = emulator.world.ssm.getParameter(`/ec2/keypair/${DEMO.keyPairId}`).value;
  return { emulator, ec2, key };
}

async function listening(emulator: Emulator, address: string): Promise<void> {
  await pollUntil(() => emulator.sshHosts.listening().includes(address), {
    describe: `an sshd listening on ${address}`,
    intervalMs: 20,
  });
}

/** A dropped connection: the TCP connect succeeds, nothing ever comes back, the client gives up. */
const DROPPED = { ok: false, level: 'client-timeout' };

describe('sshd admission follows routes and security groups', () => {
  let emulator: Emulator;
  let ec2: EC2Client;
  let key: string;
  let demoEip: string;
  let privateEip: string;

  const handshake = (host: string, localAddress?: string): Promise<HandshakeResult> =>
    sshHandshake({
      host,
      port: DEMO.sshPort,
      username: 'ec2-user',
      privateKey: key,
      readyTimeout: DROP_WAIT_MS,
      ...(localAddress ? { localAddress } : {}),
    });
  const setGroups = (instanceId: string, groups: string[]) =>
    ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: emulator.world.instances.get(instanceId)!.eniId,
        Groups: groups,
      }),
    );
  const attachEip = async (instanceId: string) => {
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: instanceId }));
    await listening(emulator, PublicIp!);
    return PublicIp!;
  };

  beforeAll(async () => {
    ({ emulator, ec2, key } = await start(scenario()));
    for (const id of [DEMO.instance, NETWORK.privateInstance, NETWORK.otherInstance])
      await listening(emulator, emulator.world.instances.get(id)!.privateIp);
    demoEip = await attachEip(DEMO.instance);
    privateEip = await attachEip(NETWORK.privateInstance);
  });

  afterAll(async () => {
    ec2?.destroy();
    await emulator?.stop();
  });

  const probe = () => emulator.world.network.sshProbe(DEMO.vpc)!;
  const privateIp = (id: string) => emulator.world.instances.get(id)!.privateIp;

  it('gives each probe its own loopback source address inside its VPC, in the reserved range', () => {
    const probes = emulator.world.network.sshProbes();
    expect(new Set(probes.map((p) => p.sourceAddress)).size).toBe(probes.length);
    for (const p of probes) {
      expect(p.sourceAddress.startsWith(`127.${emulator.loopbackOctet}.`)).toBe(true);
      expect(emulator.world.loopback.has(p.sourceAddress)).toBe(true);
    }
  });

  it('admits the probe to a private address when a group names the probe group as the source', async () => {
    await setGroups(NETWORK.privateInstance, [NETWORK.corporateGroup]);
    expect(await handshake(privateIp(NETWORK.privateInstance), probe().sourceAddress)).toMatchObject(DROPPED);

    await setGroups(NETWORK.privateInstance, [NETWORK.corporateGroup, probe().ingressGroupId]);

    expect(await handshake(privateIp(NETWORK.privateInstance), probe().sourceAddress)).toMatchObject({
      ok: true,
    });
  });

  it('admits the probe by a CIDR rule containing its address, and drops it without one', async () => {
    await setGroups(NETWORK.privateInstance, [LOOPBACK_GROUP]);
    expect(await handshake(privateIp(NETWORK.privateInstance), probe().sourceAddress)).toMatchObject({
      ok: true,
    });

    await setGroups(NETWORK.privateInstance, [NETWORK.corporateGroup]);
    const refused = await handshake(privateIp(NETWORK.privateInstance), probe().sourceAddress);

    expect(refused).toMatchObject(DROPPED);
    // No ECONNRESET or ECONNREFUSED: the packet was dropped, not answered.
    expect((refused as { code?: string }).code).toBeUndefined();
  });

  it("drops another VPC's probe, whatever the groups allow", async () => {
    const other = emulator.world.network.sshProbe(NETWORK.otherVpc)!;
    await setGroups(NETWORK.privateInstance, [LOOPBACK_GROUP, probe().ingressGroupId]);

    expect(await handshake(privateIp(NETWORK.privateInstance), other.sourceAddress)).toMatchObject(DROPPED);
    expect(await handshake(privateIp(DEMO.instance), other.sourceAddress)).toMatchObject(DROPPED);
    expect(await handshake(privateIp(NETWORK.otherInstance), other.sourceAddress)).toMatchObject({
      ok: true,
    });
  });

  it('admits 127.0.0.1 (the internet) to a public address in an igw subnet open to 0.0.0.0/0, with OpenSSH too', async () => {
    expect(await handshake(demoEip)).toMatchObject({ ok: true });

    const openssh = await opensshRun({
      host: demoEip,
      port: DEMO.sshPort,
      username: 'ec2-user',
      privateKey: key,
      command: 'true',
    });

    expect(openssh).toMatchObject({ exitCode: 0, stdout: `emulated ${DEMO.instance}: true\n` });
  });

  it('drops 127.0.0.1 to a private address, and to a public address in a subnet without an igw route', async () => {
    await setGroups(NETWORK.privateInstance, [DEMO.securityGroup]);

    expect(await handshake(privateIp(DEMO.instance))).toMatchObject(DROPPED);
    expect(await handshake(privateEip)).toMatchObject(DROPPED);
    const openssh = await opensshRun({
      host: privateIp(NETWORK.privateInstance),
      port: DEMO.sshPort,
      username: 'ec2-user',
      privateKey: key,
      command: 'true',
      connectTimeoutSeconds: 2,
    });
    expect(openssh.exitCode).toBe(255);
    expect(openssh.stderr).toMatch(/timed out during banner exchange/);
    expect(openssh.stderr).not.toMatch(/refused|reset/i);
  });

  it('drops 127.0.0.1 when the only rule is 10.0.0.0/8, and a group change applies to the next connection', async () => {
    await setGroups(DEMO.instance, [NETWORK.corporateGroup]);
    expect(await handshake(demoEip)).toMatchObject(DROPPED);

    await setGroups(DEMO.instance, [DEMO.securityGroup]);

    expect(await handshake(demoEip)).toMatchObject({ ok: true });
  });

  it('prints on the console the fingerprint of the host key the sshd offers', async () => {
    const offered = await handshake(demoEip);
    const console = await ec2.send(new GetConsoleOutputCommand({ InstanceId: DEMO.instance }));
    const text = Buffer.from(console.Output ?? '', 'base64').toString('utf8');
    const block =
      /-----BEGIN SSH HOST KEY FINGERPRINTS-----([\s\S]*?)-----END SSH HOST KEY FINGERPRINTS-----/.exec(
        text,
      )?.[1];

    expect(offered).toMatchObject({ ok: true, hostKeyFingerprint: expect.stringMatching(/^SHA256:/) });
    expect(block).toContain(offered.ok ? offered.hostKeyFingerprint : 'no handshake');
    const openssh = await opensshRun({
      host: demoEip,
      port: DEMO.sshPort,
      username: 'ec2-user',
      privateKey: key,
      command: 'true',
    });
    expect(block).toContain(openssh.hostKeyFingerprint);
  });
});

describe('console output faults', () => {
  it('mismatch: the console shows a fingerprint the sshd does not offer; none: no output ever', async () => {
    const mismatch = await start(
      scenario({ faults: { ...networkScenario().faults, consoleOutput: 'mismatch' } }),
    );
    const silent = await start(scenario({ faults: { ...networkScenario().faults, consoleOutput: 'none' } }));
    try {
      const eip = await mismatch.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      await mismatch.ec2.send(
        new AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: DEMO.instance }),
      );
      await listening(mismatch.emulator, eip.PublicIp!);
      const offered = await sshHandshake({
        host: eip.PublicIp!,
        port: DEMO.sshPort,
        username: 'ec2-user',
        privateKey: mismatch.key,
      });
      const shown = Buffer.from(
        (await mismatch.ec2.send(new GetConsoleOutputCommand({ InstanceId: DEMO.instance }))).Output ?? '',
        'base64',
      ).toString();

      expect(offered).toMatchObject({ ok: true });
      expect(shown).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
      expect(shown).not.toContain(offered.ok ? offered.hostKeyFingerprint : 'no handshake');
      expect(
        (await silent.ec2.send(new GetConsoleOutputCommand({ InstanceId: DEMO.instance }))).Output,
      ).toBeUndefined();
    } finally {
      mismatch.ec2.destroy();
      silent.ec2.destroy();
      await Promise.all([mismatch.emulator.stop(), silent.emulator.stop()]);
    }
  });
});
