/**
 * Short waits inside one call. A Standard workflow pays per state transition, and one more turn of
 * a Wait → Task → Choice loop is 3 transitions ($0.000075 at $0.025 per 1,000): as much as about
 * 22 seconds of a 256 MB arm64 Lambda. So a step whose condition is usually met within seconds
 * (instance running, profile associated, sshd answering) checks again inside the same call for up
 * to IN_CALL_WAIT_SECONDS, and only then hands the wait to the state machine's Wait state. Long
 * waits (the restore job: minutes to hours) stay in Wait states, which cost nothing while waiting.
 * bench/ measures both sides ("Transitions and Lambda invocations", "Cost per restore").
 */
import type { Clock, Sleep } from './time';
import type { WorkflowState } from './workflow-state';

/** The longest pause between two checks inside one call: quick detection costs only API calls. */
export const MAX_IN_CALL_PAUSE_SECONDS = 5;

export interface InCallWait {
  /** Keep checking inside the call for at most this long (0: one check per call). */
  readonly budgetSeconds: number;
  readonly now: Clock;
  readonly sleep: Sleep;
}

type LoopSlice = 'instance' | 'profile' | 'ssh';
type SliceOf<K extends LoopSlice> = NonNullable<WorkflowState[K]>;

/**
 * Runs `check` (a step that is called in a loop and reads its previous result from `state[slice]`)
 * until `isDone`, pausing min(its nextWaitSeconds, 5 s) between checks, while the pauses fit the
 * budget. Returns the last result: done, or not done with the wait for the Wait state. The budget
 * is counted both on the clock and as the sum of pauses, so a stopped clock cannot loop forever.
 */
export async function checkWithinCall<K extends LoopSlice>(
  state: WorkflowState,
  slice: K,
  check: (state: WorkflowState) => Promise<SliceOf<K>>,
  isDone: (result: SliceOf<K>) => boolean,
  wait: InCallWait,
): Promise<SliceOf<K>> {
  const began = wait.now().getTime();
  let paused = 0;
  let result = await check(state);
  while (!isDone(result)) {
    const pause = Math.min(result.nextWaitSeconds, MAX_IN_CALL_PAUSE_SECONDS);
    const spent = Math.max(paused, (wait.now().getTime() - began) / 1000);
    if (spent + pause > wait.budgetSeconds) break;
    await wait.sleep(pause);
    paused += pause;
    result = await check({ ...state, [slice]: result });
  }
  return result;
}
