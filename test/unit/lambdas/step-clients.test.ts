/**
 * A cold start loads only the SDK clients the step calls: each handler, bundled as deployed
 * (infra/lambda-bundling.ts, the SDK inside the bundle), holds code from exactly the SDK client
 * packages of the clients its definition names. An SDK import reached through a shared helper
 * shows up here.
 */
import { join } from 'node:path';
import { lambdaBuildOptions } from '@infra/lambda-bundling';
import { FLEET_STEPS, STEPS } from '@lambdas/steps';
import type { AnyFunctionId } from '@shared/env';
import type { AnyStep } from '@shared/handler';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..', '..', '..');
const steps: Record<AnyFunctionId, AnyStep> = { ...STEPS, ...FLEET_STEPS };

it('each handler bundles the SDK client packages of the clients it names, and no other', async () => {
  const ids = Object.keys(steps) as AnyFunctionId[];
  const result = await build({
    ...lambdaBuildOptions(join(ROOT, 'tsconfig.json')),
    entryPoints: ids.map((id) => ({ in: join(ROOT, 'lambdas', id, 'handler.ts'), out: id })),
    outdir: '/virtual',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bundled = (id: AnyFunctionId) => {
    const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith(`/${id}.js`))?.[1];
    const packages = Object.entries(output?.inputs ?? {})
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(path)?.[1])
      .filter((name): name is string => name !== undefined);
    return [...new Set(packages)].sort();
  };
  const actual = Object.fromEntries(ids.map((id) => [id, bundled(id)]));
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
  // The deployed bundle holds the SDK itself (the runtime's copy is not used).
  expect(actual['wait-instance']).toEqual(['client-ec2']);
});
