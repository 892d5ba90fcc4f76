/**
 * SSH clients for tests that check an SSH server directly: a bare ssh2 handshake, and the system's
 * OpenSSH `ssh` (what an operator runs), each optionally from a given source address.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ssh2';

export type HandshakeResult =
  | { ok: true; hostKeyFingerprint: string }
  | { ok: false; level?: string; code?: string; message: string };

export function sshHandshake(options: {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  /** The source address to connect from (an emulated probe's). */
  localAddress?: string;
  /** Milliseconds to wait for the server's banner and handshake; default 5000. */
  readyTimeout?: number;
}): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const client = new Client();
    let fingerprint = '';
    client
      .on('ready', () => {
        client.end();
        resolve({ ok: true, hostKeyFingerprint: fingerprint });
      })
      .on('error', (error: Error & { level?: string; code?: string }) => {
        resolve({ ok: false, level: error.level, code: error.code, message: error.message });
      })
      .connect({
        ...options,
        readyTimeout: options.readyTimeout ?? 5000,
        hostVerifier: (key: Buffer) => {
          fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          return true;
        },
      });
  });
}

export interface OpensshResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The host key fingerprint the server offered (from `ssh -v`), if the handshake got that far. */
  readonly hostKeyFingerprint: string | undefined;
}

/**
 * Runs `command` with the system's OpenSSH client, authenticating with `privateKey` only, trusting
 * whatever host key is offered (the test compares it), with a connect and banner timeout.
 */
export function opensshRun(options: {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  command: string;
  bindAddress?: string;
  connectTimeoutSeconds?: number;
}): Promise<OpensshResult> {
  const dir = mkdtempSync(join(tmpdir(), 'openssh-'));
  const keyFile = join(dir, 'id');
  writeFileSync(keyFile, options.privateKey.endsWith('\n') ? options.privateKey : `${options.privateKey}\n`, {
    mode: 0o600,
  });
  const args = [
    '-v',
    '-F',
    '/dev/null',
    '-i',
    keyFile,
    '-p',
    String(options.port),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o',
    `ConnectTimeout=${options.connectTimeoutSeconds ?? 3}`,
    ...(options.bindAddress ? ['-b', options.bindAddress] : []),
    `${options.username}@${options.host}`,
    options.command,
  ];
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const hostKeyFingerprint = /Server host key: \S+ (SHA256:[A-Za-z0-9+/]{43})/.exec(stderr)?.[1];
      resolve({ exitCode, stdout, stderr, hostKeyFingerprint });
    });
  });
}
