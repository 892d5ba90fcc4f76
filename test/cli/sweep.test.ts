/**
 * `ec2-restore sweep` against the emulator: a test-mode execution stopped mid-restore, with no
 * janitor running (the emulator starts without its events), leaves an instance and an Elastic IP
 * behind; the sweep finds them, `--apply` removes them, and a second sweep finds nothing.
 */
import { TagKeys } from '@shared/tags';
import { type CliEmulator, runCli, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO } from '@test/helpers/scenarios';

let world: CliEmulator;
let executionArn: string;
let instanceId: string;
let allocationId: string;

beforeAll(async () => {
  // A fixed clock keeps the execution running (sshd never answers in time) until it is stopped.
  world = await startCliEmulator(
    {
      clock: { speed: 600, mode: 'fixed' },
      faults: {
        restoreJob: { durationMinutes: 5 },
        instanceBootSeconds: 10,
        ssh: { bootDelaySeconds: 3600 },
      },
    },
    { events: false },
  );
  const { emulator } = world;
  executionArn = emulator.sfn.startExecution({
    stateMachineArn: emulator.stateMachineArns.restoreInstance,
    name: 'abandoned-rehearsal',
    input: JSON.stringify({ instanceId: DEMO.instance, ssh: { port: 2222 }, mode: 'test' }),
  }).executionArn;
  const planted = await pollUntil(
    () => {
      const address = [...emulator.world.addresses.values()].find(
        (a) => a.tags.get(TagKeys.Execution) === executionArn && a.instanceId !== null,
      );
      return address
        ? { instanceId: address.instanceId as string, allocationId: address.allocationId }
        : undefined;
    },
    {
      describe: 'the rehearsal to allocate its Elastic IP',
      until: (found) => found !== undefined,
    },
  );
  ({ instanceId, allocationId } = planted as { instanceId: string; allocationId: string });
  emulator.sfn.stopExecution({ executionArn });
  await executionClosed(emulator, executionArn);
});

afterAll(() => world.stop());

describe('ec2-restore sweep', () => {
  it('lists the leftover for a person, exits 1, and removes nothing without --apply', async () => {
    const { code, stdout } = await runInProcess(['sweep', '--retention-minutes', '0'], { env: world.env });

    expect(code).toBe(1);
    expect(stdout).toMatch(/^RESOURCE\s+STATE\/IP\s+EXECUTION\s+ENDED \(UTC\)\s+EXECUTION NAME$/m);
    expect(stdout).toMatch(new RegExp(`^${instanceId}\\s+running\\s+ABORTED\\s+.*abandoned-rehearsal$`, 'm'));
    expect(stdout).toMatch(
      new RegExp(`^${allocationId}\\s+127\\.\\S+\\s+ABORTED\\s+.*abandoned-rehearsal$`, 'm'),
    );
    expect(stdout).toContain('2 leftover(s). Remove them: ec2-restore sweep --apply');
    expect(world.emulator.world.instances.get(instanceId)?.state).toBe('running');
  });

  it('leaves what ended within the retention alone (exit 0)', async () => {
    const { code, stdout } = await runInProcess(['sweep', '--retention-minutes', '10080'], {
      env: world.env,
    });
    expect(code).toBe(0);
    expect(stdout).toContain('Nothing left behind.');
  });

  it('refuses a bad retention with a usage error', async () => {
    const { code, stderr } = await runInProcess(['sweep', '--retention-minutes', 'soon'], { env: world.env });
    expect(code).toBe(2);
    expect(stderr).toContain('--retention-minutes must be a whole number from 0 to 10080, got "soon"');
  });

  it('--apply --json removes the instance and the address, reports them, exits 1; then the account is clean', async () => {
    // As a script runs it: a child process, one JSON document on stdout.
    const applied = await runCli(['sweep', '--apply', '--retention-minutes', '0', '--json'], world.env);

    expect(applied.code).toBe(1);
    const report = JSON.parse(applied.stdout);
    expect(report).toMatchObject({
      retentionMinutes: 0,
      applied: true,
      restoreJobsChecked: true,
      leftovers: [
        {
          executionArn,
          executionStatus: 'ABORTED',
          instanceIds: [instanceId],
          allocationIds: [allocationId],
        },
      ],
      removals: [{ executionArn, removed: true, instanceIds: [instanceId], allocationIds: [allocationId] }],
    });
    const state = world.emulator.world.instances.get(instanceId)?.state;
    expect(['shutting-down', 'terminated']).toContain(state);
    expect(world.emulator.world.addresses.has(allocationId)).toBe(false);

    const again = await runCli(['sweep', '--retention-minutes', '0', '--json'], world.env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ leftovers: [], removals: [] });
  });
});
