/**
 * The fault matrix's cells: every fault the scenario schema offers (local/scenario.ts, read from
 * the schema itself), each API error at each call a step makes (found by a discovery run on the
 * emulator, not listed by hand), throttling at each step, StopExecution in each state, an execution
 * timeout; each in both modes.
 *
 * A pair is (fault, step, mode). `exhaustiveCells` gives each pair a cell of its own. `coveringCells`
 * packs pairs into fewer cells by greedy set cover, and a cell covers several pairs only where that
 * is true of what it runs:
 * - one execution ends at most once, so a cell holds at most one fault that ends it (a "terminal"
 *   fault: an API error a step does not survive, a job that fails, an sshd that rejects the key, a
 *   StopExecution, a timeout);
 * - before that step it may hold faults the workflow recovers from (a 5xx the SDK and the state
 *   machine retry past, throttling, a dropped profile, a slow sshd), at most one per step, each at
 *   a step strictly earlier than the terminal one, so none can prevent another from acting;
 * - a fault in HandleFailure acts only after a failure: it rides on a failure in
 *   ReattachInstanceProfile or CheckSsh, after which HandleFailure makes the calls its discovery
 *   run (the SSH check failing) saw.
 * The runner records which faults acted in which step (`CellRun.fired`); a planned pair that did
 * not act is a coverage miss, which the test fails on, so a wrong packing cannot pass unnoticed.
 */
import { THROTTLING_ERRORS } from '@local/faults';
import { FaultsSchema } from '@local/scenario';
import type { ServiceName } from '@local/services/service';
import { committedRestoreInstanceAsl } from '@state-machines/rendered-asl';

export type Mode = 'test' | 'recovery';
export const MODES: readonly Mode[] = ['test', 'recovery'];

export interface RuleSpec {
  readonly api: string;
  readonly code: string;
  readonly status: number;
  readonly times: number;
  readonly message?: string;
}

export interface CellFault {
  /** e.g. `api-denied:ec2:DescribeInstances`, `job-FAILED`, `stop`. */
  readonly id: string;
  /** The step (state) it acts in; `*` for the whole execution. */
  readonly step: string;
  /** Ends the execution where it acts. */
  readonly terminal: boolean;
  /** Merged into the scenario's `faults`. */
  readonly scenario?: Record<string, unknown>;
  /** Merged into the execution input. */
  readonly input?: Record<string, unknown>;
  /** Step-targeted API faults (active only while `step` runs), all under this fault's id. */
  readonly rules?: readonly RuleSpec[];
  /** The scenario's `schema` path(s) this fault exercises. */
  readonly schemaPaths: readonly string[];
  /** A stop: look for the state between macrotasks too (it makes no call and does not pause). */
  readonly watchEachTurn?: boolean;
}

export interface Cell {
  readonly id: string;
  readonly mode: Mode;
  readonly faults: readonly CellFault[];
  readonly input: Record<string, unknown>;
  /** Stop the execution once it is in this state. */
  readonly stopAt?: string;
  readonly stopFaultId?: string;
  readonly stopWatchEachTurn?: boolean;
  /** Run on the same definition with a short TimeoutSeconds. */
  readonly executionTimeout?: boolean;
  /** The pairs this cell is meant to exercise: `fault@step#mode`. */
  readonly covers: readonly string[];
}

/** What the discovery runs saw, per mode: the calls each step made and the states entered, in order. */
export interface Discovery {
  readonly callsByStep: Readonly<Record<Mode, ReadonlyMap<string, ReadonlyMap<string, number>>>>;
  /** Steps in the order a run entered them (happy path, then the failure path's HandleFailure). */
  readonly stepOrder: Readonly<Record<Mode, readonly string[]>>;
  /** Task and Wait states the runs were seen in (where StopExecution can find an execution). */
  readonly stoppableStates: Readonly<Record<Mode, readonly string[]>>;
  /** Which discovery run first entered each state (`DISCOVERY_CONDITIONS`): a stop there needs its world. */
  readonly enteredUnder: Readonly<Record<Mode, Readonly<Record<string, keyof typeof DISCOVERY_CONDITIONS>>>>;
}

export const pairKey = (faultId: string, step: string, mode: Mode) => `${faultId}@${step}#${mode}`;

/** A denial each service answers with (its access-denied error): the step cannot go on. */
const DENIED: Record<ServiceName, { code: string; status: number }> = {
  ec2: { code: 'UnauthorizedOperation', status: 403 },
  backup: { code: 'AccessDeniedException', status: 403 },
  ssm: { code: 'AccessDeniedException', status: 400 },
  iam: { code: 'AccessDenied', status: 403 },
  sfn: { code: 'AccessDeniedException', status: 400 },
  sns: { code: 'AuthorizationError', status: 403 },
};
/** A server-side error each service may answer with (the SDK and the state machine retry it). */
const UNAVAILABLE: Record<ServiceName, { code: string; status: number }> = {
  ec2: { code: 'InternalError', status: 500 },
  backup: { code: 'ServiceUnavailableException', status: 503 },
  ssm: { code: 'InternalServerError', status: 500 },
  iam: { code: 'ServiceFailure', status: 500 },
  sfn: { code: 'ServiceUnavailable', status: 503 },
  sns: { code: 'InternalError', status: 500 },
};
/** The emulator's SDK clients try 3 times (local/emulator.ts): 3 failures make the step fail transiently. */
const SDK_ATTEMPTS = 3;

/** Where the world faults act, and with what: the schema's fields, each turned into a fault. */
export function worldFaults(): CellFault[] {
  const outcomes = jobOutcomes().filter((o) => o !== 'COMPLETED');
  return [
    ...outcomes.map((outcome) => ({
      id: `job-${outcome}`,
      step: 'PollRestoreJob',
      terminal: true,
      scenario: { restoreJob: { outcome, statusMessage: `injected: the restore job ended ${outcome}` } },
      schemaPaths: ['restoreJob.outcome', 'restoreJob.statusMessage', 'restoreJobsBySource'],
    })),
    {
      // The job outlives the workflow's deadline, then completes and creates an instance nobody watches.
      id: 'job-slow-past-deadline',
      step: 'PollRestoreJob',
      terminal: true,
      scenario: { restoreJob: { durationMinutes: 60 } },
      input: { restoreTimeoutMinutes: 5 },
      schemaPaths: ['restoreJob.durationMinutes'],
    },
    {
      id: 'job-drops-profile',
      step: 'ReattachInstanceProfile',
      terminal: false,
      scenario: { restoreJob: { dropInstanceProfile: true } },
      schemaPaths: ['restoreJob.dropInstanceProfile'],
    },
    {
      // Longer than INSTANCE_TIMEOUT_SECONDS (900): the boot never finishes as far as the workflow knows.
      id: 'boot-never-finishes',
      step: 'WaitForInstance',
      terminal: true,
      scenario: { instanceBootSeconds: 3600 },
      schemaPaths: ['instanceBootSeconds'],
    },
    {
      // Longer than PROFILE_TIMEOUT_SECONDS (300).
      id: 'profile-never-associates',
      step: 'ReattachInstanceProfile',
      terminal: true,
      scenario: { profileAssociationSeconds: 600 },
      schemaPaths: ['profileAssociationSeconds'],
    },
    {
      id: 'eip-quota',
      step: 'EnsurePublicAddress',
      terminal: true,
      scenario: { elasticIpQuota: 0 },
      schemaPaths: ['elasticIpQuota'],
    },
    {
      id: 'ssh-slow',
      step: 'CheckSsh',
      terminal: false,
      scenario: { ssh: { bootDelaySeconds: 180 } },
      schemaPaths: ['ssh.bootDelaySeconds'],
    },
    {
      id: 'ssh-unreachable',
      step: 'CheckSsh',
      terminal: true,
      scenario: { ssh: { unreachable: true } },
      input: { ssh: { port: 2222, timeoutSeconds: 60 } },
      schemaPaths: ['ssh.unreachable'],
    },
    {
      // No fingerprints on the console: CheckSsh waits for them, then goes on unverified.
      id: 'console-none',
      step: 'CheckSsh',
      terminal: false,
      scenario: { consoleOutput: 'none' },
      schemaPaths: ['consoleOutput'],
    },
    {
      // Fingerprints of another host key: the key is never offered (SshAuthenticationError).
      id: 'console-mismatch',
      step: 'CheckSsh',
      terminal: true,
      scenario: { consoleOutput: 'mismatch' },
      schemaPaths: ['consoleOutput'],
    },
    SSH_REJECTED,
  ];
}

const SSH_REJECTED: CellFault = {
  id: 'ssh-rejected',
  step: 'CheckSsh',
  terminal: true,
  scenario: { ssh: { bootDelaySeconds: 0, rejectKey: true } },
  schemaPaths: ['ssh.rejectKey'],
};

/**
 * The worlds the discovery runs use: as is; with the SSH check failing (HandleFailure runs); slow
 * (each wait longer than a step's in-call wait of 30 s, within the deadlines, so the Wait states
 * between checks run: WaitBeforeInstanceCheck, WaitForProfileAssociation, WaitBeforeSshRetry).
 */
export const DISCOVERY_CONDITIONS = {
  plain: null,
  failure: SSH_REJECTED,
  slow: {
    id: 'slow-world',
    step: '*',
    terminal: false,
    scenario: { instanceBootSeconds: 60, profileAssociationSeconds: 40, ssh: { bootDelaySeconds: 180 } },
    schemaPaths: [],
  },
} as const satisfies Record<string, CellFault | null>;

/** The scenario's own throttling: a rate across the whole execution (acts in whichever steps it hits). */
export const THROTTLE_RATE: CellFault = {
  id: 'throttle-rate',
  step: '*',
  terminal: false,
  scenario: { throttle: { rate: 0.3, seed: 7 } },
  schemaPaths: ['throttle.rate', 'throttle.services', 'throttle.seed'],
};

/**
 * Denials a step goes on without: CheckSsh reads the console for host-key fingerprints and, when
 * it may not, waits for them and then checks SSH unverified (lambdas/check-ssh/check-ssh.ts).
 */
const TOLERATED_DENIALS = new Set(['CheckSsh ec2:GetConsoleOutput']);

/** API faults at each call a step makes: denied (the step fails), 5xx and throttling (retried). */
export function apiFaults(callsByStep: ReadonlyMap<string, ReadonlyMap<string, number>>): CellFault[] {
  const faults: CellFault[] = [];
  for (const [step, calls] of callsByStep) {
    const services = new Set<ServiceName>();
    for (const api of calls.keys()) {
      const service = api.split(':')[0] as ServiceName;
      services.add(service);
      faults.push({
        id: `api-denied:${api}`,
        step,
        terminal: !TOLERATED_DENIALS.has(`${step} ${api}`),
        rules: [{ api, ...DENIED[service], times: 1, message: `injected: ${api} denied` }],
        schemaPaths: [
          'apiErrors.api',
          'apiErrors.code',
          'apiErrors.message',
          'apiErrors.status',
          'apiErrors.times',
        ],
      });
      faults.push({
        id: `api-unavailable:${api}`,
        step,
        terminal: false,
        rules: [
          { api, ...UNAVAILABLE[service], times: SDK_ATTEMPTS, message: `injected: ${api} unavailable` },
        ],
        schemaPaths: ['apiErrors.api', 'apiErrors.code', 'apiErrors.status', 'apiErrors.times'],
      });
    }
    faults.push({
      id: 'throttle',
      step,
      terminal: false,
      // One throttled call per service, as AWS throttles a burst: the SDK backs off (in real time,
      // half a second or more) and retries; exhausting its attempts is what the 5xx faults do.
      rules: [...services].map((s) => ({ api: `${s}:*`, ...THROTTLING_ERRORS[s], times: 1 })),
      schemaPaths: ['throttle.services'],
    });
  }
  return faults;
}

/** Every leaf path of the scenario's `faults` schema (e.g. `ssh.rejectKey`). */
export function faultSchemaPaths(): string[] {
  const paths: string[] = [];
  const walk = (schema: unknown, prefix: string) => {
    const shape = objectShape(schema);
    if (!shape) {
      paths.push(prefix);
      return;
    }
    for (const [key, child] of Object.entries(shape)) walk(child, prefix ? `${prefix}.${key}` : key);
  };
  walk(FaultsSchema, '');
  return paths;
}

/** Schema paths no fault of the matrix exercises (should be none). */
export function uncoveredSchemaPaths(faults: readonly CellFault[]): string[] {
  const covered = new Set(faults.flatMap((f) => f.schemaPaths));
  return faultSchemaPaths().filter((p) => !covered.has(p));
}

/** Task and Wait states of restore-instance, from the committed definition. */
export function taskAndWaitStates(): string[] {
  return Object.entries(asl().States)
    .filter(([, s]) => s.Type === 'Task' || s.Type === 'Wait')
    .map(([name]) => name);
}

export interface Plan {
  /** Every fault at every step it acts in, per mode. */
  readonly faults: Readonly<Record<Mode, readonly CellFault[]>>;
  readonly pairs: readonly string[];
}

/** The matrix's pairs from a discovery: what `exhaustiveCells` and `coveringCells` cover. */
export function plan(discovery: Discovery): Plan {
  const faults = {} as Record<Mode, CellFault[]>;
  for (const mode of MODES) {
    faults[mode] = [
      ...worldFaults(),
      THROTTLE_RATE,
      ...apiFaults(discovery.callsByStep[mode]),
      ...discovery.stoppableStates[mode].map((state) =>
        stopFault(
          state,
          discovery.callsByStep[mode].has(state),
          discovery.enteredUnder[mode][state] === 'slow',
        ),
      ),
      EXECUTION_TIMEOUT,
    ];
  }
  const pairs = MODES.flatMap((mode) => faults[mode].map((f) => pairKey(f.id, f.step, mode)));
  return { faults, pairs };
}

/**
 * StopExecution once the execution is in `state`. The runner finds it there on one of the state's
 * API calls or on a clock jump (a Wait, a Lambda pausing on the clock); a Task state that does
 * neither (ValidateInput) is watched for between macrotasks (`watchEachTurn`).
 */
function stopFault(state: string, makesCalls: boolean, slowWorld: boolean): CellFault {
  const isWait = (asl().States[state]?.Type ?? '') === 'Wait';
  return {
    id: 'stop',
    step: state,
    terminal: true,
    schemaPaths: [],
    watchEachTurn: !makesCalls && !isWait,
    // Only a slow world enters this state (a Wait between in-call checks): the cell runs in one.
    ...(slowWorld && { scenario: DISCOVERY_CONDITIONS.slow.scenario }),
  };
}

function asl(): { States: Record<string, { Type: string }> } {
  return committedRestoreInstanceAsl() as unknown as { States: Record<string, { Type: string }> };
}

/** The short-timeout definition fires during the 60-minute job's wait. */
const EXECUTION_TIMEOUT: CellFault = {
  id: 'execution-timeout',
  step: 'WaitForRestoreJob',
  terminal: true,
  scenario: { restoreJob: { durationMinutes: 60 } },
  schemaPaths: [],
};

/** One cell per pair; a fault in HandleFailure rides on the SSH rejection that makes it run. */
export function exhaustiveCells(discovery: Discovery): Cell[] {
  const { faults } = plan(discovery);
  return MODES.flatMap((mode) =>
    faults[mode].map((fault) => {
      const parts = fault.step === 'HandleFailure' ? [SSH_REJECTED, fault] : [fault];
      return makeCell(mode, parts, [pairKey(fault.id, fault.step, mode)]);
    }),
  );
}

/** The fewest cells (greedy set cover, see the file's comment) that cover every pair. */
export function coveringCells(discovery: Discovery): Cell[] {
  const { faults } = plan(discovery);
  const cells: Cell[] = [];
  for (const mode of MODES) {
    const order = discovery.stepOrder[mode];
    const rank = (step: string) => order.indexOf(step);
    const key = (f: CellFault) => pairKey(f.id, f.step, mode);
    const all = faults[mode];
    const uncovered = new Set(all.map(key));
    const afterFailure = all.filter((f) => f.step === 'HandleFailure');
    // Recoverable faults at a step the happy path runs: these combine.
    const combinable = all.filter((f) => !f.terminal && f.step !== 'HandleFailure' && rank(f.step) >= 0);
    // What a cell can end with: nothing (the run succeeds) or one terminal fault at a known step.
    const anchors: (CellFault | null)[] = [
      null,
      ...all.filter((f) => f.terminal && f.step !== 'HandleFailure' && rank(f.step) >= 0),
    ];
    // Whole-execution faults (the throttling rate) run alone: they act in every step.
    for (const f of all.filter(
      (x) => !afterFailure.includes(x) && !combinable.includes(x) && !anchors.includes(x),
    )) {
      uncovered.delete(key(f));
      cells.push(makeCell(mode, f.step === 'HandleFailure' ? [SSH_REJECTED, f] : [f], [key(f)]));
    }
    while (uncovered.size > 0) {
      let best: { parts: CellFault[]; covers: string[] } = { parts: [], covers: [] };
      for (const anchor of anchors) {
        const limit = anchor ? rank(anchor.step) : Number.POSITIVE_INFINITY;
        const parts: CellFault[] = anchor ? [anchor] : [];
        const usedSteps = new Set<string>();
        for (const f of combinable) {
          if (rank(f.step) >= limit || usedSteps.has(f.step) || !uncovered.has(key(f))) continue;
          usedSteps.add(f.step);
          parts.push(f);
        }
        if (anchor && carriesHandleFailure(anchor)) {
          const next = afterFailure.find((f) => uncovered.has(key(f)));
          if (next) parts.push(next);
        }
        const covers = parts.map(key).filter((k) => uncovered.has(k));
        if (covers.length > best.covers.length) best = { parts, covers };
      }
      if (best.covers.length === 0) throw new Error(`no cell covers ${[...uncovered].join(', ')}`);
      for (const c of best.covers) uncovered.delete(c);
      cells.push(makeCell(mode, best.parts, best.covers));
    }
  }
  return cells;
}

/**
 * Failures after which HandleFailure makes the calls its discovery run saw (the SSH check failing):
 * a failure in ReattachInstanceProfile or CheckSsh, with the instance running and its Elastic IP
 * attached. A StopExecution runs no HandleFailure.
 */
function carriesHandleFailure(anchor: CellFault): boolean {
  return anchor.id !== 'stop' && (anchor.step === 'CheckSsh' || anchor.step === 'ReattachInstanceProfile');
}

function makeCell(mode: Mode, faults: readonly CellFault[], covers: readonly string[]): Cell {
  const stop = faults.find((f) => f.id === 'stop');
  const input: Record<string, unknown> = Object.assign({}, ...faults.map((f) => f.input ?? {}));
  const id = `${mode}-${faults.map((f) => `${f.id}@${f.step}`).join('+')}`;
  return {
    id,
    mode,
    faults: [
      ...faults.filter((f) => f.id !== 'stop'),
      ...(stop?.scenario ? [{ ...DISCOVERY_CONDITIONS.slow, scenario: stop.scenario }] : []),
    ],
    input,
    ...(stop && { stopAt: stop.step, stopFaultId: stop.id, stopWatchEachTurn: stop.watchEachTurn === true }),
    ...(faults.some((f) => f.id === EXECUTION_TIMEOUT.id) && { executionTimeout: true }),
    covers,
  };
}

function jobOutcomes(): string[] {
  const job = objectShape(objectShape(FaultsSchema)?.restoreJob);
  const outcome = unwrap(job?.outcome) as { options?: string[] } | undefined;
  if (!outcome?.options)
    throw new Error('faults.restoreJob.outcome is no longer an enum: update the fault matrix');
  return outcome.options;
}

/** The object shape under zod's wrappers (default, prefault, optional), or undefined for a leaf. */
function objectShape(schema: unknown): Record<string, unknown> | undefined {
  const inner = unwrap(schema) as { shape?: Record<string, unknown>; element?: unknown } | undefined;
  if (inner?.shape) return inner.shape;
  if (inner?.element) return objectShape(inner.element);
  return undefined;
}

/** Under zod's wrappers (default, prefault, optional), which keep what they wrap in `def.innerType`. */
function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown } } | undefined;
  while (s?.def?.innerType) s = s.def.innerType as typeof s;
  return s;
}
