/**
 * Runs one fault-matrix cell: one restore-instance execution on its own emulator (the demo world
 * of ./scenarios.ts with the cell's faults, and the stack's EventBridge rules and Scheduler
 * schedule with the janitor behind them), then lets simulated time run on (the late restore job,
 * the janitor's events and its hourly sweep) and reads what the execution left behind.
 *
 * Why one emulator per cell rather than many executions on one: a scenario's faults are
 * account-wide (an `apiErrors` entry is spent by whichever execution calls first, a zero Elastic IP
 * quota or an unreachable sshd hits every restore), and the step-targeted rules below ask "which
 * step is running now", which only one execution per world answers exactly. Cells still run
 * concurrently (`runCells`), and each world is small (one source instance).
 *
 * API calls are attributed to steps by the emulator's request log: the log line of a call is written
 * while the calling Lambda waits for the answer, so the execution's latest TaskStateEntered is the
 * step that made it.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type Emulator, startEmulator } from '@local/emulator';
import { THROTTLING_ERRORS } from '@local/faults';
import type { ScenarioInput } from '@local/scenario';
import type { ServiceName } from '@local/services/service';
import { committedRestoreInstanceAsl } from '@state-machines/rendered-asl';
import { emulatorHistory } from './execution-closed';
import type { Cell, CellFault } from './fault-matrix-cells';
import { DEMO, demoScenario } from './scenarios';

/** Simulated seconds the world runs on after the execution closed: past a late job, the janitor's sweep (hourly) and its 30-minute retention. */
export const SETTLE_SECONDS = 3 * 3600;

export interface Leftovers {
  /** Restored instances not terminated: id, state, tags. */
  readonly instances: readonly { id: string; state: string; tags: Record<string, string> }[];
  /** Restored instances that were terminated (or are shutting down). */
  readonly terminated: readonly string[];
  readonly addresses: readonly { allocationId: string; publicIp: string; instanceId: string | null }[];
}

export interface CellRun {
  readonly cell: Cell;
  readonly executionArn: string;
  readonly status: string;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: string | null;
  readonly history: HistoryEvent[];
  /** API calls per step: `step` → `service:Operation` → count. */
  readonly callsByStep: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** `faultId@step` of every injected fault seen acting, with the step it acted in. */
  readonly fired: ReadonlySet<string>;
  /** The step whose Record…Failure state the execution went through, if any. */
  readonly failedStep: string | null;
  readonly leftovers: Leftovers;
  readonly lambdaLogs: readonly string[];
  /** Every private key of the world (PEM text). */
  readonly privateKeys: readonly string[];
  readonly emulatorErrors: readonly string[];
  readonly wallMs: number;
}

export interface RunOptions {
  /** Real milliseconds the execution may take to close; default 20 000. */
  readonly deadlineMs?: number;
}

/**
 * The instance and profile deadlines shortened (from 900 s and 300 s): a boot or an association
 * that never finishes is checked every 2 simulated seconds until the deadline, and each check costs
 * real requests, so the deployed deadlines would make those cells the slowest by far. The faults
 * (instanceBootSeconds 3600, profileAssociationSeconds 600) exceed either.
 */
export const SHORT_DEADLINES = {
  'wait-instance': { INSTANCE_TIMEOUT_SECONDS: '120' },
  'reattach-instance-profile': { PROFILE_TIMEOUT_SECONDS: '60' },
} as const;

/** The execution-timeout cells' TimeoutSeconds: mid-way through the 60-minute restore job they use. */
export const SHORT_EXECUTION_TIMEOUT_SECONDS = 1800;

export async function runCell(cell: Cell, { deadlineMs = 20_000 }: RunOptions = {}): Promise<CellRun> {
  const began = Date.now();
  const base = demoScenario().faults as NonNullable<ScenarioInput['faults']>;
  const scenarioFaults = cell.faults.reduce<Record<string, unknown>>(
    (merged, f) => mergeDeep(merged, f.scenario ?? {}),
    structuredClone(base) as Record<string, unknown>,
  );
  let executionArn = '';
  let emulator: Emulator | undefined;
  const callsByStep = new Map<string, Map<string, number>>();
  const fired = new Set<string>();
  let stopped = false;
  /** The Task state the execution runs now; null once it has closed (the janitor's calls are its own). */
  const currentTask = (): string | null => {
    if (!emulator || !executionArn) return null;
    if (emulator.sfn.describeExecution({ executionArn, includedData: 'METADATA_ONLY' }).status !== 'RUNNING')
      return null;
    return lastEntered(emulator, executionArn, 'TaskStateEntered');
  };
  const maybeStop = () => {
    if (!cell.stopAt || stopped || !emulator || !executionArn) return;
    const state = lastEntered(emulator, executionArn);
    if (state !== cell.stopAt) return;
    stopped = true;
    emulator.sfn.stopExecution({ executionArn, error: 'FaultMatrix.Stop', cause: `stopped in ${state}` });
    fired.add(`${cell.stopFaultId}@${state}`);
  };
  emulator = await startEmulator({
    scenario: demoScenario({ faults: scenarioFaults as ScenarioInput['faults'] }),
    functionEnv: SHORT_DEADLINES,
    // The stack's EventBridge rules and Scheduler schedule, with the janitor behind them.
    events: true,
    log: (line) => {
      const match = /^([a-z0-9]+:[A-Za-z]+) (\d{3})(?: (\S+))?/.exec(line);
      if (!match) return;
      const [, api = '', , code] = match;
      const step = currentTask();
      if (step) {
        const calls = callsByStep.get(step) ?? new Map<string, number>();
        calls.set(api, (calls.get(api) ?? 0) + 1);
        callsByStep.set(step, calls);
        const service = api.split(':')[0] as ServiceName;
        // The scenario's own throttling (a rate across the whole execution): which steps it reached.
        if (
          code &&
          code === THROTTLING_ERRORS[service]?.code &&
          cell.faults.some((f) => f.id === 'throttle-rate')
        )
          fired.add('throttle-rate@*');
      }
      // Stopping on a call: the step is running its Lambda, which goes on but whose result is ignored.
      maybeStop();
    },
  });
  const em = emulator;
  try {
    for (const fault of cell.faults) armRules(em, fault, () => currentTask(), fired);
    // Stopping in a Wait state, or while a Lambda pauses on the clock: the clock jumps to the next
    // due time only while nothing runs, so each jump finds the execution where it waits.
    if (cell.stopAt) em.clock.onAdvance(maybeStop);
    if (cell.executionTimeout) redeployWithShortTimeout(em);
    const stateMachineArn = em.stateMachineArns.restoreInstance;
    const input = { instanceId: DEMO.instance, ssh: { port: 2222 }, mode: cell.mode, ...cell.input };
    executionArn = em.sfn.startExecution({
      stateMachineArn,
      name: `matrix-${cell.id}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80),
      input: JSON.stringify(input),
    }).executionArn;
    // A Task state that makes no API call and does not pause (ValidateInput) is seen by looking
    // between macrotasks: its Lambda yields at least once before its result is recorded.
    if (cell.stopWatchEachTurn) void watchEachTurn(em, executionArn, () => stopped, maybeStop);
    await withDeadline(
      em.sfn.waitForExecution(executionArn),
      deadlineMs,
      () => `cell ${cell.id}: execution did not close within ${deadlineMs} ms`,
    );
    // The world runs on in simulated time: a late restore job completes, the janitor reacts to the
    // execution's end and to the job, its hourly sweep passes. An event clock skips the idle time.
    await withDeadline(
      em.clock.sleep(SETTLE_SECONDS),
      deadlineMs,
      () =>
        `cell ${cell.id}: ${SETTLE_SECONDS} simulated seconds after the end did not pass within ${deadlineMs} ms`,
    );
    await withDeadline(
      em.events?.settled() ?? Promise.resolve(),
      deadlineMs,
      () => `cell ${cell.id}: the janitor's deliveries did not settle within ${deadlineMs} ms`,
    );
    const described = em.sfn.describeExecution({ executionArn });
    if (described.status === 'TIMED_OUT')
      fired.add(`execution-timeout@${lastEntered(em, executionArn) ?? '*'}`);
    const history = emulatorHistory(em, executionArn);
    const failedStep = recordedFailure(history);
    for (const fault of cell.faults) {
      // A world fault that ends the execution acted where the execution failed; one it recovers
      // from acted if the execution reached its step.
      if (fault.rules || fault.id === 'throttle-rate') continue;
      if (fault.terminal ? failedStep === fault.step : entered(history, fault.step))
        fired.add(`${fault.id}@${fault.step}`);
    }
    return {
      cell,
      executionArn,
      status: described.status ?? 'UNKNOWN',
      error: described.error ?? null,
      cause: described.cause ?? null,
      output: described.output ?? null,
      history,
      callsByStep,
      fired,
      failedStep,
      leftovers: leftovers(em),
      lambdaLogs: [...em.lambdaLogs],
      privateKeys: [...em.world.keyPairs.values()].map((k) => k.privateKey),
      emulatorErrors: [...em.errors],
      wallMs: Date.now() - began,
    };
  } finally {
    await em.stop();
  }
}

/**
 * Starts and stops one emulator with the stack's events before the cells: it loads the
 * synthesised template (from the disk cache test/global-setup.cjs warms; a synthesis, seconds of
 * blocking CPU, only without it) and the modules, which would otherwise eat into the deadlines of
 * the first cells. Later emulators in the process reuse it from memory.
 */
export async function warmUp(): Promise<void> {
  const emulator = await startEmulator({ scenario: demoScenario(), events: true });
  await emulator.stop();
}

/** Runs cells `concurrency` at a time; results in the cells' order. */
export async function runCells(
  cells: readonly Cell[],
  { concurrency = 3, ...options }: RunOptions & { concurrency?: number } = {},
): Promise<CellRun[]> {
  const results: CellRun[] = new Array(cells.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const cell = cells[index];
      if (!cell) return;
      results[index] = await runCell(cell, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cells.length) }, worker));
  return results;
}

function armRules(
  emulator: Emulator,
  fault: CellFault,
  currentTask: () => string | null,
  fired: Set<string>,
) {
  for (const rule of fault.rules ?? [])
    emulator.faults.addRule({
      ...rule,
      when: () => currentTask() === fault.step,
      onFire: () => fired.add(`${fault.id}@${fault.step}`),
    });
}

async function watchEachTurn(
  emulator: Emulator,
  executionArn: string,
  done: () => boolean,
  look: () => void,
) {
  while (!done() && emulator.sfn.describeExecution({ executionArn }).status === 'RUNNING') {
    look();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * restore-instance redeployed with a short TimeoutSeconds, under the same name and ARN (so the
 * stack's rules and the janitor see it as theirs), so that an execution times out mid-restore:
 * the deployed TimeoutSeconds (26 h) is longer than the workflow's own deadlines add up to, so no
 * fault of the schema reaches it.
 */
function redeployWithShortTimeout(emulator: Emulator): void {
  const asl = committedRestoreInstanceAsl({ region: emulator.region, accountId: emulator.accountId });
  const arn = emulator.stateMachineArns.restoreInstance;
  const name = arn.split(':').at(-1) ?? 'restore-instance';
  emulator.sfn.deleteStateMachine({ stateMachineArn: arn });
  const created = emulator.sfn.createStateMachine({
    name,
    definition: JSON.stringify({ ...asl, TimeoutSeconds: SHORT_EXECUTION_TIMEOUT_SECONDS }),
    roleArn: `arn:aws:iam::${emulator.accountId}:role/ec2-restore-state-machine`,
  });
  if (created.stateMachineArn !== arn)
    throw new Error(`redeployed ${name} as ${created.stateMachineArn}, not ${arn}`);
}

/** The name of the latest state entered (of `type`, if given), or null. */
function lastEntered(emulator: Emulator, executionArn: string, type?: string): string | null {
  const { events = [] } = emulator.sfn.getExecutionHistory({
    executionArn,
    reverseOrder: true,
    maxResults: 1000,
  });
  const event = events.find((e) => (type ? e.type === type : e.stateEnteredEventDetails !== undefined));
  return event?.stateEnteredEventDetails?.name ?? null;
}

function entered(history: readonly HistoryEvent[], state: string): boolean {
  return history.some((e) => e.stateEnteredEventDetails?.name === state);
}

/** The step named by the `Record<Step>Failure` Pass state the execution went through. */
function recordedFailure(history: readonly HistoryEvent[]): string | null {
  for (const e of history) {
    const match = /^Record(\w+)Failure$/.exec(e.stateEnteredEventDetails?.name ?? '');
    if (match?.[1]) return match[1];
  }
  return null;
}

function leftovers(emulator: Emulator): Leftovers {
  const sources = new Set<string>([DEMO.instance]);
  const restored = [...emulator.world.instances.values()].filter((i) => !sources.has(i.id));
  const gone = (state: string) => state === 'terminated' || state === 'shutting-down';
  return {
    instances: restored
      .filter((i) => !gone(i.state))
      .map((i) => ({ id: i.id, state: i.state, tags: Object.fromEntries(i.tags) })),
    terminated: restored.filter((i) => gone(i.state)).map((i) => i.id),
    addresses: [...emulator.world.addresses.values()].map((a) => ({
      allocationId: a.allocationId,
      publicIp: a.publicIp,
      instanceId: a.instanceId,
    })),
  };
}

async function withDeadline<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? mergeDeep(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
