/**
 * Issue 13 item 3, the leak: a run that fails after the restore job but before TagResources has
 * tagged the instance. The restore job's instance then carries only AWS Backup's tag, and the step
 * policies let cleanup terminate nothing but a tagged test restore, so cleanup must first claim the
 * instance as this execution's test restore, then terminate it. In recovery mode the same failure
 * must terminate nothing: the instance is kept and claimed as this execution's recovery restore.
 *
 * The failure is TagResources' first CreateTags refused (as a missing permission would be);
 * the calls after it succeed.
 */
import { CreateTagsCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { ScenarioInput } from '@local/scenario';
import { BACKUP_SOURCE_TAG, TagKeys } from '@shared/tags';
import { DEMO, demoRecoveryPoint, demoScenario } from '@test/helpers/scenarios';
import { explain, type Harness, startHarness, type WorkflowRun } from '@test/helpers/workflow-run';

let harness: Harness;
afterEach(async () => {
  await harness.stop();
});

const demoFaults = demoScenario().faults as NonNullable<ScenarioInput['faults']>;
const TAGGING_REFUSED = {
  faults: {
    ...demoFaults,
    apiErrors: [
      {
        api: 'ec2:CreateTags',
        code: 'UnauthorizedOperation',
        message: 'You are not authorized to perform this operation.',
        status: 403,
        times: 1,
      },
    ],
  },
} satisfies Partial<ScenarioInput>;

const request = (mode: 'test' | 'recovery') => ({ instanceId: DEMO.instance, ssh: { port: 2222 }, mode });

/** The instance the run's restore job created, as the emulated EC2 holds it. */
function restoredInstance(run: WorkflowRun) {
  const [job] = [...harness.emulator.world.restoreJobs.values()];
  const id = job?.createdInstanceId;
  const instance = id ? harness.emulator.world.instances.get(id) : undefined;
  if (!instance) throw new Error(`No restored instance: ${JSON.stringify({ job, error: run.error })}`);
  return { id: instance.id, state: instance.state, tags: Object.fromEntries(instance.tags) };
}

function liveInstances(): string[] {
  return [...harness.emulator.world.instances.values()]
    .filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')
    .map((i) => i.id);
}

describe('a run that fails between the restore job and TagResources', () => {
  it('test mode: claims the untagged restore as this test execution’s, terminates it and leaves no Elastic IP', async () => {
    harness = await startHarness(TAGGING_REFUSED);

    const r = await harness.run(request('test'));

    explain(r, () => {
      expect(r.error).toBe('InstanceNotRunningError');
      expect(r.cause).toMatch(/^TagResources failed: UnauthorizedOperation/);
      expect(r.cause).toMatch(/test mode: removed i-/);
    });
    const restored = restoredInstance(r);
    expect(restored.tags).toMatchObject({
      [BACKUP_SOURCE_TAG]: expect.any(String),
      [TagKeys.Execution]: r.executionArn,
      [TagKeys.Mode]: 'test',
    });
    expect(['shutting-down', 'terminated']).toContain(restored.state);
    expect(liveInstances()).toEqual([DEMO.instance]);
    expect(harness.emulator.world.addresses.size).toBe(0);
  });

  it('test mode: lifts the restored instance’s termination protection after claiming it', async () => {
    const protectedPoint = demoRecoveryPoint({ DisableApiTermination: 'true' });
    harness = await startHarness({
      ...TAGGING_REFUSED,
      backupPlan: undefined,
      recoveryPoints: [protectedPoint],
    });

    const r = await harness.run(request('test'));

    explain(r, () => expect(r.error).toBe('InstanceNotRunningError'));
    expect(restoredInstance(r).tags).toMatchObject({ [TagKeys.Mode]: 'test' });
    expect(liveInstances()).toEqual([DEMO.instance]);
    expect(harness.apiCalls.some((call) => call.startsWith('ec2:ModifyInstanceAttribute 200'))).toBe(true);
  });

  it('recovery mode: terminates nothing, and claims the kept instance as this recovery with the failed step', async () => {
    harness = await startHarness(TAGGING_REFUSED);

    const r = await harness.run(request('recovery'));

    explain(r, () => {
      expect(r.error).toBe('InstanceNotRunningError');
      expect(r.cause).toMatch(/was kept and tagged ec2-restore:failed-step=TagResources/);
    });
    const restored = restoredInstance(r);
    expect(restored.state).toBe('running');
    expect(restored.tags).toMatchObject({
      [TagKeys.Execution]: r.executionArn,
      [TagKeys.Mode]: 'recovery',
      [TagKeys.FailedStep]: 'TagResources',
    });
    expect(liveInstances().sort()).toEqual([DEMO.instance, restored.id].sort());
    expect(harness.apiCalls.filter((call) => call.startsWith('ec2:TerminateInstances'))).toEqual([]);
  });
});

/**
 * The same rules as calls the emulator enforces, each signed with the step's own role: allowed on
 * this execution's test restore (tagged, or just restored and claimed first), refused on an
 * instance the workflow did not restore, on a recovery restore, and on another execution's claim.
 */
describe('enforced calls of the steps that write to instances', () => {
  const THIS = 'arn:aws:states:us-east-1:123456789012:execution:restore-instance:run-1';
  const OTHER = 'arn:aws:states:us-east-1:123456789012:execution:restore-instance:run-2';
  const backup = { [BACKUP_SOURCE_TAG]: `${DEMO.instance}:ami-0de00000000000001` };
  const INSTANCES = {
    justRestored: { id: 'i-0de000000000000a1', tags: backup },
    thisTest: {
      id: 'i-0de000000000000a2',
      tags: { ...backup, [TagKeys.Execution]: THIS, [TagKeys.Mode]: 'test' },
    },
    thisRecovery: {
      id: 'i-0de000000000000a3',
      tags: { ...backup, [TagKeys.Execution]: THIS, [TagKeys.Mode]: 'recovery' },
    },
    otherRecovery: {
      id: 'i-0de000000000000a4',
      tags: { ...backup, [TagKeys.Execution]: OTHER, [TagKeys.Mode]: 'recovery' },
    },
  };
  const production = DEMO.instance;
  const { instances: demoInstances } = demoScenario();
  const demoInstance = demoInstances?.[0] as NonNullable<ScenarioInput['instances']>[number];
  const as = (step: 'cleanup' | 'handle-failure' | 'tag-resources') =>
    new EC2Client({
      endpoint: harness.emulator.endpoint,
      region: harness.emulator.region,
      credentials: harness.emulator.iam.credentialsFor(step),
      maxAttempts: 1,
    });
  const outcome = (call: Promise<unknown>) =>
    call.then(
      () => 'allowed',
      (error: { name?: string }) => error.name ?? 'error',
    );
  const terminate = (step: 'cleanup' | 'handle-failure' | 'tag-resources', id: string) =>
    outcome(as(step).send(new TerminateInstancesCommand({ InstanceIds: [id] })));
  const tag = (
    step: 'cleanup' | 'handle-failure' | 'tag-resources',
    id: string,
    tags: Record<string, string>,
  ) =>
    outcome(
      as(step).send(
        new CreateTagsCommand({
          Resources: [id],
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  const claimAs = (mode: string) => ({ [TagKeys.Execution]: THIS, [TagKeys.Mode]: mode });
  const state = (id: string) => harness.emulator.world.instances.get(id)?.state;

  beforeEach(async () => {
    harness = await startHarness({
      instances: [
        demoInstance,
        ...Object.values(INSTANCES).map(({ id, tags }) => ({ ...demoInstance, id, name: undefined, tags })),
      ],
    });
  });

  it.each(['cleanup', 'handle-failure'] as const)(
    '%s: terminates this execution’s test restore, and an untagged restore only once it claimed it',
    async (step) => {
      expect(await terminate(step, INSTANCES.justRestored.id)).toBe('UnauthorizedOperation');
      expect(await tag(step, INSTANCES.justRestored.id, claimAs('test'))).toBe('allowed');
      expect(await terminate(step, INSTANCES.justRestored.id)).toBe('allowed');
      expect(await terminate(step, INSTANCES.thisTest.id)).toBe('allowed');
      expect(['shutting-down', 'terminated']).toContain(state(INSTANCES.thisTest.id));
    },
  );

  it.each(['cleanup', 'handle-failure'] as const)(
    '%s: may neither claim nor terminate the production instance, a recovery restore or another execution’s claim',
    async (step) => {
      for (const id of [production, INSTANCES.thisRecovery.id, INSTANCES.otherRecovery.id]) {
        expect(await tag(step, id, claimAs('test'))).toBe('UnauthorizedOperation');
        expect(await terminate(step, id)).toBe('UnauthorizedOperation');
        expect(state(id)).toBe('running');
      }
      expect(await tag(step, production, { Name: 'mine now' })).toBe('UnauthorizedOperation');
    },
  );

  it('handle-failure: tags the failed step on a recovery restore only', async () => {
    const failed = { [TagKeys.FailedStep]: 'CheckSsh' };
    expect(await tag('handle-failure', INSTANCES.thisRecovery.id, failed)).toBe('allowed');
    expect(await tag('handle-failure', INSTANCES.thisTest.id, failed)).toBe('UnauthorizedOperation');
    expect(await tag('handle-failure', production, failed)).toBe('UnauthorizedOperation');
  });

  it('tag-resources: claims an untagged restore, then names it; writes nothing on any other instance', async () => {
    expect(await tag('tag-resources', production, claimAs('recovery'))).toBe('UnauthorizedOperation');
    expect(await tag('tag-resources', production, { Name: 'x' })).toBe('UnauthorizedOperation');
    expect(await tag('tag-resources', INSTANCES.otherRecovery.id, claimAs('recovery'))).toBe(
      'UnauthorizedOperation',
    );
    expect(await tag('tag-resources', INSTANCES.otherRecovery.id, { [TagKeys.Mode]: 'test' })).toBe(
      'UnauthorizedOperation',
    );
    expect(await tag('tag-resources', INSTANCES.justRestored.id, { Name: 'x' })).toBe(
      'UnauthorizedOperation',
    );
    expect(await tag('tag-resources', INSTANCES.justRestored.id, claimAs('recovery'))).toBe('allowed');
    expect(await tag('tag-resources', INSTANCES.justRestored.id, { Name: 'x' })).toBe('allowed');
    expect(await terminate('tag-resources', INSTANCES.thisTest.id)).toBe('UnauthorizedOperation');
  });
});
