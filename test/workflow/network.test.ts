/**
 * Issue 12 on the emulator: where the SSH check connects from, and the network refusing exactly
 * where AWS's would. The world is the demo's plus a private subnet whose group admits SSH only
 * from 10.0.0.0/8 (test/helpers/scenarios.ts networkScenario), with an in-VPC probe per VPC unless
 * a scenario takes it away.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { FAKE_CREDENTIALS } from '@local/emulator';
import type { ScenarioInput } from '@local/scenario';
import { DEMO, NETWORK, networkScenario } from '@test/helpers/scenarios';
import { opensshRun, sshHandshake } from '@test/helpers/ssh-client';
import {
  explain,
  type Harness,
  leakedSecrets,
  startHarness,
  type WorkflowRun,
} from '@test/helpers/workflow-run';

let harness: Harness;
const runs: WorkflowRun[] = [];

async function start(overrides: Partial<ScenarioInput> = {}): Promise<Harness> {
  const scenario = networkScenario(overrides);
  harness = await startHarness(scenario);
  return harness;
}

async function run(input: Record<string, unknown>): Promise<WorkflowRun> {
  const result = await harness.run(input);
  runs.push(result);
  return result;
}

function request(instanceId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { ssh, ...rest } = extra;
  return { instanceId, ssh: { port: DEMO.sshPort, ...(ssh as object | undefined) }, ...rest };
}

function privateKey(): string {
  const key = harness.emulator.world.keyPairs.get(DEMO.keyName)?.privateKey;
  if (!key) throw new Error('the demo key pair has no private key');
  return key;
}

/** The instance's groups as EC2 reports them now. */
async function groupsOf(instanceId: string): Promise<string[]> {
  const ec2 = new EC2Client({
    endpoint: harness.emulator.endpoint,
    region: harness.emulator.region,
    credentials: FAKE_CREDENTIALS,
  });
  try {
    const result = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = result.Reservations?.[0]?.Instances?.[0];
    return (instance?.SecurityGroups ?? []).map((g) => g.GroupId ?? '');
  } finally {
    ec2.destroy();
  }
}

function restoredInstances(): string[] {
  return [...harness.emulator.world.instances.values()]
    .filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')
    .map((i) => i.id)
    .filter((id) => ![DEMO.instance, NETWORK.privateInstance, NETWORK.otherInstance].includes(id as never));
}

afterEach(async () => {
  // Whatever happened, the private key stayed out of the history, the output and the logs.
  for (const r of runs.splice(0)) expect(leakedSecrets(harness, r)).toEqual([]);
  await harness.stop();
});

describe('the SSH check where real servers live (issue 12)', () => {
  it('recovers into a private subnet: no Elastic IP, SSH proven from the in-VPC probe with a verified host key, groups set back exactly', async () => {
    await start();
    const r = await run(request(NETWORK.privateInstance));

    explain(r, () => {
      expect(r.status).toBe('SUCCEEDED');
      expect(r.output).toMatchObject({
        status: 'RESTORED',
        elasticIp: null,
        publicAddress: {
          action: 'not-needed',
          reason: expect.stringContaining('has no route to an internet gateway'),
        },
        ssh: {
          reachable: true,
          from: 'probe',
          probeFunction: `ec2-restore-ssh-probe-${DEMO.vpc}`,
          host: r.output?.instance?.privateIp,
          hostKeyVerified: true,
          securityGroups: {
            original: [NETWORK.corporateGroup],
            added: [expect.stringMatching(/^sg-/)],
            removed: [expect.stringMatching(/^sg-/)],
            restored: true,
          },
        },
      });
    });
    const restored = r.output?.instance?.instanceId ?? '';
    expect(await groupsOf(restored)).toEqual(await groupsOf(NETWORK.privateInstance));
    expect(await groupsOf(restored)).toEqual([NETWORK.corporateGroup]);
    expect(harness.emulator.world.addresses.size).toBe(0);
    // From the host (the internet) the private address is unreachable: dropped, never answered.
    const fromHost = await sshHandshake({
      host: r.output?.instance?.privateIp ?? '',
      port: DEMO.sshPort,
      username: 'ec2-user',
      privateKey: privateKey(),
    });
    expect(fromHost.ok).toBe(false);
    const openssh = await opensshRun({
      host: r.output?.instance?.privateIp ?? '',
      port: DEMO.sshPort,
      username: 'ec2-user',
      privateKey: privateKey(),
      command: 'true',
    });
    expect(openssh.exitCode).toBe(255);
  });

  it('attaches an Elastic IP in a public subnet without auto-assign, and OpenSSH from the host logs in through it', async () => {
    await start();
    const r = await run(request(DEMO.instance));

    explain(r, () =>
      expect(r.output).toMatchObject({
        status: 'RESTORED',
        publicAddress: { action: 'allocated' },
        ssh: { reachable: true, hostKeyVerified: true },
      }),
    );
    const eip = r.output?.elasticIp?.publicIp ?? '';
    expect(eip).toMatch(/^127\./);
    const openssh = await opensshRun({
      host: eip,
      port: DEMO.sshPort,
      username: 'ec2-user',
      privateKey: privateKey(),
      command: 'true',
    });
    expect(openssh.exitCode).toBe(0);
    // The host key OpenSSH saw is the one the workflow verified against the console.
    expect(openssh.hostKeyFingerprint).toBe(r.output?.ssh?.hostKeyFingerprint);
  });

  it('fails ssh.target "public" on a private subnet with PreflightError before any restore job exists', async () => {
    await start();
    const r = await run(request(NETWORK.privateInstance, { ssh: { target: 'public' } }));

    explain(r, () => {
      expect(r.error).toBe('PreflightError');
      expect(r.cause).toContain(`subnet ${NETWORK.privateSubnet} has no route to an internet gateway`);
    });
    expect(harness.emulator.world.restoreJobs.size).toBe(0);
  });

  it('fails with PreflightError naming the sshProbeNetworks entry when no probe serves the VPC', async () => {
    const base = networkScenario();
    await start({ vpcs: (base.vpcs ?? []).map((v) => (v.id === DEMO.vpc ? { ...v, sshProbe: false } : v)) });
    const r = await run(request(NETWORK.privateInstance));

    explain(r, () => {
      expect(r.error).toBe('PreflightError');
      expect(r.cause).toContain(`no in-VPC SSH probe serves ${DEMO.vpc}`);
      expect(r.cause).toContain(`{"vpcId":"${DEMO.vpc}"`);
      expect(r.cause).toContain('sshProbeNetworks');
    });
    expect(harness.emulator.world.restoreJobs.size).toBe(0);
  });

  it('fails with SshAuthenticationError when the console fingerprint differs from the offered host key; test mode leaves nothing', async () => {
    const base = networkScenario();
    await start({ faults: { ...base.faults, consoleOutput: 'mismatch' } });
    const r = await run(request(NETWORK.privateInstance, { mode: 'test' }));

    explain(r, () => {
      expect(r.error).toBe('SshAuthenticationError');
      expect(r.cause).toMatch(/offered host key SHA256:\S+, which is none of the fingerprints/);
    });
    expect(restoredInstances()).toEqual([]);
    expect(harness.emulator.world.addresses.size).toBe(0);
  });

  it('records the host key unverified, and says why, when the console never shows the fingerprints', async () => {
    const base = networkScenario();
    await start({ faults: { ...base.faults, consoleOutput: 'none' } });
    const r = await run(request(NETWORK.privateInstance, { ssh: { timeoutSeconds: 60 } }));

    explain(r, () =>
      expect(r.output?.ssh).toMatchObject({
        reachable: true,
        hostKeyVerified: false,
        hostKeyVerification: expect.stringContaining('not verified'),
        hostKeyFingerprint: expect.stringMatching(/^SHA256:/),
      }),
    );
  });

  it('fails with ValidationCheckError naming exit code 3 when an ssh.commands check exits 3; test mode leaves nothing', async () => {
    await start();
    const r = await run(
      request(NETWORK.privateInstance, { mode: 'test', ssh: { commands: ['true', 'exit 3'] } }),
    );

    explain(r, () => {
      expect(r.error).toBe('ValidationCheckError');
      expect(r.cause).toMatch(/ssh\.commands\[1\] "exit 3" exited with code 3/);
    });
    expect(restoredInstances()).toEqual([]);
  });

  it('passes the ssh.commands checks that exit 0 and records each one in the output', async () => {
    await start();
    const r = await run(
      request(NETWORK.privateInstance, { ssh: { commands: ['systemctl is-active nginx'] } }),
    );

    explain(r, () =>
      expect(r.output?.ssh).toMatchObject({
        reachable: true,
        checks: [{ command: 'systemctl is-active nginx', exitCode: 0 }],
      }),
    );
  });
});
