/**
 * ssh2's `generateKeyPairSync('ed25519')` now and then (about 1 in 200) writes a public key with
 * its leading zero byte dropped, which its own `parseKey` then rejects as malformed. Scenarios
 * that must not flake pass a key that is known to parse.
 */
import { utils } from 'ssh2';

export function parseableEd25519Key(): string {
  for (;;) {
    const key = utils.generateKeyPairSync('ed25519').private;
    if (!(utils.parseKey(key) instanceof Error)) return key;
  }
}
