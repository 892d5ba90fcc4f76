/**
 * How every step Lambda is bundled, in one place: `StepFunction` (infra/constructs/step-function.ts)
 * deploys the output of `bundleSteps` (through infra/bundling/step-code.ts), and the bench
 * (bench/sections/bundles.ts) and the bundling tests build with the same function and options,
 * so what is measured and checked is what is deployed.
 *
 * Chosen by `npm run bench -- --only bundles`, which times a fresh process's require and first
 * call for each variant side by side:
 * - The AWS SDK v3 is bundled, not left to the runtime's copy. Loading the runtime's SDK means
 *   resolving and reading its many CommonJS files one by one; a bundled client is one parsed file
 *   and only the parts the step imports. It also pins the SDK to package-lock.json instead of
 *   whatever version the runtime ships, which is what AWS recommends for production.
 * - `module` before `main`: the SDK's ES-module builds (dist-es) let esbuild drop the commands and
 *   serialisers a step never calls; the CommonJS builds (dist-cjs) are one file per client, all or
 *   nothing.
 * - The inline-sdk-schema-keys plugin (infra/bundling/inline-sdk-schema-keys.ts) lets esbuild drop
 *   the SDK shapes a step never uses: without it every EC2 step carried and evaluated the EC2
 *   client's whole 549 KiB schema module, about 3× the one-client baseline's cold init. esbuild
 *   plugins need its JS API, which NodejsFunction does not offer (it runs the esbuild CLI); hence
 *   our own bundling through `lambda.Code.fromAsset`.
 * - ssh2's parts a client never runs are left out (infra/bundling/ssh2-client-only.ts).
 * - CommonJS output: Lambda `require`s a `.js` handler; an ES-module (`.mjs`) handler goes through
 *   the ESM loader, which was slower for the baseline and most steps for the same code.
 * - No source map: Lambda uses one only with `--enable-source-maps`, which itself slows init, and
 *   the map was 3–4× the bundle in the zip.
 */
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { inlineSdkSchemaKeys } from './bundling/inline-sdk-schema-keys';
import { ssh2ClientOnly } from './bundling/ssh2-client-only';

const ROOT = join(__dirname, '..');

/** The esbuild options every step Lambda is built with. */
export function lambdaBuildOptions(tsconfig: string = join(ROOT, 'tsconfig.json')): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: false,
    // Only native addons stay out: ssh2 loads its optional ones (crypto binding, cpu-features)
    // inside try/catch and falls back to pure JS; esbuild cannot bundle .node files, and one built
    // on this machine would not run on arm64 Lambda anyway.
    external: ['*.node'],
    plugins: [inlineSdkSchemaKeys, ssh2ClientOnly],
    tsconfig,
    logLevel: 'warning',
  };
}

/** The handler of a step, `lambdas/<step>/handler.ts`. */
export function stepEntry(step: string): string {
  return join(ROOT, 'lambdas', step, 'handler.ts');
}

export interface BundleStepsOptions {
  /** Step ids (the folders under lambdas/). */
  readonly steps: readonly string[];
  /**
   * Each step's bundle goes to `<outdir>/<step>/index.js`, or `<outdir>/index.js` when `flat` and
   * one step (a Lambda asset: handler `index.handler`).
   */
  readonly outdir: string;
  readonly flat?: boolean;
  /** Changes to the deployed options, for the bench's comparison variants only. */
  readonly overrides?: BuildOptions;
}

/** Builds the steps as deployed; the metafile says what each bundle holds. */
export async function bundleSteps(options: BundleStepsOptions): Promise<Metafile> {
  if (options.flat && options.steps.length !== 1) {
    throw new Error(`A flat bundle holds one step; got ${options.steps.length}: ${options.steps.join(', ')}`);
  }
  const result = await build({
    ...lambdaBuildOptions(),
    ...options.overrides,
    entryPoints: options.steps.map((step) => ({
      in: stepEntry(step),
      out: options.flat ? 'index' : join(step, 'index'),
    })),
    outdir: options.outdir,
    metafile: true,
  });
  return result.metafile;
}
