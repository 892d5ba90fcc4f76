/**
 * Progress of a fleet that runs in the Distributed Map. On AWS its iterations are child workflows
 * of a Map Run, absent from the fleet's history, so the CLI reads each instance's progress from
 * its restore-instance execution (ListExecutions) and ignores the iteration events the emulator,
 * which runs that Map inline, writes. On the emulator with the inline limit lowered to 2, and
 * with a mocked client for what each poll may cost.
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  type ExecutionListItem,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { FleetChildren } from '@cli/fleet-children';
import { FleetTracker } from '@cli/fleet-progress';
import { FleetStates } from '@shared/state-names';
import { renderRestoreFleetAsl } from '@state-machines/render';
import { DURATION } from '@test/helpers/cli-format';
import { type CliEmulator, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { fleetId, fleetScenario } from '@test/helpers/fleet-scenario';
import { mockClient } from 'aws-sdk-client-mock';

const TEST_MODE = ['--mode', 'test', '--ssh-port', '2222', '--poll-interval', '0.05'];

describe('fleet --wait of 4 instances in the Distributed Map (inline limit 2), 1 failing', () => {
  const ids = [0, 1, 2, 3].map(fleetId);
  const failing = fleetId(1);
  let world: CliEmulator;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    world = await startCliEmulator(fleetScenario(4, { failing: [failing] }));
    const { sfn, region, accountId } = world.emulator;
    const { stateMachineArn } = sfn.createStateMachine({
      name: 'restore-fleet-inline-limit-2',
      definition: JSON.stringify(renderRestoreFleetAsl({ region, accountId, inlineMapMaxTargets: 2 })),
      roleArn: `arn:aws:iam::${accountId}:role/ec2-restore-state-machine`,
    });
    // No restore-instance ARN configured: the children's state machine is read from the fleet's definition.
    env = {
      ...world.env,
      EC2_RESTORE_FLEET_STATE_MACHINE_ARN: stateMachineArn,
      EC2_RESTORE_STATE_MACHINE_ARN: undefined,
    };
  });

  afterAll(() => world.stop());

  it('on a pipe prints "n of N done" for every instance from its child execution, naming the failure', async () => {
    const { code, stdout, stderr } = await runInProcess(
      ['fleet', '--instance-ids', ids.join(','), ...TEST_MODE, '--wait'],
      { env },
    );

    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    const lines = stdout.split('\n');
    const note = lines.findIndex((l) =>
      /^\[\+\d\d:\d\d:\d\d\] 4 instances run in a Distributed Map: following each one's restore-instance execution$/.test(
        l,
      ),
    );
    expect(note).toBeGreaterThan(0);
    const started = lines.filter((l) => / started$/.test(l));
    expect(started.map((l) => / (i-\S+) started$/.exec(l)?.[1]).sort()).toEqual(ids);
    const done = lines.filter((l) => / of 4 done/.test(l));
    expect(done.map((l) => /\] (\d) of 4 done/.exec(l)?.[1])).toEqual(['1', '2', '3', '4']);
    // SUCCEEDED is the child execution's status: the emulator's iteration events (which the
    // inline path reads) would have said VALIDATED_AND_CLEANED_UP, and counted each instance twice.
    expect(done.map((l) => /failed so far: (.*)$/.exec(l)?.[1]).sort()).toEqual(
      ids.map((id) => (id === failing ? `${id} FAILED (RestoreJobFailedError)` : `${id} SUCCEEDED`)),
    );
    for (const line of [...started, ...done]) expect(lines.indexOf(line)).toBeGreaterThan(note);
    expect(done.at(-1)).toMatch(/^\[\+\d\d:\d\d:\d\d\] 4 of 4 done, 1 failed so far: i-0f1\d{14} /);
    expect(stdout).toMatch(
      new RegExp(`\\nFleet finished in ${DURATION}: 3 of 4 instances restored, 1 failed\\n`),
    );
    // Without EC2_RESTORE_STATE_MACHINE_ARN a child's name would not resolve: its ARN is given.
    expect(stdout).toMatch(
      new RegExp(
        `^ {6}ec2-restore status arn:aws:states:\\S+:execution:restore-instance:\\S+-${failing}$`,
        'm',
      ),
    );
    expect(stdout).toMatch(new RegExp(`^ {2}${failing}\\s+FAILED\\s+RestoreJobFailedError\\s+arn:`, 'm'));
  });

  it('with --json prints the fleet output, progress on stderr, and exits 1', async () => {
    const { code, stdout, stderr } = await runInProcess(
      ['fleet', '--instance-ids', ids.join(','), ...TEST_MODE, '--wait', '--json'],
      { env },
    );

    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ total: 4, succeeded: 3, failed: 1 });
    expect(stderr).toContain('4 instances run in a Distributed Map');
    expect(stderr).toMatch(/\] 4 of 4 done, 1 failed so far: /);
    expect(stderr).toContain(`done, 1 failed so far: ${failing} FAILED (RestoreJobFailedError)`);
  });
});

describe('FleetChildren: what one poll costs', () => {
  const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(sfn);
  const restoreInstance = 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-instance';
  const fleetStart = new Date('2026-11-20T10:00:00Z');
  const at = (minutes: number) => new Date(fleetStart.getTime() + minutes * 60_000);
  const ids = [0, 1, 2].map(fleetId);
  const childName = (id: string) => `f-0123abcd-${id}`;
  const child = (id: string, status: string, stopped?: number): ExecutionListItem =>
    ({
      name: childName(id),
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:restore-instance:${childName(id)}`,
      status,
      startDate: at(1),
      ...(stopped !== undefined && { stopDate: at(stopped) }),
    }) as ExecutionListItem;

  /** A tracker that has seen ResolveTargets name 3 children and, if `distributed`, the Distributed Map start. */
  function tracker(distributed = true): FleetTracker {
    const t = new FleetTracker();
    const plan = {
      request: { maxConcurrency: 2 },
      targets: ids.map((id) => ({ instanceId: id, executionName: childName(id), input: {} })),
      targetCount: 3,
      unusable: [],
      note: null,
    };
    const events: HistoryEvent[] = [
      {
        id: 1,
        type: 'TaskStateExited',
        timestamp: fleetStart,
        stateExitedEventDetails: { name: FleetStates.ResolveTargets, output: JSON.stringify({ plan }) },
      },
    ];
    if (distributed) {
      events.push({
        id: 2,
        type: 'MapStateEntered',
        timestamp: fleetStart,
        stateEnteredEventDetails: { name: FleetStates.RestoreEachDistributed },
      });
    }
    for (const e of events) t.consume(e);
    return t;
  }

  const calls = (command: unknown) => mock.commandCalls(command as never).length;

  beforeEach(() => {
    mock.reset();
    mock.on(DescribeStateMachineCommand).resolves({
      definition: JSON.stringify({
        States: {
          RestoreEachDistributed: {
            ItemProcessor: {
              States: { RestoreInstanceDistributed: { Parameters: { StateMachineArn: restoreInstance } } },
            },
          },
        },
      }),
    });
    mock
      .on(DescribeExecutionCommand)
      .resolves({ error: 'RestoreJobFailedError', cause: 'Snapshot unavailable' });
  });

  it('calls nothing while the fleet runs in the inline Map', async () => {
    const lines = await new FleetChildren(sfn, tracker(false), { startDate: fleetStart }, undefined).poll();

    expect(lines).toEqual([]);
    expect(mock.calls()).toHaveLength(0);
  });

  it('lists once a poll, describes only a child newly failed, and stops once every child ended', async () => {
    const t = tracker();
    const children = new FleetChildren(
      sfn,
      t,
      { stateMachineArn: 'arn:fleet', startDate: fleetStart },
      undefined,
    );
    mock
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [child(ids[1] as string, 'RUNNING'), child(ids[0] as string, 'RUNNING')] })
      .resolvesOnce({
        executions: [
          child(ids[2] as string, 'SUCCEEDED', 4),
          child(ids[1] as string, 'FAILED', 3),
          child(ids[0] as string, 'RUNNING'),
        ],
      })
      .resolves({
        executions: [
          child(ids[2] as string, 'SUCCEEDED', 4),
          child(ids[1] as string, 'FAILED', 3),
          child(ids[0] as string, 'SUCCEEDED', 5),
        ],
      });

    const first = await children.poll();
    const second = await children.poll();
    const third = await children.poll();
    const fourth = await children.poll();

    expect(first.map((l) => l.text).sort()).toEqual([`${ids[0]} started`, `${ids[1]} started`]);
    expect(second.map((l) => l.text)).toEqual([
      `${ids[1]} FAILED (RestoreJobFailedError)`,
      `${ids[2]} started`,
      `${ids[2]} SUCCEEDED`,
    ]);
    expect(third.map((l) => [l.text, l.counts])).toEqual([
      [`${ids[0]} SUCCEEDED`, { total: 3, done: 3, failed: 1, running: 0 }],
    ]);
    expect(fourth).toEqual([]);
    expect(calls(DescribeStateMachineCommand)).toBe(1);
    expect(calls(ListExecutionsCommand)).toBe(3);
    expect(calls(DescribeExecutionCommand)).toBe(1);
    expect(t.members.get(ids[1] as string)).toMatchObject({
      status: 'FAILED',
      cause: 'Snapshot unavailable',
    });
  });

  it('reads at most 3 pages a poll, and none past the executions started before the fleet', async () => {
    const other = (minutes: number): ExecutionListItem => ({
      name: `someone-else-${minutes}`,
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:restore-instance:other-${minutes}`,
      stateMachineArn: restoreInstance,
      status: 'RUNNING',
      startDate: at(minutes),
    });
    mock.on(ListExecutionsCommand).resolves({ executions: [other(2)], nextToken: 'more' });
    const busy = new FleetChildren(sfn, tracker(), { startDate: fleetStart }, restoreInstance);

    await busy.poll();

    expect(calls(ListExecutionsCommand)).toBe(3);

    mock.reset();
    mock.on(ListExecutionsCommand).resolves({ executions: [other(-1)], nextToken: 'more' });
    const older = new FleetChildren(sfn, tracker(), { startDate: fleetStart }, restoreInstance);

    await older.poll();

    expect(calls(ListExecutionsCommand)).toBe(1);
  });

  it('skips a throttled poll, and gives up with a note when the children cannot be listed', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    mock.on(ListExecutionsCommand).rejectsOnce(throttled).rejects(denied);
    const children = new FleetChildren(sfn, tracker(), { startDate: fleetStart }, restoreInstance);

    const first = await children.poll();
    const second = await children.poll();
    const third = await children.poll();

    expect(first).toEqual([]);
    expect(second.map((l) => [l.kind, l.text])).toEqual([
      [
        'note',
        'cannot follow the restores one by one (ListExecutions failed: AccessDeniedException); results come at the end',
      ],
    ]);
    expect(third).toEqual([]);
    expect(calls(ListExecutionsCommand)).toBe(2);
  });
});
