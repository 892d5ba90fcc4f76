import { checkWithinCall, MAX_IN_CALL_PAUSE_SECONDS } from '@shared/in-call-wait';
import type { InstanceState, WorkflowState } from '@shared/workflow-state';
import { at, IDS } from '@test/helpers/workflow-state';

/** A clock that only the fake sleep moves, and a record of every pause. */
function fakeTime() {
  let nowMs = at(0).getTime();
  const pauses: number[] = [];
  return {
    pauses,
    now: () => new Date(nowMs),
    sleep: async (seconds: number) => {
      pauses.push(seconds);
      nowMs += seconds * 1000;
    },
    advance: (seconds: number) => {
      nowMs += seconds * 1000;
    },
  };
}

const STATE = { execution: { id: 'arn', name: 'n', startTime: at(0).toISOString() } } as WorkflowState;

/** An instance check that reports pending until `readyAfterChecks` checks, and records what it saw. */
function instanceCheck(readyAfterChecks: number, nextWaitSeconds = 10) {
  const seen: (number | null)[] = [];
  const check = async (state: WorkflowState): Promise<InstanceState> => {
    const polls = (state.instance?.polls ?? 0) + 1;
    seen.push(state.instance?.polls ?? null);
    const ready = polls >= readyAfterChecks;
    return {
      instanceId: IDS.restoredInstance,
      state: ready ? 'running' : 'pending',
      privateIp: null,
      publicIp: null,
      subnetId: null,
      vpcId: null,
      instanceProfileArn: null,
      firstCheckedAt: at(0).toISOString(),
      polls,
      runningAt: null,
      ready,
      nextWaitSeconds: ready ? 0 : nextWaitSeconds,
    };
  };
  return { check, seen };
}

describe('checkWithinCall', () => {
  it('checks again inside the call, passing each result on as the previous one, until done', async () => {
    const time = fakeTime();
    const { check, seen } = instanceCheck(3);

    const result = await checkWithinCall(STATE, 'instance', check, (r) => r.ready, {
      budgetSeconds: 30,
      ...time,
    });

    expect(result).toMatchObject({ ready: true, polls: 3 });
    expect(seen).toEqual([null, 1, 2]);
    expect(time.pauses).toEqual([MAX_IN_CALL_PAUSE_SECONDS, MAX_IN_CALL_PAUSE_SECONDS]);
  });

  it('pauses for the shorter of the step’s own wait and the in-call maximum', async () => {
    const time = fakeTime();
    const { check } = instanceCheck(2, 1);

    await checkWithinCall(STATE, 'instance', check, (r) => r.ready, { budgetSeconds: 30, ...time });

    expect(time.pauses).toEqual([1]);
  });

  it('stops at the budget and hands the Wait state the in-call gap, not the step’s own longer wait', async () => {
    const time = fakeTime();
    const { check, seen } = instanceCheck(100);

    const result = await checkWithinCall(STATE, 'instance', check, (r) => r.ready, {
      budgetSeconds: 12,
      ...time,
    });

    // The call already waited 12 s: a turn costs the same transitions after 2 s as after 10 s.
    expect(result).toMatchObject({ ready: false, nextWaitSeconds: MAX_IN_CALL_PAUSE_SECONDS });
    expect(time.pauses).toEqual([2, 2, 2, 2, 2, 2]);
    expect(seen).toHaveLength(7);
  });

  it('keeps the step’s own wait when there is no in-call budget', async () => {
    const time = fakeTime();
    const { check } = instanceCheck(100);

    const result = await checkWithinCall(STATE, 'instance', check, (r) => r.ready, {
      budgetSeconds: 0,
      ...time,
    });

    expect(result).toMatchObject({ ready: false, nextWaitSeconds: 10 });
  });

  it('starts the next check at once after a check that took longer than the gap, and counts it against the budget', async () => {
    const time = fakeTime();
    const { check: slowCheck, seen } = instanceCheck(100);
    const check = async (state: WorkflowState) => {
      time.advance(8);
      return slowCheck(state);
    };

    await checkWithinCall(STATE, 'instance', check, (r) => r.ready, { budgetSeconds: 20, ...time });

    // 8 s checks back to back: 8, 16, then 24 s spent is past the budget, so no fourth check.
    expect(time.pauses).toEqual([]);
    expect(seen).toHaveLength(3);
  });

  it('pauses only for what is left of the gap after a check that took part of it', async () => {
    const time = fakeTime();
    const { check: slowCheck } = instanceCheck(3);
    const check = async (state: WorkflowState) => {
      time.advance(0.5);
      return slowCheck(state);
    };

    await checkWithinCall(STATE, 'instance', check, (r) => r.ready, { budgetSeconds: 30, ...time });

    expect(time.pauses).toEqual([1.5, 1.5]);
  });

  it('checks once when the budget is 0', async () => {
    const time = fakeTime();
    const { check, seen } = instanceCheck(2);

    const result = await checkWithinCall(STATE, 'instance', check, (r) => r.ready, {
      budgetSeconds: 0,
      ...time,
    });

    expect(result.ready).toBe(false);
    expect(seen).toEqual([null]);
    expect(time.pauses).toEqual([]);
  });

  it('ends even when the clock does not move, by counting its own pauses', async () => {
    const time = fakeTime();
    const { check, seen } = instanceCheck(100);
    const frozen = { ...time, now: () => at(0) };

    await checkWithinCall(STATE, 'instance', check, (r) => r.ready, { budgetSeconds: 30, ...frozen });

    expect(time.pauses).toEqual(Array.from({ length: 15 }, () => 2));
    expect(seen).toHaveLength(16);
  });
});
