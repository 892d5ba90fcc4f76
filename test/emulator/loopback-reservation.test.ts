/**
 * Issue 19: two rehearsals on one machine never reach each other's instances. Each emulator
 * holds its loopback range by a bound marker socket, refuses a pinned range someone else holds
 * (naming the holder), and fails an instance whose address another process holds instead of
 * letting its SSH check connect elsewhere.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { LoopbackRangeInUse } from '@local/loopback-reservation';
import { sha256Fingerprint } from '@local/world';
import { DEMO } from '@test/helpers/scenarios';
import { explain, type Harness, startHarness } from '@test/helpers/workflow-run';
import { utils } from 'ssh2';

const SSH_PORT = 2222;
const fast = { clock: { speed: 2000 } } as const;

/** The host key fingerprint the emulator's own sshd for `instanceId` presents. */
function ownHostKey(harness: Harness, instanceId: string): string {
  const instance = harness.emulator.world.instances.get(instanceId);
  if (!instance) throw new Error(`no instance ${instanceId} in this emulator`);
  const parsed = utils.parseKey(instance.hostKey);
  if (parsed instanceof Error) throw parsed;
  return sha256Fingerprint(parsed.getPublicSSH());
}

function listenOn(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Another process holding `host:port`, as a second rehearsal or any other program would. */
async function holdInChild(host: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${port}, '${host}', () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
  return child;
}

describe('loopback range reservation', () => {
  it('gives two emulators started at the same moment distinct ranges, each restore checking SSH on its own instance', async () => {
    // Same process, same default starting octet: only the bound marker keeps them apart.
    const [a, b] = await Promise.all([startHarness(fast), startHarness(fast)]);
    try {
      expect(a.emulator.loopbackOctet).not.toBe(b.emulator.loopbackOctet);
      const input = { instanceId: DEMO.instance, ssh: { port: SSH_PORT } };
      const [ra, rb] = await Promise.all([a.run(input), b.run(input)]);
      for (const [harness, run] of [
        [a, ra],
        [b, rb],
      ] as const) {
        explain(run, () => {
          expect(run.status).toBe('SUCCEEDED');
          const restored = run.output?.instance?.instanceId ?? '';
          expect(run.output?.ssh).toMatchObject({
            reachable: true,
            hostKeyFingerprint: ownHostKey(harness, restored),
          });
          expect(run.output?.ssh?.host).toMatch(new RegExp(`^127\\.${harness.emulator.loopbackOctet}\\.`));
        });
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('refuses a pinned range whose marker another emulator holds, naming the address and the holder', async () => {
    const first = await startHarness({ ...fast, loopbackOctet: 4 });
    try {
      await expect(startHarness({ ...fast, loopbackOctet: 4 })).rejects.toThrow(LoopbackRangeInUse);
      await expect(startHarness({ ...fast, loopbackOctet: 4 })).rejects.toThrow(
        new RegExp(`127\\.4\\.0\\.1:${SSH_PORT} is held by pid ${process.pid}, this process`),
      );
    } finally {
      await first.stop();
    }
  });

  it("skips to another range when a default range's scenario address is held", async () => {
    const probe = await startHarness(fast);
    const octet = probe.emulator.loopbackOctet;
    const sourceIp = probe.emulator.world.instances.get(DEMO.instance)?.privateIp ?? '';
    await probe.stop();
    // The range this process starts from, with the source instance's address taken.
    const holder = await listenOn(sourceIp, SSH_PORT);
    try {
      const next = await startHarness(fast);
      try {
        expect(next.emulator.loopbackOctet).not.toBe(octet);
      } finally {
        await next.stop();
      }
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('fails the restored instance, visibly, when another process holds the address it would get', async () => {
    const harness = await startHarness(fast);
    const octet = harness.emulator.loopbackOctet;
    // The demo source is 127.<octet>.1.10; its restore is launched at the next address.
    const taken = `127.${octet}.1.11`;
    const holder = await holdInChild(taken, SSH_PORT);
    try {
      const run = await harness.run({ instanceId: DEMO.instance, ssh: { port: SSH_PORT } });
      explain(run, () => {
        expect(run.status).toBe('FAILED');
        expect(`${run.error} ${run.cause}`).toContain(`${taken}:${SSH_PORT} is held by pid ${holder.pid}`);
      });
      const failed = [...harness.emulator.world.instances.values()].find((i) => i.privateIp === taken);
      expect(failed).toMatchObject({ state: 'terminated', stateReason: { code: 'Server.InternalError' } });
      expect(harness.emulator.errors.join('\n')).toContain(
        `${taken}:${SSH_PORT} is held by pid ${holder.pid}`,
      );
    } finally {
      holder.kill();
      await harness.stop();
    }
  });
});
