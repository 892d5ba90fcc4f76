/**
 * The janitor on the emulator, end to end: the stack's own EventBridge rules (from the synthesised
 * template) hear the execution and restore-job events the emulator emits, and the janitor Lambda
 * cleans up after executions that ended outside the workflow's own failure path.
 */
import { type Emulator, startEmulator } from '@local/emulator';
import type { ScenarioInput } from '@local/scenario';
import { TagKeys } from '@shared/tags';
import { executionClosed } from '@test/helpers/execution-closed';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO, demoScenario } from '@test/helpers/scenarios';

let emulator: Emulator | undefined;

afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

// The first emulator with events synthesises the stack (seconds); later ones reuse it.
beforeAll(async () => {
  const warm = await startEmulator({ scenario: demoScenario(), events: true });
  await warm.stop();
}, 180_000);

async function start(overrides: Partial<ScenarioInput>): Promise<Emulator> {
  emulator = await startEmulator({ scenario: demoScenario(overrides), events: true });
  return emulator;
}

function begin(e: Emulator, input: Record<string, unknown>, name: string): string {
  return e.sfn.startExecution({
    stateMachineArn: e.stateMachineArns.restoreInstance,
    name,
    input: JSON.stringify({ instanceId: DEMO.instance, ssh: { port: 2222 }, ...input }),
  }).executionArn;
}

/** The execution's instance and address in the emulated world, once both exist. */
async function ownResources(e: Emulator, executionArn: string) {
  return pollUntil(
    () => {
      const instance = [...e.world.instances.values()].find(
        (i) => i.tags.get(TagKeys.Execution) === executionArn,
      );
      const address = [...e.world.addresses.values()].find(
        (a) => a.tags.get(TagKeys.Execution) === executionArn && a.instanceId !== null,
      );
      return instance && address ? { instance, address } : undefined;
    },
    {
      describe: `the instance and Elastic IP of ${executionArn}`,
      until: (r) => r !== undefined,
    },
  ) as Promise<{ instance: { id: string; state: string }; address: { allocationId: string } }>;
}

describe('the janitor on the emulator', () => {
  it('removes the instance and the Elastic IP of a test-mode execution stopped mid-restore', async () => {
    // A fixed clock keeps the execution running (sshd never answers in time) while the test stops it.
    const e = await start({
      clock: { speed: 600, mode: 'fixed' },
      faults: {
        restoreJob: { durationMinutes: 5 },
        instanceBootSeconds: 10,
        ssh: { bootDelaySeconds: 3600 },
      },
    });
    const arn = begin(e, { mode: 'test' }, 'stopped-test');
    const { instance, address } = await ownResources(e, arn);
    expect(instance.state).toBe('running');

    e.sfn.stopExecution({ executionArn: arn, error: 'Operator.Stop', cause: 'stopped by the test' });
    await pollUntil(() => e.world.instances.get(instance.id)?.state, {
      describe: `the janitor to terminate ${instance.id}`,
      until: (state) => state === 'terminated' || state === 'shutting-down',
    });
    await e.events?.settled();
    expect(e.world.addresses.has(address.allocationId)).toBe(false);
    const deliveries = e.events?.deliveries.filter((d) => d.outcome === 'delivered') ?? [];
    expect(deliveries.map((d) => (d.event as { detail?: { status?: string } }).detail?.status)).toContain(
      'ABORTED',
    );
    expect(e.lambdaLogs.some((l) => l.includes('janitor removed test-mode resources'))).toBe(true);
  });

  it('removes the instance of a restore job that completes after RestoreTimeoutError', async () => {
    const e = await start({
      faults: { restoreJob: { durationMinutes: 30 }, instanceBootSeconds: 10, ssh: { bootDelaySeconds: 5 } },
    });
    const arn = begin(e, { mode: 'test', restoreTimeoutMinutes: 5 }, 'gave-up-test');
    const closed = await executionClosed(e, arn);
    expect(closed.status).toBe('FAILED');
    expect(closed.error).toBe('RestoreTimeoutError');

    // The job is still running; it completes 30 simulated minutes in and creates an instance.
    const job = await pollUntil(() => [...e.world.restoreJobs.values()][0], {
      describe: 'the restore job to complete',
      until: (j) => j?.status === 'COMPLETED' && j.createdInstanceId !== null,
    });
    const created = job?.createdInstanceId as string;
    await pollUntil(() => e.world.instances.get(created)?.state, {
      describe: `the janitor to terminate ${created}`,
      until: (state) => state === 'terminated' || state === 'shutting-down',
    });
    const instance = e.world.instances.get(created);
    // Claimed for its execution before it was terminated: the trail says whose it was.
    expect(instance?.tags.get(TagKeys.Execution)).toBe(arn);
    expect(
      e.events?.events.some((ev) => ev.source === 'aws.backup' && ev.detail.status === 'COMPLETED'),
    ).toBe(true);
  });

  it('never terminates in recovery mode: tags what the stopped execution left and notifies the topic', async () => {
    const e = await start({
      clock: { speed: 600, mode: 'fixed' },
      faults: {
        restoreJob: { durationMinutes: 5 },
        instanceBootSeconds: 10,
        ssh: { bootDelaySeconds: 3600 },
      },
    });
    const arn = begin(e, { mode: 'recovery' }, 'stopped-recovery');
    const { instance, address } = await ownResources(e, arn);

    e.sfn.stopExecution({ executionArn: arn });
    await pollUntil(() => e.sns.messages, {
      describe: 'the janitor to notify the topic',
      until: (messages) => messages.length > 0,
    });
    await e.events?.settled();
    const after = e.world.instances.get(instance.id);
    expect(after?.state).toBe('running');
    expect(after?.tags.get(TagKeys.Outcome)).toBe('ABORTED');
    expect(e.world.addresses.has(address.allocationId)).toBe(true);
    const [message] = e.sns.messages;
    expect(message?.subject).toContain('recovery-mode');
    expect(JSON.parse(message?.message ?? '{}')).toMatchObject({
      settlements: [{ executionArn: arn, mode: 'recovery', action: 'tagged', instanceIds: [instance.id] }],
    });
  });

  describe('an execution stopped inside StartRestoreJob, after the job started (its id never stored)', () => {
    /**
     * Stops the execution on the step's own backup:StartRestoreJob response: AWS Backup has the
     * job, the Lambda's result (the job id) never reaches the history. Returns the job's instance
     * once the job completed and the janitor's deliveries settled.
     */
    async function stopInsideStartRestoreJob(mode: 'test' | 'recovery') {
      let arn = '';
      let stopped = false;
      emulator = await startEmulator({
        scenario: demoScenario({
          faults: {
            restoreJob: { durationMinutes: 5 },
            instanceBootSeconds: 10,
            ssh: { bootDelaySeconds: 5 },
          },
        }),
        log: (line) => {
          if (stopped || !arn || !/^backup:StartRestoreJob 200/.test(line)) return;
          stopped = true;
          emulator?.sfn.stopExecution({
            executionArn: arn,
            error: 'Operator.Stop',
            cause: 'inside StartRestoreJob',
          });
        },
      });
      const e = emulator;
      arn = begin(e, { mode }, `stopped-in-start-${mode}`);
      const closed = await executionClosed(e, arn);
      expect(closed.status).toBe('ABORTED');
      expect(JSON.stringify(e.sfn.getExecutionHistory({ executionArn: arn }))).not.toContain('"restoreJob"');
      const job = await pollUntil(() => [...e.world.restoreJobs.values()][0], {
        describe: 'the restore job to complete',
        until: (j) => j?.status === 'COMPLETED' && j.createdInstanceId !== null,
      });
      // Simulated time for the job's event to be delivered and handled.
      await e.clock.sleep(600);
      await e.events?.settled();
      return { e, arn, instanceId: job?.createdInstanceId as string };
    }

    it('test mode: the janitor traces the job by its recovery point and removes its instance', async () => {
      const { e, arn, instanceId } = await stopInsideStartRestoreJob('test');
      const instance = e.world.instances.get(instanceId);
      expect(['terminated', 'shutting-down']).toContain(instance?.state);
      expect(instance?.tags.get(TagKeys.Execution)).toBe(arn);
      expect(e.errors).toEqual([]);
    });

    it('recovery mode: the janitor claims the kept instance and tags its outcome', async () => {
      const { e, arn, instanceId } = await stopInsideStartRestoreJob('recovery');
      const instance = e.world.instances.get(instanceId);
      expect(instance?.state).toBe('running');
      expect(instance?.tags.get(TagKeys.Execution)).toBe(arn);
      expect(instance?.tags.get(TagKeys.Mode)).toBe('recovery');
      expect(instance?.tags.get(TagKeys.Outcome)).toBe('ABORTED');
    });
  });
});
