/** A bare ssh2 client handshake, for tests that check an SSH server directly. */
import { createHash } from 'node:crypto';
import { Client } from 'ssh2';

export type HandshakeResult =
  | { ok: true; hostKeyFingerprint: string }
  | { ok: false; level?: string; code?: string; message: string };

export function sshHandshake(options: {
  host: string;
  port: number;
  username: string;
  privateKey: string;
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
        readyTimeout: 5000,
        hostVerifier: (key: Buffer) => {
          fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          return true;
        },
      });
  });
}
