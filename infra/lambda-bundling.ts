/**
 * How every step Lambda is bundled, in one place: `StepFunction` (infra/constructs/step-function.ts)
 * deploys with these options and the bench (bench/sections/bundles.ts) and the step-clients test
 * build with them, so what is measured and checked is what is deployed.
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
 * - CommonJS output: Lambda `require`s a `.js` handler; an ES-module (`.mjs`) handler goes through
 *   the ESM loader, which was slower for the baseline and most steps for the same code.
 * - No source map: Lambda uses one only with `--enable-source-maps`, which itself slows init, and
 *   the map was 3–4× the bundle in the zip.
 */
import type { BuildOptions } from 'esbuild';

/** esbuild options that NodejsFunction's `bundling` can express, with esbuild's own names. */
export interface LambdaBundling {
  readonly format: 'cjs';
  readonly target: string;
  readonly mainFields: readonly string[];
  readonly minify: boolean;
  readonly sourcemap: boolean;
  readonly external: readonly string[];
}

export const LAMBDA_BUNDLING: LambdaBundling = {
  format: 'cjs',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  // Only native addons stay out: ssh2 loads its optional ones (crypto binding, cpu-features) inside
  // try/catch and falls back to pure JS; esbuild cannot bundle .node files, and one built on this
  // machine would not run on arm64 Lambda anyway.
  external: ['*.node'],
};

/** The same bundling as esbuild API options, for code that calls esbuild itself (bench, tests). */
export function lambdaBuildOptions(tsconfig: string): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourcemap,
    external: [...LAMBDA_BUNDLING.external],
    tsconfig,
  };
}
