import { SimulatedClock } from '@local/clock';
import { parseScenario } from '@local/scenario';
import { SshHosts } from '@local/ssh-hosts';
import { World } from '@local/world';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import { sshHandshake } from '@test/helpers/ssh-client';
import { utils } from 'ssh2';

const scenario = parseScenario(
  demoScenario({ clock: { speed: 1 }, faults: { ssh: { bootDelaySeconds: 0 } } }),
);
const world = new World(scenario, new SimulatedClock(1));
const hosts = new SshHosts(scenario.sshPort);
const instance = world.instances.get(DEMO.instance)!;
const privateKey = world.ssm.getParameter(`/ec2/keypair/${DEMO.keyPairId}`).value;
// From inside the VPC, as the in-VPC probe connects (from 127.0.0.1 a private address is dropped).
const localAddress = world.network.sshProbe(DEMO.vpc)!.sourceAddress;

beforeAll(async () => {
  hosts.sync(world.sshTargets());
  await pollUntil(() => hosts.listening().includes(instance.privateIp), {
    describe: `an SSH host listening on ${instance.privateIp}`,
    intervalMs: 10,
  });
});

afterAll(() => hosts.closeAll());

describe('emulated SSH hosts', () => {
  it('authenticates the instance key pair on the instance address and reports its host key', async () => {
    const result = await sshHandshake({
      host: instance.privateIp,
      port: scenario.sshPort,
      username: 'ec2-user',
      privateKey,
      localAddress,
    });

    expect(result).toEqual({
      ok: true,
      hostKeyFingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
    });
  });

  it('rejects any other key', async () => {
    const otherKey = utils.generateKeyPairSync('ed25519').private;

    const result = await sshHandshake({
      host: instance.privateIp,
      port: scenario.sshPort,
      username: 'ec2-user',
      privateKey: otherKey,
      localAddress,
    });

    expect(result).toMatchObject({ ok: false, level: 'client-authentication' });
  });

  it('refuses connections once the instance is terminated', async () => {
    world.ec2.instances.terminateInstances([DEMO.instance]);
    hosts.sync(world.sshTargets());
    await pollUntil(() => !hosts.listening().includes(instance.privateIp), {
      describe: `the SSH host on ${instance.privateIp} to close`,
      intervalMs: 10,
    });

    const result = await sshHandshake({
      host: instance.privateIp,
      port: scenario.sshPort,
      username: 'ec2-user',
      privateKey,
    });

    expect(result).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });
});
