/**
 * One SSH attempt with ssh2: TCP connect, key exchange, public-key authentication, then hang up.
 * The result is classified here so the step decides only "retry", "give up" or "done", and so
 * nothing from ssh2 (which never sees anything but the parsed key) reaches logs unfiltered.
 */
import { createHash } from 'node:crypto';
import { Client, type ClientErrorExtensions } from 'ssh2';

export interface SshHandshakeOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** OpenSSH/PEM private key text. Never logged, never echoed in a result. */
  readonly privateKey: string;
  readonly timeoutMs: number;
}

export type SshHandshakeResult =
  | { readonly outcome: 'ready'; readonly hostKeyFingerprint: string | null }
  /** The server refused the key for this user: retrying cannot help. */
  | { readonly outcome: 'auth-rejected'; readonly hostKeyFingerprint: string | null; readonly detail: string }
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
    let settled = false;
    const settle = (result: SshHandshakeResult) => {
      if (settled) return;
      settled = true;
      client.end();
      resolve(result);
    };

    client
      // The handshake is a chain of small messages each side must answer; with Nagle's algorithm
      // on, a message can sit until the peer's delayed ACK (40 ms on Linux) releases it. Against
      // the emulator this took one handshake from ~340 ms to ~190 ms (the rest is the server's
      // side of the same delay), and that time is RTO once sshd is up.
      .on('connect', () => client.setNoDelay(true))
      .on('ready', () => settle({ outcome: 'ready', hostKeyFingerprint: fingerprint }))
      .on('error', (error: SshError) => {
        const detail = describeSshError(error);
        settle(
          isAuthenticationFailure(error)
            ? { outcome: 'auth-rejected', hostKeyFingerprint: fingerprint, detail }
            : { outcome: 'retryable', hostKeyFingerprint: fingerprint, detail },
        );
      })
      .on('close', () =>
        settle({
          outcome: 'retryable',
          hostKeyFingerprint: fingerprint,
          detail: 'connection closed during the handshake',
        }),
      );

    try {
      client.connect({
        host: options.host,
        port: options.port,
        username: options.username,
        privateKey: options.privateKey,
        readyTimeout: options.timeoutMs,
        // The host key is new by definition (a fresh restore), so it is recorded, not checked.
        hostVerifier: (key: Buffer) => {
          fingerprint = hostKeyFingerprint(key);
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
