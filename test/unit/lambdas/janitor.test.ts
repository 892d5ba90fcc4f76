/**
 * The janitor's rules, against SDK clients whose calls a small stateful fake answers: what it
 * removes, what it only tags, what it leaves alone, and what it reports.
 */

import { DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import {
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  type Filter,
  ModifyInstanceAttributeCommand,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { type JanitorDeps, runJanitor } from '@lambdas/janitor/janitor';
import { parseInvocation } from '@lambdas/janitor/janitor-events';
import { findLeftovers } from '@lambdas/janitor/sweep';
import { BACKUP_SOURCE_TAG, TagKeys } from '@shared/tags';
import { captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { mockClient } from 'aws-sdk-client-mock';

const { clients, mocks } = mockAws();
const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
const sfnMock = mockClient(sfn);
const NOW = new Date('2026-11-29T12:00:00Z');
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-instance';
const FLEET = 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-fleet';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:notifications';
const exec = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:restore-instance:${name}`;

/** A tiny EC2: instances and addresses with tags, answering the filters the janitor sends. */
interface FakeInstance {
  id: string;
  state: string;
  tags: Record<string, string>;
  protectedFromTermination?: boolean;
}
let instances: FakeInstance[];
let addresses: { allocationId: string; associationId?: string; tags: Record<string, string> }[];
const matches = (tags: Record<string, string>, state: string | undefined, filters: Filter[] = []) =>
  filters.every((f) => {
    if (f.Name === 'instance-state-name') return f.Values?.includes(state ?? '');
    if (f.Name === 'tag-key') return f.Values?.some((k) => k in tags);
    if (f.Name?.startsWith('tag:')) return f.Values?.includes(tags[f.Name.slice(4)] ?? '\u0000');
    return false;
  });
const toTags = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

let emitted: string[];
function deps(): JanitorDeps {
  emitted = [];
  return {
    ec2: clients.ec2,
    sfn,
    backup: clients.backup,
    sns: clients.sns,
    now: () => NOW,
    logger: captureLogger().logger,
    emitMetric: (line) => emitted.push(line),
    config: {
      restoreStateMachineArn: SM,
      fleetStateMachineArn: FLEET,
      notificationTopicArn: TOPIC,
      retentionMinutes: 30,
      restoreJobLookbackHours: 48,
      metricNamespace: 'Test/Janitor',
    },
  };
}

/** An execution as Step Functions would describe it, with a history whose last state holds `state`. */
function execution(
  name: string,
  status: string,
  mode: 'test' | 'recovery',
  stoppedMinutesAgo: number,
  state = {},
) {
  sfnMock.on(DescribeExecutionCommand, { executionArn: exec(name) }).resolves({
    executionArn: exec(name),
    stateMachineArn: SM,
    status: status as never,
    startDate: new Date(NOW.getTime() - 3_600_000),
    stopDate: status === 'RUNNING' ? undefined : new Date(NOW.getTime() - stoppedMinutesAgo * 60_000),
    input: JSON.stringify({ instanceId: 'i-0de00000000000001', mode }),
  });
  sfnMock.on(GetExecutionHistoryCommand, { executionArn: exec(name) }).resolves({
    events: [
      {
        id: 1,
        timestamp: NOW,
        type: 'TaskStateExited',
        stateExitedEventDetails: { name: 'X', output: JSON.stringify({ request: { mode }, ...state }) },
      },
    ],
  });
}

const endedEvent = (name: string, status = 'ABORTED') => ({
  version: '0',
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: { executionArn: exec(name), stateMachineArn: SM, status, stopDate: NOW.getTime() },
});

beforeEach(() => {
  sfnMock.reset();
  instances = [];
  addresses = [];
  mocks.ec2
    .on(DescribeInstancesCommand)
    .callsFake((input: { InstanceIds?: string[]; Filters?: Filter[] }) => ({
      Reservations: [
        {
          Instances: instances
            .filter((i) =>
              input.InstanceIds ? input.InstanceIds.includes(i.id) : matches(i.tags, i.state, input.Filters),
            )
            .map((i) => ({ InstanceId: i.id, State: { Name: i.state as never }, Tags: toTags(i.tags) })),
        },
      ],
    }));
  mocks.ec2.on(DescribeAddressesCommand).callsFake((input: { Filters?: Filter[] }) => ({
    Addresses: addresses
      .filter((a) => matches(a.tags, undefined, input.Filters))
      .map((a) => ({ AllocationId: a.allocationId, AssociationId: a.associationId, Tags: toTags(a.tags) })),
  }));
  mocks.ec2
    .on(CreateTagsCommand)
    .callsFake((input: { Resources: string[]; Tags: { Key: string; Value: string }[] }) => {
      for (const id of input.Resources) {
        const target = instances.find((i) => i.id === id) ?? addresses.find((a) => a.allocationId === id);
        for (const tag of input.Tags) if (target) target.tags[tag.Key] = tag.Value;
      }
      return {};
    });
  mocks.ec2.on(TerminateInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
    const target = instances.find((i) => i.id === input.InstanceIds[0]);
    if (target?.protectedFromTermination) {
      throw Object.assign(new Error('The instance may not be terminated.'), {
        name: 'OperationNotPermitted',
      });
    }
    if (target) target.state = 'shutting-down';
    return {};
  });
  mocks.ec2.on(ModifyInstanceAttributeCommand).callsFake((input: { InstanceId: string }) => {
    const target = instances.find((i) => i.id === input.InstanceId);
    if (target) target.protectedFromTermination = false;
    return {};
  });
  mocks.ec2.on(ReleaseAddressCommand).callsFake((input: { AllocationId: string }) => {
    addresses = addresses.filter((a) => a.allocationId !== input.AllocationId);
    return {};
  });
  mocks.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  // What AWS Backup says of a job: the event carries no recovery point (see execution-lookup.ts).
  mocks.backup.on(DescribeRestoreJobCommand).resolves({ ResourceType: 'EC2' });
});

/** ListExecutions as Step Functions answers it: `statusFilter` keeps one status. */
function listExecutions(executions: readonly ExecutionListItem[]): void {
  sfnMock.on(ListExecutionsCommand).callsFake((input: { statusFilter?: string }) => ({
    executions: executions.filter((e) => !input.statusFilter || e.status === input.statusFilter),
  }));
}

describe('janitor invocations', () => {
  it('tells the three invocations apart and refuses anything else by name', () => {
    expect(parseInvocation(endedEvent('a')).kind).toBe('execution-ended');
    expect(
      parseInvocation({
        source: 'aws.backup',
        'detail-type': 'Restore Job State Change',
        detail: { restoreJobId: 'J', status: 'COMPLETED' },
      }).kind,
    ).toBe('restore-job-changed');
    expect(parseInvocation({ janitor: 'sweep' }).kind).toBe('sweep');
    expect(() => parseInvocation({ source: 'aws.ec2' })).toThrow(
      /cannot handle this event \(source "aws.ec2"\)/,
    );
  });
});

describe('an execution that ended outside its own failure path', () => {
  it('test mode: claims the untagged instance its restore job created, lifts termination protection, terminates it, releases the address', async () => {
    const name = 'stopped-test';
    execution(name, 'ABORTED', 'test', 1, { restoreJob: { id: 'JOB-1', createdInstanceId: 'i-1' } });
    instances = [
      {
        id: 'i-1',
        state: 'running',
        tags: { [BACKUP_SOURCE_TAG]: 'i-src:ami-1' },
        protectedFromTermination: true,
      },
    ];
    addresses = [
      {
        allocationId: 'eipalloc-1',
        associationId: 'eipassoc-1',
        tags: { [TagKeys.Execution]: exec(name), [TagKeys.Mode]: 'test' },
      },
    ];

    const result = await runJanitor(parseInvocation(endedEvent(name)), deps());

    expect(result.settlements).toEqual([
      expect.objectContaining({
        action: 'removed',
        mode: 'test',
        instanceIds: ['i-1'],
        allocationIds: ['eipalloc-1'],
      }),
    ]);
    expect(instances[0]?.state).toBe('shutting-down');
    expect(instances[0]?.tags).toMatchObject({ [TagKeys.Execution]: exec(name), [TagKeys.Mode]: 'test' });
    expect(mocks.ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(1);
    expect(addresses).toEqual([]);
    expect(JSON.parse(emitted[0] ?? '{}')).toMatchObject({
      Trigger: 'execution-ended',
      InstancesRemoved: 1,
      ElasticIpsReleased: 1,
    });
    expect(mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input.TopicArn).toBe(TOPIC);
  });

  it('recovery mode: terminates and releases nothing, tags what it found with the outcome, notifies', async () => {
    const name = 'stopped-recovery';
    execution(name, 'TIMED_OUT', 'recovery', 1, { restoreJob: { id: 'JOB-2', createdInstanceId: 'i-2' } });
    instances = [
      { id: 'i-2', state: 'running', tags: { [TagKeys.Execution]: exec(name), [TagKeys.Mode]: 'recovery' } },
    ];
    addresses = [
      { allocationId: 'eipalloc-2', tags: { [TagKeys.Execution]: exec(name), [TagKeys.Mode]: 'recovery' } },
    ];

    const result = await runJanitor(parseInvocation(endedEvent(name, 'TIMED_OUT')), deps());

    expect(result.settlements[0]).toMatchObject({ action: 'tagged', mode: 'recovery' });
    expect(mocks.ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
    expect(mocks.ec2.commandCalls(ReleaseAddressCommand)).toEqual([]);
    expect(instances[0]?.tags[TagKeys.Outcome]).toBe('TIMED_OUT');
    expect(addresses[0]?.tags[TagKeys.Outcome]).toBe('TIMED_OUT');
    expect(mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toContain('not terminated');
  });

  it('is idempotent: a second event for the same execution finds nothing and publishes nothing', async () => {
    const name = 'twice';
    execution(name, 'FAILED', 'test', 1);
    instances = [
      { id: 'i-3', state: 'running', tags: { [TagKeys.Execution]: exec(name), [TagKeys.Mode]: 'test' } },
    ];
    await runJanitor(parseInvocation(endedEvent(name, 'FAILED')), deps());
    mocks.sns.resetHistory();
    const again = await runJanitor(parseInvocation(endedEvent(name, 'FAILED')), deps());
    expect(again.settlements[0]).toMatchObject({ action: 'none' });
    expect(mocks.sns.commandCalls(PublishCommand)).toEqual([]);
  });

  it('ignores SUCCEEDED and state machines it does not look after', async () => {
    const d = deps();
    expect((await runJanitor(parseInvocation(endedEvent('ok', 'SUCCEEDED')), d)).settlements).toEqual([]);
    const other = {
      ...endedEvent('x'),
      detail: { ...endedEvent('x').detail, stateMachineArn: `${SM}-evil` },
    };
    expect((await runJanitor(parseInvocation(other), d)).settlements).toEqual([]);
    expect(sfnMock.calls()).toEqual([]);
  });
});

describe('a restore job that completed', () => {
  const jobEvent = (jobId: string, instanceId: string) => ({
    source: 'aws.backup',
    'detail-type': 'Restore Job State Change',
    detail: {
      restoreJobId: jobId,
      status: 'COMPLETED',
      creationDate: new Date(NOW.getTime() - 1_800_000).toISOString(),
      createdResourceArn: `arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`,
    },
  });

  /** A ListExecutions item started an hour ago. */
  const listed = (name: string, status: ExecutionStatus, stopDate?: Date): ExecutionListItem => ({
    executionArn: exec(name),
    stateMachineArn: SM,
    name,
    status,
    startDate: new Date(NOW.getTime() - 3_600_000),
    ...(stopDate && { stopDate }),
  });

  it('after its test-mode execution gave up: the instance is claimed and terminated', async () => {
    const name = 'gave-up';
    execution(name, 'FAILED', 'test', 10, { restoreJob: { id: 'JOB-LATE', createdInstanceId: null } });
    listExecutions([listed(name, 'FAILED', new Date(NOW.getTime() - 600_000))]);
    instances = [{ id: 'i-0abc1', state: 'running', tags: { [BACKUP_SOURCE_TAG]: 'i-src:ami-1' } }];
    const result = await runJanitor(parseInvocation(jobEvent('JOB-LATE', 'i-0abc1')), deps());
    expect(result.settlements[0]).toMatchObject({ action: 'removed', instanceIds: ['i-0abc1'] });
    expect(instances[0]).toMatchObject({ state: 'shutting-down', tags: { [TagKeys.Execution]: exec(name) } });
  });

  it('that no execution of ours started: left alone', async () => {
    const name = 'unrelated';
    execution(name, 'FAILED', 'test', 10, { restoreJob: { id: 'JOB-OURS', createdInstanceId: null } });
    listExecutions([listed(name, 'FAILED')]);
    instances = [{ id: 'i-0def2', state: 'running', tags: {} }];
    const result = await runJanitor(parseInvocation(jobEvent('JOB-CONSOLE', 'i-0def2')), deps());
    expect(result.settlements).toEqual([]);
    expect(mocks.ec2.commandCalls(CreateTagsCommand)).toEqual([]);
    expect(mocks.ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
  });

  it("whose execution still runs, beside a fleet's running and succeeded ones: no history is read", async () => {
    for (const [name, status] of [
      ['owner', 'RUNNING'],
      ['sibling', 'RUNNING'],
      ['done', 'SUCCEEDED'],
    ] as const) {
      execution(name, status, 'test', 10, { restoreJob: { id: `JOB-${name}`, createdInstanceId: null } });
    }
    listExecutions([
      listed('owner', 'RUNNING'),
      listed('sibling', 'RUNNING'),
      listed('done', 'SUCCEEDED', new Date(NOW.getTime() - 60_000)),
    ]);
    instances = [{ id: 'i-0abc1', state: 'running', tags: { [BACKUP_SOURCE_TAG]: 'i-src:ami-1' } }];
    const result = await runJanitor(parseInvocation(jobEvent('JOB-owner', 'i-0abc1')), deps());
    expect(result.settlements).toEqual([]);
    // Only the ended executions are read: a fleet's n completions no longer read n² histories.
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toEqual([]);
    expect(mocks.ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
  });
});

describe('the sweep rules', () => {
  const tagged = (id: string, name: string, mode = 'test'): FakeInstance => ({
    id,
    state: 'running',
    tags: { [TagKeys.Execution]: exec(name), [TagKeys.Mode]: mode },
  });

  it('takes only test-mode resources of executions that are over, in test mode, and past the retention', async () => {
    execution('old', 'ABORTED', 'test', 45);
    execution('fresh', 'ABORTED', 'test', 10);
    execution('running', 'RUNNING', 'test', 0);
    // The tag says test, the execution says recovery: the execution's word wins.
    execution('mislabelled', 'FAILED', 'recovery', 120);
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: exec('expired') })
      .rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    instances = [
      tagged('i-old', 'old'),
      tagged('i-fresh', 'fresh'),
      tagged('i-running', 'running'),
      tagged('i-mislabelled', 'mislabelled'),
      tagged('i-expired', 'expired'),
      tagged('i-recovery', 'old', 'recovery'),
    ];
    const leftovers = await findLeftovers({ ec2: clients.ec2, sfn }, { now: NOW, retentionMinutes: 30 });
    expect(leftovers.flatMap((l) => l.instances.map((i) => i.instanceId)).sort()).toEqual([
      'i-expired',
      'i-old',
    ]);
  });
});

describe('a restore job whose execution was stopped inside StartRestoreJob (its id never stored)', () => {
  const POINT = 'arn:aws:ec2:us-east-1::image/ami-0point';
  const created = new Date(NOW.getTime() - 1_800_000);
  const jobEvent = {
    source: 'aws.backup',
    'detail-type': 'Restore Job State Change',
    detail: {
      restoreJobId: 'JOB-UNSTORED',
      status: 'COMPLETED',
      creationDate: created.toISOString(),
      createdResourceArn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abc9',
    },
  };
  /** Entered StartRestoreJob just before the job was created, aborted just after: no job id stored. */
  function stoppedInStep(name: string, status = 'ABORTED') {
    const entered = new Date(created.getTime() - 1_000);
    const stopped = new Date(created.getTime() + 1_000);
    sfnMock.on(DescribeExecutionCommand, { executionArn: exec(name) }).resolves({
      executionArn: exec(name),
      stateMachineArn: SM,
      status: status as never,
      startDate: new Date(entered.getTime() - 60_000),
      stopDate: status === 'RUNNING' ? undefined : stopped,
      input: JSON.stringify({ instanceId: 'i-0de00000000000001', mode: 'test' }),
    });
    sfnMock.on(GetExecutionHistoryCommand, { executionArn: exec(name) }).resolves({
      events: [
        {
          id: 1,
          timestamp: entered,
          type: 'TaskStateEntered',
          stateEnteredEventDetails: {
            name: 'StartRestoreJob',
            input: JSON.stringify({
              request: { mode: 'test' },
              selection: { recoveryPoint: { arn: POINT } },
            }),
          },
        },
        ...(status === 'RUNNING' ? [] : [{ id: 2, timestamp: stopped, type: 'ExecutionAborted' as const }]),
      ],
    });
    return {
      executionArn: exec(name),
      stateMachineArn: SM,
      name,
      status: status as never,
      startDate: new Date(entered.getTime() - 60_000),
      stopDate: status === 'RUNNING' ? undefined : stopped,
    };
  }
  beforeEach(() => {
    mocks.backup
      .on(DescribeRestoreJobCommand)
      .resolves({ RecoveryPointArn: POINT, ResourceType: 'EC2', CreationDate: created });
    instances = [{ id: 'i-0abc9', state: 'running', tags: { [BACKUP_SOURCE_TAG]: 'i-src:ami-0point' } }];
  });

  it('the one execution that was in the step for that recovery point: claimed and removed', async () => {
    listExecutions([stoppedInStep('only')]);
    const result = await runJanitor(parseInvocation(jobEvent), deps());
    expect(result.settlements[0]).toMatchObject({ executionArn: exec('only'), action: 'removed' });
    expect(instances[0]).toMatchObject({
      state: 'shutting-down',
      tags: { [TagKeys.Execution]: exec('only') },
    });
  });

  it('two executions that could have started it: neither is matched, the instance is left alone', async () => {
    listExecutions([stoppedInStep('one'), stoppedInStep('two')]);
    expect((await runJanitor(parseInvocation(jobEvent), deps())).settlements).toEqual([]);
    expect(instances[0]).toMatchObject({
      state: 'running',
      tags: { [BACKUP_SOURCE_TAG]: 'i-src:ami-0point' },
    });
  });

  it('one still inside the step beside a stopped one: nothing is matched (it may store the id)', async () => {
    listExecutions([stoppedInStep('running', 'RUNNING'), stoppedInStep('stopped')]);
    expect((await runJanitor(parseInvocation(jobEvent), deps())).settlements).toEqual([]);
    expect(instances[0]?.state).toBe('running');
  });

  it('another recovery point: not matched', async () => {
    mocks.backup
      .on(DescribeRestoreJobCommand)
      .resolves({ RecoveryPointArn: `${POINT}-other`, ResourceType: 'EC2', CreationDate: created });
    listExecutions([stoppedInStep('only')]);
    expect((await runJanitor(parseInvocation(jobEvent), deps())).settlements).toEqual([]);
    expect(instances[0]?.state).toBe('running');
  });
});
