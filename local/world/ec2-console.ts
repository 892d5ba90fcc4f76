/**
 * GetConsoleOutput: what cloud-init prints on an instance's serial console at first boot, with the
 * `-----BEGIN SSH HOST KEY FINGERPRINTS-----` block of the host key its sshd really offers
 * (docs/aws-facts.md I.4). Output appears when the sshd comes up (cloud-init writes the keys just
 * before) and is absent before, as EC2 leaves `Output` out until something was posted.
 * Faults (`faults.consoleOutput`): `none` never posts anything; `mismatch` prints the fingerprint
 * of another key, as a console of a different machine (or a tampered path) would.
 */
import { utils as sshUtils } from 'ssh2';
import { generateEd25519Key, sha256Fingerprint } from './ssh-keys';
import type { Instance } from './types';

export interface ConsoleOutput {
  readonly instanceId: string;
  /** When the output was posted; null while nothing has been. */
  readonly timestamp: Date | null;
  /** The console text (the wire sends it base64); null while nothing has been posted. */
  readonly output: string | null;
}

export class ConsoleOutputs {
  /** The foreign host key a `mismatch` console shows, per instance (stable across calls). */
  private readonly foreignKeys = new Map<string, string>();

  constructor(
    private readonly fault: () => 'none' | 'mismatch' | undefined,
    /** Simulated ms after an instance starts running at which its console is posted. */
    private readonly delayMs: () => number,
  ) {}

  get(instance: Instance, now: number): ConsoleOutput {
    const postedAt = instance.runningSince === null ? null : instance.runningSince + this.delayMs();
    const fault = this.fault();
    if (fault === 'none' || postedAt === null || now < postedAt)
      return { instanceId: instance.id, timestamp: null, output: null };
    let hostKey = instance.hostKey;
    if (fault === 'mismatch') {
      hostKey = this.foreignKeys.get(instance.id) ?? generateEd25519Key().private;
      this.foreignKeys.set(instance.id, hostKey);
    }
    return {
      instanceId: instance.id,
      timestamp: new Date(postedAt),
      output: cloudInitConsole(instance, hostKey, new Date(postedAt)),
    };
  }
}

/** The public key line and SHA256 fingerprint of a private host key. */
export function hostKeyIdentity(privateKey: string): {
  type: string;
  publicLine: string;
  fingerprint: string;
} {
  const parsed = sshUtils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const blob = parsed.getPublicSSH();
  return {
    type: parsed.type,
    publicLine: `${parsed.type} ${blob.toString('base64')}`,
    fingerprint: sha256Fingerprint(blob),
  };
}

function cloudInitConsole(instance: Instance, hostKey: string, at: Date): string {
  const key = hostKeyIdentity(hostKey);
  const hostname = `ip-${instance.privateIp.replaceAll('.', '-')}`;
  const stamp = at
    .toUTCString()
    .slice(5, 25)
    .replace(/^(\d+) (\w+) (\d+) /, '$2 $1 ');
  const log = (line: string) => `<14>${stamp} cloud-init: ${line}`;
  const bar = '#############################################################';
  return [
    `[    0.000000] Linux version 6.1.0-emulated (${instance.id})`,
    `[    2.310000] cloud-init[1024]: Cloud-init v. 22.2.2 running 'init' at ${at.toUTCString()}.`,
    `[    3.120000] cloud-init[1024]: Generating public/private ed25519 key pair.`,
    log(bar),
    log('-----BEGIN SSH HOST KEY FINGERPRINTS-----'),
    log(`256 ${key.fingerprint} root@${hostname} (ED25519)`),
    log('-----END SSH HOST KEY FINGERPRINTS-----'),
    log(bar),
    '-----BEGIN SSH HOST KEY KEYS-----',
    `${key.publicLine} root@${hostname}`,
    '-----END SSH HOST KEY KEYS-----',
    `[    9.870000] cloud-init[1311]: Cloud-init v. 22.2.2 finished. Datasource DataSourceEc2Local.`,
    '',
  ].join('\n');
}
