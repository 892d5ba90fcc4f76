/**
 * A temporary directory for one test file, removed when the file's tests are done, so a run of the
 * suite leaves nothing in the machine's temp directory. Call it at module or `describe` scope.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
