/**
 * EventBridge and Scheduler in the emulator: event patterns matched as EventBridge matches them,
 * Scheduler expressions (rate, cron in a time zone, at), and a scheduled restore test from the
 * synthesised stack firing on the simulated clock.
 */
import {
  type CloudFormationTemplate,
  synthesiseOrchestratorTemplate,
} from '@local/apigateway/synthesised-api';
import { type Emulator, startEmulator } from '@local/emulator';
import { checkPattern, matchesPattern, UnsupportedPatternError } from '@local/events/event-pattern';
import { nextFiring, parseScheduleExpression } from '@local/events/schedule-expression';
import { executionClosed } from '@test/helpers/execution-closed';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO, demoScenario } from '@test/helpers/scenarios';

describe('event patterns', () => {
  const event = {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    resources: ['arn:aws:states:us-east-1:123456789012:execution:restore-instance:x'],
    detail: {
      status: 'ABORTED',
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-instance',
      stopDate: 5,
    },
  };

  it('matches exact values, and every named field must match', () => {
    expect(matchesPattern({ source: ['aws.states'], detail: { status: ['ABORTED', 'FAILED'] } }, event)).toBe(
      true,
    );
    expect(matchesPattern({ source: ['aws.states'], detail: { status: ['SUCCEEDED'] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: ['x'] } }, event)).toBe(false);
    // An array field matches when any element does.
    expect(matchesPattern({ resources: [event.resources[0] as string] }, event)).toBe(true);
  });

  it('implements prefix, suffix, anything-but, exists, equals-ignore-case and numeric', () => {
    expect(matchesPattern({ detail: { stateMachineArn: [{ prefix: 'arn:aws:states:' }] } }, event)).toBe(
      true,
    );
    expect(matchesPattern({ detail: { stateMachineArn: [{ suffix: ':restore-fleet' }] } }, event)).toBe(
      false,
    );
    expect(
      matchesPattern({ detail: { status: [{ 'anything-but': ['SUCCEEDED', 'RUNNING'] }] } }, event),
    ).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': 'ABORTED' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': { prefix: 'AB' } }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { error: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'equals-ignore-case': 'aborted' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { stopDate: [{ numeric: ['>', 1, '<=', 5] }] } }, event)).toBe(true);
  });

  it('refuses a filter it does not implement, by name', () => {
    expect(() => checkPattern({ detail: { status: [{ wildcard: 'AB*' }] } })).toThrow(
      UnsupportedPatternError,
    );
    expect(() => checkPattern({ detail: { status: [{ wildcard: 'AB*' }] } })).toThrow(
      /filter {"wildcard":"AB\*"}/,
    );
  });
});

describe('Scheduler expressions', () => {
  const at = (iso: string) => Date.parse(iso);

  it("rate: every period from the schedule's creation", () => {
    const hourly = parseScheduleExpression('rate(1 hour)');
    const origin = at('2026-11-29T10:00:00Z');
    expect(nextFiring(hourly, origin, origin)).toBe(at('2026-11-29T11:00:00Z'));
    expect(nextFiring(hourly, at('2026-11-29T11:00:00Z'), origin)).toBe(at('2026-11-29T12:00:00Z'));
  });

  it('cron: read in its time zone, day-of-week 1-7 from Sunday', () => {
    const weekly = parseScheduleExpression('cron(0 3 ? * SUN *)', 'Asia/Tokyo');
    // Sunday 03:00 in Tokyo is Saturday 18:00 UTC.
    expect(nextFiring(weekly, at('2026-11-28T00:00:00Z'), 0)).toBe(at('2026-11-28T18:00:00Z'));
    const weekdays = parseScheduleExpression('cron(30 21 ? * 2-6 *)');
    expect(nextFiring(weekdays, at('2026-11-28T22:00:00Z'), 0)).toBe(at('2026-11-30T21:30:00Z'));
    expect(() => parseScheduleExpression('cron(0 3 L * ? *)')).toThrow(/not supported by the emulator/);
    expect(() => parseScheduleExpression('cron(0 3 * * *)')).toThrow(/6 fields/);
  });

  it('at: once, and never again', () => {
    const once = parseScheduleExpression('at(2026-12-01T09:00:00)', 'Asia/Tokyo');
    expect(nextFiring(once, at('2026-11-30T00:00:00Z'), 0)).toBe(at('2026-12-01T00:00:00Z'));
    expect(nextFiring(once, at('2026-12-01T00:00:00Z'), 0)).toBeUndefined();
  });
});

describe('a scheduled restore test on the emulator', () => {
  let emulator: Emulator | undefined;
  afterAll(() => emulator?.stop());

  it("fires the stack's schedule on the simulated clock and starts a test-mode restore with its input", async () => {
    // cdk.json's example schedule (cron(0 3 ? * SUN *), Asia/Tokyo) is disabled and names a
    // placeholder instance: enabled here, for the demo instance, as `-c restoreTestSchedules` would.
    const { template } = synthesiseOrchestratorTemplate({ account: '123456789012', region: 'us-east-1' });
    const resources = structuredClone(template.Resources) as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >;
    const [id, schedule] = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'AWS::Scheduler::Schedule' && String(r.Properties?.Description).includes('restore test'),
    ) as [string, { Properties: Record<string, unknown> }];
    schedule.Properties.State = 'ENABLED';
    (schedule.Properties.Target as { Input: string }).Input = JSON.stringify({
      mode: 'test',
      instanceId: DEMO.instance,
      ssh: { port: 2222 },
    });
    const patched: CloudFormationTemplate = { ...template, Resources: resources };

    // Every 5 simulated minutes from when the emulator loaded it (the cron form and its time
    // zone are checked above without a clock): at x60 the first firing comes 5 s in.
    schedule.Properties.ScheduleExpression = 'rate(5 minutes)';
    emulator = await startEmulator({
      scenario: demoScenario({ clock: { speed: 60, mode: 'fixed' } }),
      events: { template: patched },
    });
    const loadedAt = emulator.clock.nowMs();
    const started = await pollUntil(
      () =>
        emulator?.sfn.listExecutions({ stateMachineArn: emulator.stateMachineArns.restoreInstance })
          .executions ?? [],
      { describe: `schedule ${id} to start a restore`, until: (list) => list.length > 0 },
    );
    const execution = emulator.sfn.describeExecution({ executionArn: started[0]?.executionArn as string });
    expect(JSON.parse(execution.input ?? '{}')).toEqual({
      mode: 'test',
      instanceId: DEMO.instance,
      ssh: { port: 2222 },
    });
    // On time, to within the real timer's resolution at x60.
    const startedAt = execution.startDate?.getTime() ?? 0;
    expect(startedAt - loadedAt).toBeGreaterThanOrEqual(300_000 - 60_000);
    expect(startedAt - loadedAt).toBeLessThan(300_000 + 10_000);
    const closed = await executionClosed(emulator, execution.executionArn as string);
    expect(JSON.parse(closed.output ?? '{}')).toMatchObject({ status: 'VALIDATED_AND_CLEANED_UP' });
  }, 120_000);
});
