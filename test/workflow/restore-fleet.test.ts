import type { FleetOutput } from '@shared/fleet-state';
import { FleetStates } from '@shared/state-names';
import { renderRestoreFleetAsl } from '@state-machines/render';
import { fleetId, fleetScenario } from '@test/helpers/fleet-scenario';
import { DEMO } from '@test/helpers/scenarios';
import { explain, type Harness, leakedSecrets, startHarness } from '@test/helpers/workflow-run';

let harness: Harness;
afterEach(() => harness.stop());

/** The demo's 12-minute restore jobs, as before the fleet helper was shared. */
const DEMO_JOB = { restoreJobMinutes: 12 };
// A guard, not a timing assertion: 21 s alone on this 2-core machine, past 50 s beside the rest of
// the suite once every request is evaluated against the synthesised IAM policies.
const FIFTY_DEADLINE_MS = 150_000;

function liveRestored(): string[] {
  const sources = new Set(Array.from({ length: 100 }, (_, i) => fleetId(i)));
  return [...harness.emulator.world.instances.values()]
    .filter((i) => !sources.has(i.id) && i.state !== 'terminated' && i.state !== 'shutting-down')
    .map((i) => i.id);
}

describe('restore-fleet on the emulator', () => {
  it(
    'restores 50 instances by tag in test mode: 47 succeed, 3 fail with their error names, nothing is left behind',
    async () => {
      const failing = [fleetId(3), fleetId(17), fleetId(42)];
      harness = await startHarness(
        // 10 children at a time each hold an Elastic IP: the helper raises the quota to 20 (the
        // emulator enforces AWS's default of 5; with it, 4 of these restores end in PublicAddressError).
        fleetScenario(50, { ...DEMO_JOB, failing }),
        // 50 restores take about 10 s alone and over 20 s on a busy 2-core machine: a budget of its own.
        { deadlineMs: FIFTY_DEADLINE_MS },
      );

      const r = await harness.runFleet({
        tag: { key: 'AWSBackup', value: 'EC2' },
        maxConcurrency: 10,
        defaults: { mode: 'test', ssh: { port: 2222 } },
      });

      explain(r, () => {
        expect(r.status).toBe('SUCCEEDED');
        expect(r.output).toMatchObject({ total: 50, succeeded: 47, failed: 3 });
        const failures = r.output?.results.filter((x) => x.status === 'FAILED') ?? [];
        expect(failures.map((f) => [f.instanceId, 'error' in f ? f.error : null])).toEqual(
          failing.map((id) => [id, 'RestoreJobFailedError']),
        );
        expect(
          failures.every(
            (f) => 'executionArn' in f && f.executionArn?.includes(':execution:restore-instance:'),
          ),
        ).toBe(true);
        expect(new Set(r.output?.results.filter((x) => x.status !== 'FAILED').map((x) => x.status))).toEqual(
          new Set(['VALIDATED_AND_CLEANED_UP']),
        );
      });
      // Each child is its own execution of restore-instance.
      const children = harness.emulator.sfn.listExecutions({
        stateMachineArn: harness.emulator.stateMachineArns.restoreInstance,
      });
      expect(children.executions).toHaveLength(50);
      expect(liveRestored()).toEqual([]);
      expect(harness.emulator.world.addresses.size).toBe(0);
      expect(leakedSecrets(harness, r)).toEqual([]);
    },
    FIFTY_DEADLINE_MS + 10_000,
  );

  it('takes the Distributed Map above the inline limit (lowered to 2 here) and restores every instance', async () => {
    // Prepare: the same fleet ASL with the inline limit at 2, deployed next to the real one.
    harness = await startHarness(fleetScenario(3, DEMO_JOB));
    const { sfn, region, accountId } = harness.emulator;
    const { stateMachineArn } = sfn.createStateMachine({
      name: 'restore-fleet-inline-limit-2',
      definition: JSON.stringify(renderRestoreFleetAsl({ region, accountId, inlineMapMaxTargets: 2 })),
      roleArn: `arn:aws:iam::${accountId}:role/ec2-restore-state-machine`,
    });

    // Act
    const r = await harness.runOn<FleetOutput>(stateMachineArn, {
      instanceIds: [fleetId(0), fleetId(1), fleetId(2)],
      defaults: { mode: 'test', ssh: { port: 2222 } },
    });

    // Assess
    explain(r, () => {
      const maps = r.history
        .filter((e) => e.type === 'MapStateEntered')
        .map((e) => e.stateEnteredEventDetails?.name);
      expect(maps).toEqual([FleetStates.RestoreEachDistributed]);
      expect(r.status).toBe('SUCCEEDED');
      expect(r.output).toMatchObject({ total: 3, succeeded: 3, failed: 0 });
      expect(r.output?.results.map((x) => x.status)).toEqual(Array(3).fill('VALIDATED_AND_CLEANED_UP'));
    });
    expect(liveRestored()).toEqual([]);
  });

  it('answers a tag that matches nothing with an empty result that says so, not a failure', async () => {
    harness = await startHarness(fleetScenario(2, DEMO_JOB));

    const r = await harness.runFleet({ tag: { key: 'Team', value: 'nobody' } });

    explain(r, () => {
      expect(r.status).toBe('SUCCEEDED');
      expect(r.output).toMatchObject({ total: 0, succeeded: 0, failed: 0, results: [] });
      expect(r.output?.note).toMatch(/carries the tag Team=nobody/);
    });
    expect(harness.emulator.world.restoreJobs.size).toBe(0);
  });

  it('restores explicit ids, reporting one without a recovery point through its own child', async () => {
    harness = await startHarness(fleetScenario(2, DEMO_JOB));

    const r = await harness.runFleet({
      instanceIds: [fleetId(0), DEMO.instance],
      // The emulated sshd's port: PlanRestore refuses a port the VPC's SSH probe cannot reach.
      defaults: { dryRun: true, ssh: { port: 2222 } },
    });

    explain(r, () => {
      expect(r.output).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
      expect(r.output?.results).toEqual([
        expect.objectContaining({
          instanceId: DEMO.instance,
          status: 'FAILED',
          error: 'NoRecoveryPointError',
        }),
        expect.objectContaining({ instanceId: fleetId(0), status: 'PLANNED' }),
      ]);
    });
  });

  it('fails the fleet itself with InvalidInputError naming the field', async () => {
    harness = await startHarness(fleetScenario(1, DEMO_JOB));

    const r = await harness.runFleet({ instanceIds: ['i-bad'], maxConcurrency: 0 });

    explain(r, () => {
      expect(r.error).toBe('InvalidInputError');
      expect(r.cause).toMatch(/instanceIds\.0/);
      expect(r.cause).toMatch(/maxConcurrency/);
    });
  });
});
