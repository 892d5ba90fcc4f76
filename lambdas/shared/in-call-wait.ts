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

/**
 * The longest gap between the starts of two checks inside one call. The checks it paces are cheap
 * (one DescribeInstances, one DescribeIamInstanceProfileAssociations, one TCP connect that sshd
 * refuses), so a short gap only costs API calls, and it bounds how late the step sees the moment
 * it waits for: that lateness is orchestration overhead on the restore's RTO once sshd is up.
 * 2 s keeps 40 concurrent restores (a fleet's maximum) at EC2's non-mutating refill rate of 20/s.
 */
export const MAX_IN_CALL_PAUSE_SECONDS = 2;

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
 * until `isDone`, starting a check every min(its nextWaitSeconds, 2 s) (a check that itself took
 * that long, such as an SSH connect that timed out, is followed by the next at once), while the
 * pauses fit the budget. Returns the last result: done, or not done with the wait for the Wait
 * state. After an in-call loop that wait is the same short gap, not the step's own interval: the
 * call has already waited its budget, and the Wait → Task → Choice turn costs the same 3
 * transitions whether it waits 2 s or 10 s, so only the longer wait would be late. The budget is
 * counted both on the clock and as the sum of pauses, so a stopped clock cannot loop forever.
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
  let checkStarted = began;
  let result = await check(state);
  while (!isDone(result)) {
    const gap = Math.min(result.nextWaitSeconds, MAX_IN_CALL_PAUSE_SECONDS);
    const now = wait.now().getTime();
    const pause = Math.max(0, gap - (now - checkStarted) / 1000);
    const spent = Math.max(paused, (now - began) / 1000);
    if (spent + pause > wait.budgetSeconds) {
      return wait.budgetSeconds > 0 ? { ...result, nextWaitSeconds: Math.max(1, Math.ceil(gap)) } : result;
    }
    if (pause > 0) await wait.sleep(pause);
    // A check on a stopped clock still uses up the budget, so the loop ends.
    paused += Math.max(pause, gap);
    checkStarted = wait.now().getTime();
    result = await check({ ...state, [slice]: result });
  }
  return result;
}
