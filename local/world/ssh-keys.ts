/** Key material for key pairs and instance host keys. */
import { createHash } from 'node:crypto';
import { utils as sshUtils } from 'ssh2';

export function sha256Fingerprint(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A fresh ed25519 key pair. ssh2's generator now and then (about one key in 200) emits a private
 * key its own parser rejects; such a key would break the instance's SSH server, so draw again.
 */
export function generateEd25519Key(): { private: string; public: string } {
  for (;;) {
    const pair = sshUtils.generateKeyPairSync('ed25519');
    if (!(sshUtils.parseKey(pair.private) instanceof Error)) return pair;
  }
}
