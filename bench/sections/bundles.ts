/**
 * Each Lambda bundled as CDK bundles it (esbuild: CJS, node22, minify, sourcemap, the repo's
 * tsconfig for path aliases), once with the AWS SDK v3 inside the bundle and once with `@aws-sdk/*`
 * external (as infra/constructs/step-function.ts deploys it: the Node 22 runtime ships the SDK).
 * Cold init: a fresh `node` process `require`s the bundle (Lambda's INIT), then makes the first
 * call, which creates the SDK clients and rejects the empty event before any AWS call.
 *
 * Each function is compared with a BASELINE bundled and timed the same way in the same run: a
 * handler that imports one SDK client (SSM), creates it on its first call and does nothing else,
 * i.e. the least a Lambda that calls AWS can load. Goal: every function's cold init (SDK external,
 * require + first call) within INIT_GOAL_RATIO × the baseline's.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { type AnyFunctionId, FLEET_FUNCTION_IDS, FUNCTION_IDS } from '@shared/env';
import { functionEnvironments } from '@shared/function-environments';
import { build, type Metafile } from 'esbuild';
import { median } from '../harness';
import { kib, mark, type Table, type TargetCheck } from '../report';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const SDK_EXTERNAL = ['@aws-sdk/*', '*.node'];
const SDK_BUNDLED = ['*.node'];
/** The goal: no function's cold init above this multiple of the baseline's. */
export const INIT_GOAL_RATIO = 1.5;
const BASELINE = 'baseline';
const BASELINE_SOURCE = `
import { SSMClient } from '@aws-sdk/client-ssm';
let client: SSMClient | undefined;
export const handler = async (): Promise<void> => {
  client ??= new SSMClient({});
};
`;

const INIT_SCRIPT = `
const t0 = performance.now();
const mod = require(process.argv[1]);
const t1 = performance.now();
Promise.resolve()
  .then(() => mod.handler({}))
  .catch(() => undefined)
  .then(() => process.stdout.write(JSON.stringify({ requireMs: t1 - t0, firstCallMs: performance.now() - t0 })));
`;

export interface BundlesSectionOptions {
  readonly coldInitRuns: number;
}

export interface BundleFigures {
  readonly id: AnyFunctionId | typeof BASELINE;
  readonly bundledBytes: number;
  readonly bundledMapBytes: number;
  readonly externalBytes: number;
  readonly externalMapBytes: number;
  /** Largest contributors to the SDK-bundled output, by package. */
  readonly topPackages: readonly { readonly name: string; readonly bytes: number }[];
  readonly coldInit: {
    readonly bundled: { readonly requireMs: number; readonly firstCallMs: number };
    readonly external: { readonly requireMs: number; readonly firstCallMs: number };
  };
  /** Median over the runs of (this function's external init) ÷ (the baseline's, sampled just before). */
  readonly timesBaseline: number;
}

export interface BundlesSection {
  readonly options: BundlesSectionOptions;
  readonly buildMs: number;
  readonly bundles: readonly BundleFigures[];
  /** The one-SDK-client handler every function is compared with. */
  readonly baseline: BundleFigures;
  readonly tables: readonly Table[];
  readonly checks: readonly TargetCheck[];
}

export async function runBundlesSection(options: BundlesSectionOptions): Promise<BundlesSection> {
  const dir = mkdtempSync(join(tmpdir(), 'ec2-restore-bench-'));
  try {
    const ids: AnyFunctionId[] = [...FUNCTION_IDS, ...FLEET_FUNCTION_IDS];
    const began = Date.now();
    const [bundledMeta, , baselineMeta] = await Promise.all([
      bundle(ids, join(dir, 'sdk-bundled'), SDK_BUNDLED),
      bundle(ids, join(dir, 'sdk-external'), SDK_EXTERNAL),
      bundleBaseline(join(dir, 'sdk-bundled'), SDK_BUNDLED),
      bundleBaseline(join(dir, 'sdk-external'), SDK_EXTERNAL),
    ]);
    const buildMs = Date.now() - began;
    const env = functionEnvironments({
      restoreRoleArn: 'arn:aws:iam::123456789012:role/ec2-restore-restore-role',
    });
    const baselineEnv: Record<string, string> = {};
    const baselineExternal = join(dir, 'sdk-external', BASELINE, 'handler.js');
    const baselineSamples: InitSample[] = [];
    const measure = async (
      id: AnyFunctionId | typeof BASELINE,
      metafile: Metafile,
    ): Promise<BundleFigures> => {
      const stepEnv: Record<string, string> = (env as Record<string, Record<string, string>>)[id] ?? {};
      const bundledJs = join(dir, 'sdk-bundled', id, 'handler.js');
      const externalJs = join(dir, 'sdk-external', id, 'handler.js');
      const samples = { bundled: [] as InitSample[], external: [] as InitSample[] };
      const ratios: number[] = [];
      for (let i = 0; i < options.coldInitRuns; i++) {
        // Each sample of a function is paired with a baseline sample taken just before it: the
        // machine's load drifts (2 shared cores), and only neighbours in time compare fairly.
        const base = await coldInit(baselineExternal, baselineEnv, true);
        baselineSamples.push(base);
        samples.bundled.push(await coldInit(bundledJs, stepEnv, false));
        const external = await coldInit(externalJs, stepEnv, true);
        samples.external.push(external);
        ratios.push(external.firstCallMs / base.firstCallMs);
      }
      return {
        id,
        bundledBytes: statSync(bundledJs).size,
        bundledMapBytes: statSync(`${bundledJs}.map`).size,
        externalBytes: statSync(externalJs).size,
        externalMapBytes: statSync(`${externalJs}.map`).size,
        topPackages: topPackages(metafile, id),
        coldInit: { bundled: medianOf(samples.bundled), external: medianOf(samples.external) },
        timesBaseline: median(ratios),
      };
    };
    const bundles: BundleFigures[] = [];
    for (const id of ids) bundles.push(await measure(id, bundledMeta));
    const measuredBaseline = await measure(BASELINE, baselineMeta);
    // The baseline's own row: its external init over every sample taken beside the functions; its
    // × is the baseline against itself, i.e. how far this run's noise alone moves the ratio.
    const baseline: BundleFigures = {
      ...measuredBaseline,
      coldInit: { ...measuredBaseline.coldInit, external: medianOf(baselineSamples) },
    };
    const ratio = (b: BundleFigures) => b.timesBaseline;
    const worst = bundles.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
    const within = bundles.filter((b) => ratio(b) <= INIT_GOAL_RATIO).length;
    const checks: TargetCheck[] = [
      {
        name: 'Cold init vs one-SDK-client baseline',
        target: `each ≤ ${INIT_GOAL_RATIO}×`,
        measured: `${within}/${bundles.length} within; worst ${worst.id} ${ratio(worst).toFixed(2)}× (baseline ${baseline.coldInit.external.firstCallMs.toFixed(0)} ms)`,
        pass: within === bundles.length,
      },
    ];
    return { options, buildMs, bundles, baseline, tables: tables(bundles, baseline, options), checks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bundle(ids: readonly AnyFunctionId[], outdir: string, external: string[]): Promise<Metafile> {
  const result = await build({
    entryPoints: ids.map((id) => ({ in: join(ROOT, 'lambdas', id, 'handler.ts'), out: join(id, 'handler') })),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    sourcemap: true,
    tsconfig: join(ROOT, 'tsconfig.json'),
    external,
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

/** The baseline handler, bundled exactly as the functions are (same options, same output layout). */
async function bundleBaseline(outdir: string, external: string[]): Promise<Metafile> {
  const result = await build({
    stdin: { contents: BASELINE_SOURCE, loader: 'ts', resolveDir: ROOT, sourcefile: 'baseline-handler.ts' },
    outfile: join(outdir, BASELINE, 'handler.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    sourcemap: true,
    external,
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

interface InitSample {
  readonly requireMs: number;
  readonly firstCallMs: number;
}

async function coldInit(
  file: string,
  stepEnv: Record<string, string>,
  sdkFromRuntime: boolean,
): Promise<InitSample> {
  const { stdout } = await run(process.execPath, ['-e', INIT_SCRIPT, file], {
    timeout: 30_000,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIABENCH0000000000',
      AWS_SECRET_ACCESS_KEY: 'bench-not-a-secret',
      // Nothing listens here: a call that did go out would fail at once instead of hanging.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      POWERTOOLS_SERVICE_NAME: 'ec2-restore-orchestrator',
      ...stepEnv,
      // The SDK the runtime would provide: this repo's node_modules (unbundled, as in /var/runtime).
      ...(sdkFromRuntime && { NODE_PATH: join(ROOT, 'node_modules') }),
    },
  });
  return JSON.parse(stdout) as InitSample;
}

function medianOf(samples: readonly InitSample[]): InitSample {
  return {
    requireMs: median(samples.map((s) => s.requireMs)),
    firstCallMs: median(samples.map((s) => s.firstCallMs)),
  };
}

function topPackages(metafile: Metafile, id: string): { name: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(
    ([path]) => path.endsWith(`${id}/handler.js`) || path.endsWith(`${id}\\handler.js`),
  )?.[1];
  if (!output) return [];
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(
      relative(ROOT, join(ROOT, path)).replace(/\\/g, '/'),
    );
    const name = match?.[1] ?? 'project code';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3);
}

function tables(
  bundles: readonly BundleFigures[],
  baseline: BundleFigures,
  options: BundlesSectionOptions,
): Table[] {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const times = (b: BundleFigures) => b.timesBaseline;
  const row = (b: BundleFigures, judged: boolean) => [
    b.id === BASELINE ? 'BASELINE (imports @aws-sdk/client-ssm, does nothing)' : b.id,
    kib(b.bundledBytes),
    kib(b.bundledMapBytes),
    kib(b.externalBytes),
    kib(b.externalMapBytes),
    ms(b.coldInit.bundled.requireMs),
    ms(b.coldInit.bundled.firstCallMs),
    ms(b.coldInit.external.requireMs),
    ms(b.coldInit.external.firstCallMs),
    `${times(b).toFixed(2)}×`,
    judged ? mark(times(b) <= INIT_GOAL_RATIO) : '',
    b.topPackages.map((p) => `${p.name} ${kib(p.bytes)}`).join(', '),
  ];
  const total = (f: (b: BundleFigures) => number) => bundles.reduce((sum, b) => sum + f(b), 0);
  return [
    {
      title: `Lambda bundles (esbuild as CDK: cjs, node22, minify, sourcemap) and cold init (median of ${options.coldInitRuns})`,
      columns: [
        'Function',
        'SDK bundled',
        '.map',
        'SDK external',
        '.map',
        'Init bundled',
        '1st call',
        'Init external',
        '1st call',
        '× baseline',
        `≤ ${INIT_GOAL_RATIO}×`,
        'Largest parts (bundled)',
      ],
      rows: [
        row(baseline, false),
        ...bundles.map((b) => row(b, true)),
        [
          'total',
          kib(total((b) => b.bundledBytes)),
          kib(total((b) => b.bundledMapBytes)),
          kib(total((b) => b.externalBytes)),
          kib(total((b) => b.externalMapBytes)),
          '',
          '',
          '',
          '',
          '',
          '',
          '',
        ],
      ],
      notes: [
        `Init = a fresh \`node\` ${process.version} process requiring the bundle; 1st call adds the lazy init (env parse, SDK clients) and the rejected empty event. Lambda runs Node 22 on arm64, so absolute times differ.`,
        '"SDK external" is how infra deploys (externalModules @aws-sdk/*): the SDK then loads from the runtime (here: node_modules via NODE_PATH), so its load time remains in Init.',
        `× baseline = the function's Init external + 1st call (as deployed: SDK from the runtime) over the BASELINE's: the median of ratios, each function sample paired with a baseline sample taken just before it. Goal: every function within ${INIT_GOAL_RATIO}× of the baseline. The BASELINE row's × is the baseline against itself: this run's noise.`,
        'Sizes are before zipping.',
      ],
    },
  ];
}
