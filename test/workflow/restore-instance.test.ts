/**
 * The restore-instance workflow on the emulator: the real ASL, the real Lambda code, the AWS SDK
 * over the wire. Each test checks the output or error and the emulated world afterwards.
 */
import type { ScenarioInput } from '@local/scenario';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import {
  explain,
  type Harness,
  leakedSecrets,
  startHarness,
  type WorkflowRun,
} from '@test/helpers/workflow-run';

let harness: Harness;
const runs: WorkflowRun[] = [];

async function run(input: Record<string, unknown>, name?: string): Promise<WorkflowRun> {
  const result = await harness.run(input, name);
  runs.push(result);
  return result;
}

/** The demo request; the emulated sshd listens on 2222 so the tests need no root. */
function demoRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { ssh, ...rest } = extra;
  return { instanceId: DEMO.instance, ssh: { port: 2222, ...(ssh as object | undefined) }, ...rest };
}

function liveInstances(): string[] {
  return [...harness.emulator.world.instances.values()]
    .filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')
    .map((i) => i.id);
}

afterEach(async () => {
  // Test 16: whatever happened, the private key stayed in Parameter Store.
  for (const r of runs.splice(0)) expect(leakedSecrets(harness, r)).toEqual([]);
  await harness.stop();
});

describe('restore-instance on the emulator', () => {
  it('restores the demo instance: profile reattached, Elastic IP because the subnet does not auto-assign, SSH ok', async () => {
    harness = await startHarness();
    const r = await run(demoRequest());
    const world = harness.emulator.world;

    explain(r, () => {
      expect(r.status).toBe('SUCCEEDED');
      expect(r.output).toMatchObject({
        status: 'RESTORED',
        instanceProfile: { arn: expect.stringContaining(`instance-profile/${DEMO.profileName}`) },
        publicAddress: { action: 'allocated', reason: expect.stringContaining('does not auto-assign') },
        ssh: { reachable: true, port: 2222, username: 'ec2-user' },
      });
    });
    const newId = r.output?.instance?.instanceId ?? '';
    expect(world.instances.get(newId)?.state).toBe('running');
    expect(
      [...world.associations.values()].filter((a) => a.instanceId === newId && a.state === 'associated'),
    ).toHaveLength(1);
    const eips = [...world.addresses.values()].filter((a) => a.instanceId === newId);
    expect(eips.map((a) => a.publicIp)).toEqual([r.output?.elasticIp?.publicIp]);
    expect([...world.restoreJobs.values()].map((j) => j.status)).toEqual(['COMPLETED']);
  });

  it('allocates no Elastic IP where the subnet auto-assigns public IPs', async () => {
    harness = await startHarness({ ...onAutoAssignSubnet() });
    const r = await run(demoRequest());

    explain(r, () =>
      expect(r.output).toMatchObject({ status: 'RESTORED', publicAddress: { action: 'not-needed' } }),
    );
    expect(r.output?.instance?.publicIp).toMatch(/^127\./);
    expect(harness.emulator.world.addresses.size).toBe(0);
  });

  it("publicIp 'never' attaches none and checks SSH on the private address", async () => {
    harness = await startHarness();
    const r = await run(demoRequest({ publicIp: 'never' }));

    explain(r, () =>
      expect(r.output).toMatchObject({
        status: 'RESTORED',
        elasticIp: null,
        publicAddress: { action: 'disabled' },
        ssh: { reachable: true, host: r.output?.instance?.privateIp },
      }),
    );
    expect(harness.emulator.world.addresses.size).toBe(0);
  });

  it("publicIp 'always' in a VPC without an internet gateway fails with PublicAddressError, and test mode leaves no address", async () => {
    harness = await startHarness({ routeTables: [] });
    const r = await run(demoRequest({ mode: 'test', publicIp: 'always', ssh: { enabled: false } }));

    explain(r, () => {
      expect(r.error).toBe('PublicAddressError');
      expect(r.cause).toContain('Gateway.NotAttached');
    });
    expect([...harness.emulator.world.addresses.values()]).toEqual([]);
    expect(liveInstances()).toEqual([DEMO.instance]);
  });

  it("publicIp 'always' attaches an Elastic IP even where the subnet auto-assigns", async () => {
    harness = await startHarness({ ...onAutoAssignSubnet() });
    const r = await run(demoRequest({ publicIp: 'always' }));

    explain(r, () =>
      expect(r.output).toMatchObject({ status: 'RESTORED', publicAddress: { action: 'allocated' } }),
    );
    const eips = [...harness.emulator.world.addresses.values()];
    expect(eips.map((a) => [a.instanceId, a.publicIp])).toEqual([
      [r.output?.instance?.instanceId, r.output?.elasticIp?.publicIp],
    ]);
  });

  it('falls back to the newest COMPLETED point when the latest is PARTIAL', async () => {
    harness = await startHarness({ backupPlan: { ...demoPlan, latestStatus: 'PARTIAL' } });
    const points = pointsNewestFirst();
    expect(points[0]?.status).toBe('PARTIAL');
    const r = await run(demoRequest({ dryRun: true }));

    explain(r, () => expect(r.output?.recoveryPoint.arn).toBe(points[1]?.arn));
  });

  it('picks the latest point at or before restorePointBefore', async () => {
    harness = await startHarness();
    const points = pointsNewestFirst();
    const target = points[1];
    const before = new Date((target?.creationDate.getTime() ?? 0) + 3_600_000).toISOString();
    const r = await run(demoRequest({ dryRun: true, restorePointBefore: before }));

    explain(r, () => expect(r.output?.recoveryPoint.arn).toBe(target?.arn));
  });

  it('only considers the named backup vault', async () => {
    // Newer than every point the daily plan made, whatever the time of day (an hour ago was older
    // than the plan's own point for an hour each day).
    const newer = new Date(Date.now() - 1_000).toISOString();
    harness = await startHarness({
      backupVaults: [{ name: DEMO.vault }, { name: 'Other' }],
      recoveryPoints: [{ instanceId: DEMO.instance, vault: 'Other', creationDate: newer }],
    });
    const newest = pointsNewestFirst()[0];
    expect(newest?.vault).toBe('Other');

    const any = await run(demoRequest({ dryRun: true }));
    const inVault = await run(demoRequest({ dryRun: true, backupVaultName: DEMO.vault }));

    explain(any, () => expect(any.output?.recoveryPoint.backupVaultName).toBe('Other'));
    explain(inVault, () =>
      expect(inVault.output?.recoveryPoint).toMatchObject({ backupVaultName: DEMO.vault }),
    );
  });

  it('restores a terminated source from the recovery point metadata into an override subnet', async () => {
    harness = await startHarness({ instances: [{ ...demoInstance, state: 'terminated' }] });
    const r = await run(demoRequest({ overrides: { subnetId: DEMO.autoAssignSubnet } }));

    explain(r, () =>
      expect(r.output).toMatchObject({
        status: 'RESTORED',
        source: { instanceId: DEMO.instance, keyName: DEMO.keyName },
        instance: { subnetId: DEMO.autoAssignSubnet },
        instanceProfile: { arn: expect.stringContaining(DEMO.profileName) },
        ssh: { reachable: true },
      }),
    );
    const [job] = [...harness.emulator.world.restoreJobs.values()];
    // The backed-up interface carried the old ENI and private IP; they must not reach the restore.
    expect(job?.metadata.SubnetId).toBe(DEMO.autoAssignSubnet);
    expect(job?.metadata.NetworkInterfaces ?? '').not.toMatch(/NetworkInterfaceId|PrivateIpAddress/);
  });

  it('restores a t3 backup as another instance type, which RunInstances refuses the t3 credit mode', async () => {
    harness = await startHarness();
    const r = await run(demoRequest({ mode: 'test', overrides: { instanceType: 'm5.large' } }));

    explain(r, () =>
      expect(r.output).toMatchObject({ status: 'VALIDATED_AND_CLEANED_UP', ssh: { reachable: true } }),
    );
    const [job] = [...harness.emulator.world.restoreJobs.values()];
    expect(job?.metadata).toMatchObject({ InstanceType: 'm5.large' });
    expect(job?.metadata).not.toHaveProperty('CreditSpecification');
  });

  it("fails the pre-flight naming PassRole, before any restore job, when the restore role cannot pass the profile's role; reattach works", async () => {
    harness = await startHarness({
      iam: {
        roles: [{ name: DEMO.instanceRole }, { name: DEMO.restoreRole }],
        restoreRoleName: DEMO.restoreRole,
      },
    });
    const denied = await run(demoRequest({ instanceProfile: 'passrole' }));

    // PlanRestore asks IAM (SimulatePrincipalPolicy) instead of finding out after the job.
    explain(denied, () => {
      expect(denied.error).toBe('PreflightError');
      expect(denied.cause).toMatch(/may not pass the role inside instance profile app-profile.*iam:PassRole/);
    });
    expect(harness.emulator.world.restoreJobs.size).toBe(0);
    expect(liveInstances()).toEqual([DEMO.instance]);

    const reattached = await run(demoRequest({ instanceProfile: 'reattach' }));
    explain(reattached, () =>
      expect(reattached.output).toMatchObject({
        status: 'RESTORED',
        instanceProfile: { action: 'associated' },
      }),
    );
    const newId = reattached.output?.instance?.instanceId;
    expect([...harness.emulator.world.associations.values()].some((a) => a.instanceId === newId)).toBe(true);
  });

  it('reattaches the profile when the restore drops it', async () => {
    harness = await startHarness({
      faults: { ...demoFaults, restoreJob: { durationMinutes: 5, dropInstanceProfile: true } },
    });
    const r = await run(demoRequest({ instanceProfile: 'passrole' }));

    explain(r, () =>
      expect(r.output).toMatchObject({ status: 'RESTORED', instanceProfile: { action: 'associated' } }),
    );
    const newId = r.output?.instance?.instanceId;
    expect(
      [...harness.emulator.world.associations.values()].filter((a) => a.instanceId === newId),
    ).toHaveLength(1);
  });

  it.each([
    ['FAILED', 'RestoreJobFailedError'],
    ['ABORTED', 'RestoreJobFailedError'],
  ] as const)('a restore job that ends %s fails with %s', async (outcome, error) => {
    harness = await startHarness({
      faults: {
        ...demoFaults,
        restoreJob: { durationMinutes: 5, outcome, statusMessage: 'Volume snapshot unavailable' },
      },
    });
    const r = await run(demoRequest());

    explain(r, () => {
      expect(r.error).toBe(error);
      expect(r.cause).toContain(outcome);
    });
    expect(liveInstances()).toEqual([DEMO.instance]);
  });

  it('a restore job slower than the deadline fails with RestoreTimeoutError', async () => {
    harness = await startHarness({ faults: { ...demoFaults, restoreJob: { durationMinutes: 90 } } });
    const r = await run(demoRequest({ restoreTimeoutMinutes: 30 }));

    explain(r, () => expect(r.error).toBe('RestoreTimeoutError'));
  });

  it('retries SSH until sshd comes up', async () => {
    harness = await startHarness({ faults: { ...demoFaults, ssh: { bootDelaySeconds: 180 } } });
    const r = await run(demoRequest());

    explain(r, () => {
      expect(r.output?.ssh).toMatchObject({ reachable: true });
      expect(r.output?.ssh?.attempts).toBeGreaterThan(1);
    });
  });

  it('fails with SshAuthenticationError when sshd rejects the original key', async () => {
    harness = await startHarness({
      faults: { ...demoFaults, ssh: { bootDelaySeconds: 0, rejectKey: true } },
    });
    const r = await run(demoRequest());

    explain(r, () => expect(r.error).toBe('SshAuthenticationError'));
  });

  it('fails with SshUnreachableError when there is no route to sshd', async () => {
    harness = await startHarness({ faults: { ...demoFaults, ssh: { unreachable: true } } });
    const r = await run(demoRequest({ ssh: { timeoutSeconds: 60 } }));

    explain(r, () => {
      expect(r.error).toBe('SshUnreachableError');
      expect(r.cause).toMatch(/security group/);
    });
  });

  it('test mode validates, then leaves nothing of the execution behind', async () => {
    harness = await startHarness();
    const r = await run(demoRequest({ mode: 'test' }));

    explain(r, () =>
      expect(r.output).toMatchObject({
        status: 'VALIDATED_AND_CLEANED_UP',
        cleanup: { instanceTerminated: true, elasticIpReleased: true },
      }),
    );
    expect(liveInstances()).toEqual([DEMO.instance]);
    expect(harness.emulator.world.addresses.size).toBe(0);
  });

  it('test mode cleans up even when the SSH check fails', async () => {
    harness = await startHarness({
      faults: { ...demoFaults, ssh: { bootDelaySeconds: 0, rejectKey: true } },
    });
    const r = await run(demoRequest({ mode: 'test' }));

    explain(r, () => expect(r.error).toBe('SshAuthenticationError'));
    expect(liveInstances()).toEqual([DEMO.instance]);
    expect(harness.emulator.world.addresses.size).toBe(0);
  });

  it('dryRun plans and creates nothing', async () => {
    harness = await startHarness();
    const r = await run(demoRequest({ dryRun: true }));

    explain(r, () =>
      expect(r.output).toMatchObject({
        status: 'PLANNED',
        restoreJob: null,
        plan: expect.objectContaining({ metadata: expect.objectContaining({ SubnetId: DEMO.subnet }) }),
      }),
    );
    expect(harness.emulator.world.restoreJobs.size).toBe(0);
    expect(liveInstances()).toEqual([DEMO.instance]);
  });

  it('rejects invalid input with InvalidInputError before any AWS call', async () => {
    harness = await startHarness();
    const r = await run({ instanceId: 'i-NOPE', publicIp: 'sometimes' });

    explain(r, () => {
      expect(r.error).toBe('InvalidInputError');
      expect(r.cause).toMatch(/instanceId/);
      expect(r.cause).toMatch(/publicIp/);
    });
    expect(harness.apiCalls.filter((c) => !c.startsWith('sfn:'))).toEqual([]);
  });

  it('starting the same execution name twice makes one restore job and one instance', async () => {
    harness = await startHarness();
    const [a, b] = await Promise.all([
      run(demoRequest(), 'runbook-step-3'),
      run(demoRequest(), 'runbook-step-3'),
    ]);

    expect(a.executionArn).toBe(b.executionArn);
    explain(a, () => expect(a.output?.status).toBe('RESTORED'));
    expect(harness.emulator.world.restoreJobs.size).toBe(1);
    expect(liveInstances()).toHaveLength(2);
  });

  it('succeeds with 30% of API calls throttled', async () => {
    harness = await startHarness({ faults: { ...demoFaults, throttle: { rate: 0.3, seed: 7 } } });
    const r = await run(demoRequest());

    explain(r, () => expect(r.output?.status).toBe('RESTORED'));
    expect([...harness.emulator.faults.throttled.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    expect(harness.emulator.world.restoreJobs.size).toBe(1);
  });

  it('fails with PublicAddressError at the Elastic IP quota, and test mode still cleans up', async () => {
    harness = await startHarness({ faults: { ...demoFaults, elasticIpQuota: 0 } });
    const r = await run(demoRequest({ mode: 'test' }));

    explain(r, () => {
      expect(r.error).toBe('PublicAddressError');
      expect(r.cause).toMatch(/quota|limit/i);
    });
    expect(liveInstances()).toEqual([DEMO.instance]);
  });
});

describe('the key-leak scan', () => {
  it('finds private key material in the logs when it is there', async () => {
    harness = await startHarness();
    const r = await run({ instanceId: 'bad' });
    const key = harness.emulator.world.keyPairs.get(DEMO.keyName)?.privateKey ?? '';
    const logs = harness.emulator.lambdaLogs as string[];
    logs.push(`{"message":"oops","key":${JSON.stringify(key)}}`);
    const found = leakedSecrets(harness, r);
    logs.pop();

    expect(found).toEqual(['private key material in the logs']);
  });
});

const demoInstance = demoScenario().instances?.[0] as NonNullable<ScenarioInput['instances']>[number];
const demoPlan = demoScenario().backupPlan as NonNullable<ScenarioInput['backupPlan']>;
const demoFaults = demoScenario().faults as NonNullable<ScenarioInput['faults']>;

function onAutoAssignSubnet(): Partial<ScenarioInput> {
  return { instances: [{ ...demoInstance, subnetId: DEMO.autoAssignSubnet }] };
}

function pointsNewestFirst() {
  return [...harness.emulator.world.recoveryPoints.values()].sort(
    (a, b) => b.creationDate.getTime() - a.creationDate.getTime(),
  );
}
