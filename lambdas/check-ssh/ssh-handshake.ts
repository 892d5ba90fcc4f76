/**
 * One SSH attempt with ssh2: TCP connect, key exchange, host-key check, public-key authentication,
 * the requested commands, then hang up. The result is classified here so the step decides only
 * "retry", "give up" or "done", and so nothing from ssh2 (which never sees anything but the parsed
 * key) reaches logs unfiltered. The in-VPC probe (lambdas/ssh-probe) runs this same function.
 */
import { createHash } from 'node:crypto';
import type { CommandCheck } from '@shared/workflow-state';
import { Client, type ClientChannel, type ClientErrorExtensions } from 'ssh2';

export interface SshHandshakeOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** OpenSSH/PEM private key text. Never logged, never echoed in a result. */
  readonly privateKey: string;
  readonly timeoutMs: number;
  /**
   * The fingerprints the offered host key must have one of (the instance's console). Null: the
   * key is recorded, not checked.
   */
  readonly expectedFingerprints?: readonly string[] | null;
  /** Run over the authenticated session, in order (the caller sends them only to a trusted host). */
  readonly commands?: readonly string[];
  /** Per command. @default 30 000 */
  readonly commandTimeoutMs?: number;
  /** The local address to connect from (the emulator gives each probe its own). @default any */
  readonly localAddress?: string;
}

export type SshHandshakeResult =
  | {
      readonly outcome: 'ready';
      readonly hostKeyFingerprint: string | null;
      /** The commands' results; empty when none were asked for or the key was only recorded. */
      readonly checks: readonly CommandCheck[];
    }
  /** The server refused the key for this user: retrying cannot help. */
  | { readonly outcome: 'auth-rejected'; readonly hostKeyFingerprint: string | null; readonly detail: string }
  /** The offered host key is none of the expected ones: the connection was dropped before authenticating. */
  | { readonly outcome: 'host-key-mismatch'; readonly hostKeyFingerprint: string; readonly detail: string }
  /** The key text could not be used at all (not a private key, encrypted, unsupported type). */
  | { readonly outcome: 'bad-key'; readonly detail: string }
  /** Refused, timed out, unreachable, reset: sshd may not be up yet. */
  | { readonly outcome: 'retryable'; readonly hostKeyFingerprint: string | null; readonly detail: string };

export type SshHandshake = (options: SshHandshakeOptions) => Promise<SshHandshakeResult>;

/** OpenSSH's format: `SHA256:` + unpadded base64 of the SHA-256 of the wire-format host key. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

type SshError = Error & ClientErrorExtensions & { code?: unknown };

const MAX_DETAIL = 120;
/** What ssh.checks keeps of a command's output. */
export const MAX_CHECK_OUTPUT_BYTES = 2048;

/** A short, key-free label for a failed attempt: the socket error code where there is one. */
export function describeSshError(error: SshError): string {
  if (typeof error.code === 'string' && error.code.length > 0) return error.code;
  if (error.level === 'client-timeout') return 'handshake timed out';
  const text = error.description ? `${error.message}: ${error.description}` : error.message;
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

export function isAuthenticationFailure(error: SshError): boolean {
  return error.level === 'client-authentication';
}

export const ssh2Handshake: SshHandshake = (options) =>
  new Promise<SshHandshakeResult>((resolve) => {
    const client = new Client();
    let fingerprint: string | null = null;
    let mismatch = false;
    let settled = false;
    const settle = (result: SshHandshakeResult) => {
      if (settled) return;
      settled = true;
      client.end();
      resolve(result);
    };
    const expected = options.expectedFingerprints ?? null;

    client
      // The handshake is a chain of small messages each side must answer; with Nagle's algorithm
      // on, a message can sit until the peer's delayed ACK (40 ms on Linux) releases it. Against
      // the emulator this took one handshake from ~340 ms to ~190 ms (the rest is the server's
      // side of the same delay), and that time is RTO once sshd is up.
      .on('connect', () => client.setNoDelay(true))
      .on('ready', () => {
        runCommands(client, options.commands ?? [], options.commandTimeoutMs ?? 30_000).then(
          (checks) => settle({ outcome: 'ready', hostKeyFingerprint: fingerprint, checks }),
          (error: Error) =>
            settle({
              outcome: 'retryable',
              hostKeyFingerprint: fingerprint,
              detail: `session failed: ${describeSshError(error)}`,
            }),
        );
      })
      .on('error', (error: SshError) => {
        if (mismatch && fingerprint) {
          settle({
            outcome: 'host-key-mismatch',
            hostKeyFingerprint: fingerprint,
            detail: 'host key not among the expected fingerprints',
          });
          return;
        }
        const detail = describeSshError(error);
        settle(
          isAuthenticationFailure(error)
            ? { outcome: 'auth-rejected', hostKeyFingerprint: fingerprint, detail }
            : { outcome: 'retryable', hostKeyFingerprint: fingerprint, detail },
        );
      })
      .on('close', () =>
        settle(
          mismatch && fingerprint
            ? {
                outcome: 'host-key-mismatch',
                hostKeyFingerprint: fingerprint,
                detail: 'host key not among the expected fingerprints',
              }
            : {
                outcome: 'retryable',
                hostKeyFingerprint: fingerprint,
                detail: 'connection closed during the handshake',
              },
        ),
      );

    try {
      client.connect({
        host: options.host,
        port: options.port,
        username: options.username,
        privateKey: options.privateKey,
        readyTimeout: options.timeoutMs,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        // Checked before the key is offered: a host that is not the restored instance never sees
        // a signature made with the original key.
        hostVerifier: (key: Buffer) => {
          fingerprint = hostKeyFingerprint(key);
          if (expected && !expected.includes(fingerprint)) {
            mismatch = true;
            return false;
          }
          return true;
        },
      });
    } catch (error) {
      // ssh2 parses the key synchronously; its message names the format problem, never the key.
      settled = true;
      resolve({
        outcome: 'bad-key',
        detail: error instanceof Error ? error.message.slice(0, MAX_DETAIL) : 'unparseable key',
      });
    }
  });

async function runCommands(
  client: Client,
  commands: readonly string[],
  timeoutMs: number,
): Promise<CommandCheck[]> {
  const checks: CommandCheck[] = [];
  for (const command of commands) {
    checks.push(await runCommand(client, command, timeoutMs));
    // A failed check ends the list: the restore fails on it, and later checks would only add noise.
    if (checks.at(-1)?.exitCode !== 0) break;
  }
  return checks;
}

function runCommand(client: Client, command: string, timeoutMs: number): Promise<CommandCheck> {
  return new Promise<CommandCheck>((resolve, reject) => {
    client.exec(command, (error: Error | undefined, stream: ClientChannel) => {
      if (error) {
        reject(error);
        return;
      }
      const chunks: Buffer[] = [];
      let kept = 0;
      let total = 0;
      let exitCode: number | null = null;
      let done = false;
      const keep = (data: Buffer) => {
        total += data.length;
        if (kept >= MAX_CHECK_OUTPUT_BYTES) return;
        const part = data.subarray(0, MAX_CHECK_OUTPUT_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      };
      const finish = (timedOut: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({
          command,
          exitCode: timedOut ? null : exitCode,
          timedOut,
          output: Buffer.concat(chunks).toString('utf8'),
          truncated: total > kept,
        });
      };
      const timer = setTimeout(() => {
        stream.close();
        finish(true);
      }, timeoutMs);
      stream.on('data', keep);
      stream.stderr.on('data', keep);
      stream.on('exit', (code: number | null) => {
        exitCode = typeof code === 'number' ? code : null;
      });
      stream.on('close', () => finish(false));
    });
  });
}
