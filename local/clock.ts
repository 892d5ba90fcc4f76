/**
 * The emulator's simulated clock. Every timestamp the emulator reports, every restore job's
 * progress and every Wait state is measured on it.
 *
 * Two modes:
 * - `fixed`: `speed` simulated seconds pass per real second, so a 20-minute restore takes 20 s of
 *   wall time at speed 60. For a person watching a rehearsal unfold.
 * - `event` (a discrete-event clock): time runs at real speed (x1) while anything is in flight, and
 *   whenever nothing is, it jumps to the next due timer. Nothing is lost by the jump: nobody was
 *   doing anything in between. The demo then costs only its real work, and timestamps stay near
 *   real time while idle.
 *
 * What is "in flight" is what could still act before the next timer: work held with `hold()` (an
 * HTTP request being served, an open SSH connection) and `flow()`s (an execution between states,
 * a Task state running its Lambda). A flow stops counting while it sleeps on this clock (a Wait
 * state, a Lambda's in-call pause) or waits on another flow (`idleWhile`, a parent on its child
 * execution), and a flow with running child flows counts through them. What is "due" is every
 * pending `sleep()` plus what the registered `dueSources` report (the world's next job completion,
 * boot, sshd start). The jump waits a settle time first (a few real ms, re-checked), so promise
 * chains that are about to make a request are not skipped past.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type ClockMode = 'event' | 'fixed';

export interface ClockOptions {
  /** Default `fixed`. */
  readonly mode?: ClockMode;
  /** Real ms with nothing in flight before an event clock jumps; default 3. */
  readonly settleMs?: number;
}

interface Timer {
  readonly dueMs: number;
  readonly fire: () => void;
  /** A schedule's next firing: never jumped past, but no reason to jump by itself (`sleep`). */
  readonly passive?: boolean;
}

/** An in-flight piece of work that may sleep and may have child flows. */
class Flow {
  sleeps = 0;
  children = 0;
  ended = false;
  counted = false;
  constructor(readonly parent: Flow | undefined) {}
}

/** Longest real timer armed at once (Node's setTimeout limit is 2^31-1 ms). */
const MAX_REAL_TIMER_MS = 2 ** 31 - 2;

export class SimulatedClock {
  readonly mode: ClockMode;
  private readonly settleMs: number;
  /** Simulated ms at `baseReal`, and the rate since then. */
  private baseSim: number;
  private baseReal = Date.now();
  private lastMs = Number.NEGATIVE_INFINITY;
  private readonly timers = new Set<Timer>();
  private readonly dueSources: (() => number | undefined)[] = [];
  private readonly advanceListeners: (() => void)[] = [];
  private readonly flows = new AsyncLocalStorage<Flow>();
  /** Holds plus counted flows. */
  private inFlight = 0;
  /** Work that must pass at `speed` even in event mode (an engine Retry interval). */
  private fastHolds = 0;
  private realTimer: NodeJS.Timeout | undefined;
  private settling: NodeJS.Timeout | undefined;

  constructor(
    readonly speed: number,
    simulatedStart: number = Date.now(),
    options: ClockOptions = {},
  ) {
    if (!(speed > 0 && Number.isFinite(speed)))
      throw new RangeError(`clock speed must be a positive number, got ${speed}`);
    this.mode = options.mode ?? 'fixed';
    this.settleMs = options.settleMs ?? 3;
    this.baseSim = simulatedStart;
  }

  /** Simulated seconds per real second right now. */
  get rate(): number {
    return this.mode === 'fixed' || this.fastHolds > 0 ? this.speed : 1;
  }

  now = (): Date => new Date(this.nowMs());

  /** Never goes backwards, whatever the rate changes and jumps do. */
  nowMs(): number {
    const ms = this.baseSim + (Date.now() - this.baseReal) * this.rate;
    if (ms > this.lastMs) this.lastMs = ms;
    return this.lastMs;
  }

  /** Real milliseconds that `simulatedSeconds` take at the nominal speed (fixed mode's pace). */
  realMs(simulatedSeconds: number): number {
    return Math.max(0, (simulatedSeconds * 1000) / this.speed);
  }

  /**
   * Simulated time of a real `Date.now()`-style timestamp taken a moment ago (an engine event):
   * counted back from now at the current rate, never before the last jump.
   */
  toSimulated(realMs: number): Date {
    const back = Math.max(0, Date.now() - Math.max(realMs, this.baseReal)) * this.rate;
    return new Date(this.nowMs() - back);
  }

  /**
   * Resolves after `simulatedSeconds` of simulated time; `signal` cuts it short. A `passive`
   * sleep (a recurring schedule's next firing) is never jumped past, but an event clock does not
   * jump to it on its own: otherwise an hourly schedule would make an idle emulator race through
   * simulated hours.
   */
  sleep(simulatedSeconds: number, signal?: AbortSignal, options: { passive?: boolean } = {}): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const flow = this.flows.getStore();
    return new Promise<void>((resolve) => {
      const dueMs = this.nowMs() + Math.max(0, simulatedSeconds * 1000);
      const done = () => {
        signal?.removeEventListener('abort', done);
        if (!this.timers.delete(timer)) return;
        if (flow) this.setSleeping(flow, -1);
        this.rearm();
        resolve();
      };
      const timer: Timer = { dueMs, fire: done, passive: options.passive === true };
      this.timers.add(timer);
      if (flow) this.setSleeping(flow, +1);
      signal?.addEventListener('abort', done, { once: true });
      this.rearm();
    });
  }

  /** Counts as in flight until the returned function is called (once; later calls do nothing). */
  hold(): () => void {
    this.changeInFlight(+1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.changeInFlight(-1);
    };
  }

  /**
   * Runs `work` as a flow: in flight while it is neither sleeping on this clock nor waiting in
   * `idleWhile`, nor running child flows (which count for it). `root` starts a new tree (an
   * execution is nobody's child, whoever started it).
   */
  async flow<T>(work: () => Promise<T>, options: { root?: boolean } = {}): Promise<T> {
    const parent = options.root ? undefined : this.flows.getStore();
    const flow = new Flow(parent);
    if (parent) {
      parent.children++;
      this.recount(parent);
    }
    this.recount(flow);
    try {
      return await this.flows.run(flow, work);
    } finally {
      flow.ended = true;
      this.recount(flow);
      if (parent) {
        parent.children--;
        this.recount(parent);
      }
    }
  }

  /** The current flow does not count while it waits for `promise` (another flow does the work). */
  async idleWhile<T>(promise: Promise<T>): Promise<T> {
    const flow = this.flows.getStore();
    if (flow) this.setSleeping(flow, +1);
    try {
      return await promise;
    } finally {
      if (flow) this.setSleeping(flow, -1);
    }
  }

  /** Runs `work` outside any flow: its sleeps belong to nobody (an execution's timeout). */
  detached<T>(work: () => T): T {
    return this.flows.exit(work);
  }

  /** Until the returned function is called, simulated time passes at `speed` even in event mode. */
  fastForward(): () => void {
    this.rebase();
    this.fastHolds++;
    this.rearm();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.rebase();
      this.fastHolds--;
      this.rearm();
    };
  }

  /** Something else with due times (the world's job completions and boots), asked before a jump. */
  addDueSource(nextDueMs: () => number | undefined): void {
    this.dueSources.push(nextDueMs);
  }

  /** Called after every jump, before the timers due then fire (the world ticks to the new time). */
  onAdvance(listener: () => void): void {
    this.advanceListeners.push(listener);
  }

  /** Work in flight now (for diagnostics and tests). */
  get busy(): number {
    return this.inFlight;
  }

  /** Stops the real timers (the emulator is stopping); pending sleeps stay pending. */
  dispose(): void {
    clearTimeout(this.realTimer);
    clearTimeout(this.settling);
    this.realTimer = undefined;
    this.settling = undefined;
    this.advanceListeners.length = 0;
    this.dueSources.length = 0;
  }

  // ---- internals -------------------------------------------------------------------------------

  private setSleeping(flow: Flow, delta: number): void {
    flow.sleeps += delta;
    this.recount(flow);
  }

  /** A flow counts while it runs, awake, with no child flow (children count for themselves). */
  private recount(flow: Flow): void {
    const counts = !flow.ended && flow.sleeps === 0 && flow.children === 0;
    if (counts === flow.counted) return;
    flow.counted = counts;
    this.changeInFlight(counts ? +1 : -1);
  }

  private changeInFlight(delta: number): void {
    this.inFlight += delta;
    if (this.inFlight === 0) this.scheduleJump();
  }

  /** Keeps `nowMs` continuous across a rate change. */
  private rebase(): void {
    const now = this.nowMs();
    this.baseSim = now;
    this.baseReal = Date.now();
  }

  /** One real timer for the earliest sleep, at the current rate. */
  private rearm(): void {
    clearTimeout(this.realTimer);
    this.realTimer = undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of this.timers) earliest = Math.min(earliest, t.dueMs);
    if (earliest !== Number.POSITIVE_INFINITY) {
      const realMs = Math.min(MAX_REAL_TIMER_MS, Math.max(0, (earliest - this.nowMs()) / this.rate));
      this.realTimer = setTimeout(() => this.fireDue(), Math.ceil(realMs));
      this.realTimer.unref?.();
    }
    if (this.inFlight === 0) this.scheduleJump();
  }

  private fireDue(): void {
    const now = this.nowMs();
    const due = [...this.timers].filter((t) => t.dueMs <= now).sort((a, b) => a.dueMs - b.dueMs);
    for (const t of due) t.fire();
    this.rearm();
  }

  private scheduleJump(): void {
    if (this.mode !== 'event' || this.settling) return;
    this.settling = setTimeout(() => {
      this.settling = undefined;
      // Something started during the settle time, or a fast-forward is running: no jump.
      if (this.inFlight !== 0 || this.fastHolds > 0) return;
      this.jump();
    }, this.settleMs);
    this.settling.unref?.();
  }

  /** Moves simulated time to the earliest due moment, then lets everything due then happen. */
  private jump(): void {
    const now = this.nowMs();
    let target = Number.POSITIVE_INFINITY;
    for (const t of this.timers) if (!t.passive) target = Math.min(target, t.dueMs);
    for (const source of this.dueSources) {
      const due = source();
      if (due !== undefined && due > now) target = Math.min(target, due);
    }
    if (target === Number.POSITIVE_INFINITY) return;
    for (const t of this.timers) if (t.passive) target = Math.min(target, t.dueMs);
    if (target > now) {
      this.baseSim = target;
      this.baseReal = Date.now();
    }
    for (const listener of this.advanceListeners) listener();
    this.fireDue();
    // Nothing woke (only a world event was due): look again, once things have settled.
    if (this.inFlight === 0) this.scheduleJump();
  }
}
