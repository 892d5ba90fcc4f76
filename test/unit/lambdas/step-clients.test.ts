/**
 * A cold start loads only the SDK clients the step calls: each handler, bundled as deployed (SDK
 * external, so every SDK import stays a top-level require), requires exactly the packages of the
 * clients its definition names. An SDK import reached through a shared helper shows up here.
 */
import { join } from 'node:path';
import { FLEET_STEPS, STEPS } from '@lambdas/steps';
import type { AnyFunctionId } from '@shared/env';
import type { AnyStep } from '@shared/handler';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..', '..', '..');
const steps: Record<AnyFunctionId, AnyStep> = { ...STEPS, ...FLEET_STEPS };

it('each handler requires the SDK packages of the clients it names, and no other', async () => {
  const ids = Object.keys(steps) as AnyFunctionId[];
  const result = await build({
    entryPoints: ids.map((id) => ({ in: join(ROOT, 'lambdas', id, 'handler.ts'), out: id })),
    outdir: '/virtual',
    write: false,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    tsconfig: join(ROOT, 'tsconfig.json'),
    external: ['@aws-sdk/*', '*.node'],
    logLevel: 'silent',
  });
  const required = (id: AnyFunctionId) => {
    const output = result.outputFiles.find((f) => f.path.endsWith(`/${id}.js`));
    const packages = [...(output?.text ?? '').matchAll(/require\("@aws-sdk\/(client-[a-z0-9-]+)"\)/g)];
    return [...new Set(packages.map((m) => m[1]))].sort();
  };
  const actual = Object.fromEntries(ids.map((id) => [id, required(id)]));
  const declared = Object.fromEntries(
    ids.map((id) => [
      id,
      Object.keys(steps[id].clients)
        .map((name) => `client-${name}`)
        .sort(),
    ]),
  );
  expect(actual).toEqual(declared);
  expect(actual['validate-input']).toEqual([]);
  expect(actual['summarise-fleet']).toEqual([]);
});
