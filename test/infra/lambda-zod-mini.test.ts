/**
 * The step bundles validate with zod/mini (lambdas/shared/zod.ts): no bundle may carry classic
 * zod or locales other than English, and a bundle alone (no classic zod in the process to set the
 * locale) still answers a bad event with zod's English messages, which the contract's errors quote.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleSteps } from '@infra/lambda-bundling';
import { FLEET_FUNCTION_IDS, FUNCTION_IDS } from '@shared/env';
import { functionEnvironments } from '@shared/function-environments';
import type { Metafile } from 'esbuild';

const run = promisify(execFile);
let dir: string;
let metafile: Metafile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lambda-zod-mini-test-'));
  metafile = await bundleSteps({ steps: [...FUNCTION_IDS, ...FLEET_FUNCTION_IDS], outdir: dir });
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('no step bundle holds classic zod or a locale other than English', () => {
  const zodInputs = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([path, input]) => path.includes('node_modules/zod/') && input.bytesInOutput > 0)
      .map(([path]) => path.replace(/.*node_modules\/zod\//, '')),
  );
  expect(zodInputs).toContain('v4/mini/schemas.js');
  expect(zodInputs.filter((path) => path.startsWith('v4/classic/') || path === 'index.js')).toEqual([]);
  expect([...new Set(zodInputs.filter((path) => path.includes('locales/')))]).toEqual(['v4/locales/en.js']);
});

it("a deployed bundle rejects a bad event with zod's English messages", async () => {
  const env = (
    functionEnvironments({ restoreRoleArn: 'arn:aws:iam::123456789012:role/r' }) as Record<
      string,
      Record<string, string>
    >
  )['summarise-fleet'];
  const script = `require(process.argv[1]).handler(JSON.parse(process.argv[2])).then(
    () => process.stdout.write('accepted'),
    (e) => process.stdout.write(e.name + ': ' + e.message))`;
  const event = { results: [], unusable: [], note: 7 };
  const { stdout } = await run(
    process.execPath,
    ['-e', script, join(dir, 'summarise-fleet', 'index.js'), JSON.stringify(event)],
    { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
  );
  expect(stdout).toBe(
    'TypeError: summarise-fleet received an invalid event: note: Invalid input: expected string, received number',
  );
});
