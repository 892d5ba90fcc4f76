/**
 * Every IPv4 address the emulated account hands out is a loopback address, 127.<octet>.x.y, so
 * that a restore's SSH check really connects to the instance it restored. This is the one ledger
 * of which of them are taken (private IPs, auto-assigned public IPs, Elastic IPs).
 */
import { AwsError } from '../aws-error';

/** Null when the emulator can serve `ip` (bind it on the SSH port), else why not. */
export type AddressGuard = (ip: string) => Promise<string | null>;

export class LoopbackAddresses {
  private readonly used = new Set<string>();
  /** Addresses another process holds: never handed out, never released. */
  private readonly refused = new Set<string>();

  constructor(readonly octet: number) {}

  /** The /24 (as `127.o.n`) Elastic IPs come from. */
  get elasticPrefix(): string {
    return `127.${this.octet}.250`;
  }

  /** The /24 auto-assigned public IPv4 addresses come from. */
  get autoPublicPrefix(): string {
    return `127.${this.octet}.251`;
  }

  has(ip: string): boolean {
    return this.used.has(ip);
  }

  take(ip: string): void {
    this.used.add(ip);
  }

  release(ip: string): void {
    if (!this.refused.has(ip)) this.used.delete(ip);
  }

  /** Some other process holds `ip`: it stays taken for this emulator's lifetime. */
  refuse(ip: string): void {
    this.refused.add(ip);
    this.used.add(ip);
  }

  /** Every address handed out so far. */
  inUse(): string[] {
    return [...this.used];
  }

  /** The lowest free host (from .10, as AWS reserves the first addresses of a subnet) in a /24. */
  next(prefix24: string): string {
    for (let host = 10; host < 255; host++) {
      const ip = `${prefix24}.${host}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new AwsError('InsufficientFreeAddressesInSubnet', `No free addresses left in ${prefix24}.0/24`);
  }

  /**
   * The highest free host (down from .254) in a /24: for the emulator's own interfaces (the SSH
   * probes'), so that instances keep taking addresses from the bottom as before.
   */
  highest(prefix24: string): string {
    for (let host = 254; host >= 10; host--) {
      const ip = `${prefix24}.${host}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new AwsError('InsufficientFreeAddressesInSubnet', `No free addresses left in ${prefix24}.0/24`);
  }

  countIn(prefix24: string): number {
    return [...this.used].filter((ip) => ip.startsWith(`${prefix24}.`)).length;
  }
}
