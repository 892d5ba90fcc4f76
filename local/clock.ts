/**
 * The emulator's simulated clock: `speed` simulated seconds pass per real second, from a chosen
 * simulated start. Every timestamp the emulator reports, every restore job's progress and every
 * Wait state is measured on it, so a 20-minute restore takes 20 s of wall time at speed 60.
 */
export class SimulatedClock {
  private readonly realStart = Date.now();

  constructor(
    readonly speed: number,
    private readonly simulatedStart: number = Date.now(),
  ) {
    if (!(speed > 0 && Number.isFinite(speed)))
      throw new RangeError(`clock speed must be a positive number, got ${speed}`);
  }

  now = (): Date => new Date(this.nowMs());

  nowMs(): number {
    return this.simulatedStart + (Date.now() - this.realStart) * this.speed;
  }

  /** Real milliseconds that `simulatedSeconds` take. */
  realMs(simulatedSeconds: number): number {
    return Math.max(0, (simulatedSeconds * 1000) / this.speed);
  }

  /** Simulated time of a real `Date.now()`-style timestamp. */
  toSimulated(realMs: number): Date {
    return new Date(this.simulatedStart + (realMs - this.realStart) * this.speed);
  }

  /** Resolves after `simulatedSeconds` of simulated time; `signal` cuts it short. */
  sleep(simulatedSeconds: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, this.realMs(simulatedSeconds));
      function done() {
        signal?.removeEventListener('abort', done);
        clearTimeout(timer);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
