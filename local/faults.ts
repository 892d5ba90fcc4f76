/**
 * Injected API faults: throttling at a rate, and named APIs failing N times. Deterministic for a
 * given seed, so a failing test can be replayed.
 */
import { AwsError } from './aws-error';
import type { Faults } from './scenario';
import type { ServiceName } from './services/service';

/** Each service's own throttling error (what its SDK treats as throttling). */
export const THROTTLING_ERRORS: Record<ServiceName, { code: string; status: number; message: string }> = {
  ec2: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  backup: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded' },
  ssm: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  iam: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  sfn: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  sns: { code: 'Throttled', status: 429, message: 'Rate exceeded' },
};

export class FaultInjector {
  private random: () => number;
  private readonly remaining: Map<number, number>;
  /** Calls seen per `service:Operation`, for tests and benchmarks. */
  readonly calls = new Map<string, number>();
  readonly throttled = new Map<string, number>();

  constructor(private readonly faults: Faults) {
    this.random = seededRandom(faults.throttle?.seed ?? 1);
    this.remaining = new Map(faults.apiErrors.map((f, i) => [i, f.times]));
  }

  /** Throws the injected error for this call, if any. */
  check(service: ServiceName, operation: string): void {
    const api = `${service}:${operation}`;
    this.calls.set(api, (this.calls.get(api) ?? 0) + 1);
    for (const [index, fault] of this.faults.apiErrors.entries()) {
      const left = this.remaining.get(index) ?? 0;
      if (fault.api === api && left > 0) {
        this.remaining.set(index, left - 1);
        throw new AwsError(fault.code, fault.message, fault.status);
      }
    }
    const throttle = this.faults.throttle;
    if (
      throttle &&
      (throttle.services as readonly string[]).includes(service) &&
      this.random() < throttle.rate
    ) {
      this.throttled.set(api, (this.throttled.get(api) ?? 0) + 1);
      const t = THROTTLING_ERRORS[service];
      throw new AwsError(t.code, t.message, t.status);
    }
  }
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
