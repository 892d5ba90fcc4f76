/**
 * The emulator's on-disk cache: results of pure, slow computations (a synthesised template, the
 * ASL validator's verdict on a definition), each stored under a key that hashes every input, so an
 * entry is never stale. `EC2_RESTORE_SYNTH_CACHE=off` disables it; `EC2_RESTORE_SYNTH_CACHE=<dir>`
 * moves it (default: $XDG_CACHE_HOME or ~/.cache, then ec2-restore-orchestrator/synth).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the entry `name` lives, or undefined when the cache is off. */
export function cacheFile(name: string): string | undefined {
  const setting = process.env.EC2_RESTORE_SYNTH_CACHE;
  if (setting === 'off') return undefined;
  const dir =
    setting ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ec2-restore-orchestrator', 'synth');
  return join(dir, name);
}

/** The entry's parsed JSON, or undefined when it is absent, unreadable or the cache is off. */
export function readCached<T>(name: string): T | undefined {
  const file = cacheFile(name);
  if (file === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Written under a temporary name, then renamed: a concurrent reader sees all of it or nothing. */
export function writeCached(name: string, value: unknown): void {
  const file = cacheFile(name);
  if (file === undefined) return;
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temporary, JSON.stringify(value));
    renameSync(temporary, file);
  } catch {
    // A read-only home: no cache, the next start computes it again.
  }
}
