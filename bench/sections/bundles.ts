/**
 * Each Lambda bundled as deployed (`bundleSteps` from infra/lambda-bundling.ts, the same function
 * whose output StepFunction deploys) and as a few variants, with its cold init in a fresh process:
 * Lambda's INIT (`require` of the `.js` handler) and then the first call, which creates the SDK
 * clients and rejects the empty event before any AWS call.
 *
 * Each variant has its own BASELINE bundled and timed the same way in the same run: a handler that
 * imports one SDK client (SSM), creates it on its first call and does nothing else, i.e. the least
 * a Lambda that calls AWS can load when built that way. Goal: every function's cold init, as
 * deployed, within INIT_GOAL_RATIO × the deployed variant's baseline.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { SSH2_CLIENT_FILE } from '@infra/bundling/ssh2-client-only';
import { bundleSteps, lambdaBuildOptions } from '@infra/lambda-bundling';
import { type AnyFunctionId, FLEET_FUNCTION_IDS, FUNCTION_IDS } from '@shared/env';
import { functionEnvironments } from '@shared/function-environments';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { median } from '../harness';
import { kib, mark, type Table, type TargetCheck } from '../report';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
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

interface Variant {
  readonly key: string;
  /** Column header. */
  readonly label: string;
  /** What it is, for the notes. */
  readonly description: string;
  /** Changes to the deployed esbuild options (none for the deployed variant). */
  readonly overrides: BuildOptions;
  /** The SDK is external and loads from the runtime (here: node_modules via NODE_PATH). */
  readonly sdkFromRuntime: boolean;
}

const VARIANTS: readonly Variant[] = [
  {
    key: 'deployed',
    label: 'deployed',
    description:
      'deployed: bundleSteps from infra/lambda-bundling.ts, what StepFunction deploys (cjs, node22, SDK bundled, mainFields module,main, SDK schema keys inlined, ssh2 client only, minify, no source map)',
    overrides: {},
    sdkFromRuntime: false,
  },
  {
    key: 'no-plugins',
    label: 'no plugins',
    description:
      "no plugins: deployed without the esbuild plugins (the SDK's schema modules kept whole, ssh2 whole): what NodejsFunction could deploy, which runs the esbuild CLI and takes no plugins",
    overrides: { plugins: [] },
    sdkFromRuntime: false,
  },
  {
    key: 'sdk-external',
    label: 'SDK external',
    description:
      "SDK external: main-first, externalModules @aws-sdk/*, no plugins (CDK's default): the SDK loads from the runtime's node_modules",
    overrides: { mainFields: ['main', 'module'], external: ['@aws-sdk/*', '*.node'], plugins: [] },
    sdkFromRuntime: true,
  },
];

const INIT_SCRIPT = `
const file = process.argv[1];
const t0 = performance.now();
Promise.resolve().then(() => require(file)).then((mod) => {
  const t1 = performance.now();
  return Promise.resolve()
    .then(() => mod.handler({}))
    .catch(() => undefined)
    .then(() => process.stdout.write(JSON.stringify({ requireMs: t1 - t0, firstCallMs: performance.now() - t0 })));
});
`;

export interface BundlesSectionOptions {
  /** Paired samples per function as deployed: what the goal judges. */
  readonly coldInitRuns: number;
  /** Paired samples per function of the comparison variants (slower to sample, judged by nothing). */
  readonly comparisonRuns: number;
}

interface InitSample {
  readonly requireMs: number;
  readonly firstCallMs: number;
}

export interface VariantFigures {
  readonly variant: string;
  readonly bytes: number;
  /** ssh2's client, in a file beside the bundle that loads at the first handshake (check-ssh). */
  readonly lazyBytes: number;
  /** Medians over the runs. */
  readonly coldInit: InitSample;
  /** Median over the runs of (this function's init) ÷ (this variant's baseline's, sampled just before). */
  readonly timesBaseline: number;
}

export interface BundleFigures {
  readonly id: AnyFunctionId | typeof BASELINE;
  /** By variant key; `deployed` is what the goal judges. */
  readonly variants: Readonly<Record<string, VariantFigures>>;
  /** Largest contributors to the deployed bundle, by package. */
  readonly topPackages: readonly { readonly name: string; readonly bytes: number }[];
}

export interface BundlesSection {
  readonly options: BundlesSectionOptions;
  readonly buildMs: number;
  readonly variants: readonly { readonly key: string; readonly description: string }[];
  readonly bundles: readonly BundleFigures[];
  /** The one-SDK-client handler every function is compared with, per variant. */
  readonly baseline: BundleFigures;
  readonly tables: readonly Table[];
  readonly checks: readonly TargetCheck[];
}

export async function runBundlesSection(options: BundlesSectionOptions): Promise<BundlesSection> {
  const dir = mkdtempSync(join(tmpdir(), 'ec2-restore-bench-'));
  try {
    const ids: AnyFunctionId[] = [...FUNCTION_IDS, ...FLEET_FUNCTION_IDS];
    const began = Date.now();
    const metafiles = await Promise.all(
      VARIANTS.map(async (v) => {
        const [functions] = await Promise.all([
          bundle(ids, join(dir, v.key), v),
          bundleBaseline(join(dir, v.key), v),
        ]);
        return functions;
      }),
    );
    const deployedMeta = metafiles[0] as Metafile;
    const buildMs = Date.now() - began;
    const env = functionEnvironments({
      restoreRoleArn: 'arn:aws:iam::123456789012:role/ec2-restore-restore-role',
    });
    const file = (v: Variant, id: string) => join(dir, v.key, id, 'index.js');
    const baselineSamples = new Map<string, InitSample[]>(VARIANTS.map((v) => [v.key, []]));
    const measure = async (id: AnyFunctionId | typeof BASELINE): Promise<BundleFigures> => {
      const stepEnv: Record<string, string> = (env as Record<string, Record<string, string>>)[id] ?? {};
      const samples = new Map<string, InitSample[]>(VARIANTS.map((v) => [v.key, []]));
      const ratios = new Map<string, number[]>(VARIANTS.map((v) => [v.key, []]));
      for (let i = 0; i < options.coldInitRuns; i++) {
        for (const v of VARIANTS) {
          if (v.key !== 'deployed' && i >= options.comparisonRuns) continue;
          // Each sample is paired with a sample of its variant's baseline taken just before it: the
          // machine's load drifts (2 shared cores), and only neighbours in time compare fairly.
          const base = await coldInit(file(v, BASELINE), {}, v.sdkFromRuntime);
          baselineSamples.get(v.key)?.push(base);
          const sample = await coldInit(file(v, id), stepEnv, v.sdkFromRuntime);
          samples.get(v.key)?.push(sample);
          ratios.get(v.key)?.push(sample.firstCallMs / base.firstCallMs);
        }
      }
      const variants = Object.fromEntries(
        VARIANTS.map((v) => [
          v.key,
          {
            variant: v.key,
            bytes: statSync(file(v, id)).size,
            lazyBytes: sizeIfAny(join(dir, v.key, id, SSH2_CLIENT_FILE)),
            coldInit: medianOf(samples.get(v.key) ?? []),
            timesBaseline: median(ratios.get(v.key) ?? []),
          },
        ]),
      );
      return { id, variants, topPackages: id === BASELINE ? [] : topPackages(deployedMeta, id) };
    };
    const bundles: BundleFigures[] = [];
    for (const id of ids) bundles.push(await measure(id));
    const measuredBaseline = await measure(BASELINE);
    // The baseline's own row: its init over every sample taken beside the functions; its × is the
    // baseline against itself, i.e. how far this run's noise alone moves the ratio.
    const baseline: BundleFigures = {
      ...measuredBaseline,
      variants: Object.fromEntries(
        Object.entries(measuredBaseline.variants).map(([key, figures]) => [
          key,
          { ...figures, coldInit: medianOf(baselineSamples.get(key) ?? []) },
        ]),
      ),
    };
    const ratio = (b: BundleFigures) => deployed(b).timesBaseline;
    const worst = bundles.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
    const within = bundles.filter((b) => ratio(b) <= INIT_GOAL_RATIO).length;
    const checks: TargetCheck[] = [
      {
        name: 'Cold init vs one-SDK-client baseline',
        target: `each ≤ ${INIT_GOAL_RATIO}×`,
        measured: `${within}/${bundles.length} within; worst ${worst.id} ${ratio(worst).toFixed(2)}× (baseline ${deployed(baseline).coldInit.firstCallMs.toFixed(0)} ms, bundled as deployed)`,
        pass: within === bundles.length,
      },
    ];
    return {
      options,
      buildMs,
      variants: VARIANTS.map((v) => ({ key: v.key, description: v.description })),
      bundles,
      baseline,
      tables: tables(bundles, baseline, options),
      checks,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function deployed(b: BundleFigures): VariantFigures {
  return b.variants.deployed as VariantFigures;
}

async function bundle(ids: readonly AnyFunctionId[], outdir: string, variant: Variant): Promise<Metafile> {
  return bundleSteps({ steps: ids, outdir, overrides: { ...variant.overrides, logLevel: 'silent' } });
}

/** The baseline handler, bundled exactly as the functions of its variant are. */
async function bundleBaseline(outdir: string, variant: Variant): Promise<Metafile> {
  const result = await build({
    ...lambdaBuildOptions(),
    ...variant.overrides,
    stdin: { contents: BASELINE_SOURCE, loader: 'ts', resolveDir: ROOT, sourcefile: 'baseline-handler.ts' },
    outfile: join(outdir, BASELINE, 'index.js'),
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
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
    ([path]) => path.endsWith(`${id}/index.js`) || path.endsWith(`${id}\\index.js`),
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

function sizeIfAny(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function tables(
  bundles: readonly BundleFigures[],
  baseline: BundleFigures,
  options: BundlesSectionOptions,
): Table[] {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const name = (b: BundleFigures) => (b.id === BASELINE ? 'BASELINE (one SSM client, does nothing)' : b.id);
  const times = (b: BundleFigures) => deployed(b).timesBaseline;
  const total = (f: (b: BundleFigures) => number) => kib(bundles.reduce((sum, b) => sum + f(b), 0));
  const deployedRow = (b: BundleFigures, judged: boolean) => [
    name(b),
    deployed(b).lazyBytes > 0
      ? `${kib(deployed(b).bytes)} + ${kib(deployed(b).lazyBytes)} ${SSH2_CLIENT_FILE}`
      : kib(deployed(b).bytes),
    ms(deployed(b).coldInit.requireMs),
    ms(deployed(b).coldInit.firstCallMs),
    `${times(b).toFixed(2)}×`,
    judged ? mark(times(b) <= INIT_GOAL_RATIO) : '',
    b.topPackages.map((p) => `${p.name} ${kib(p.bytes)}`).join(', '),
  ];
  const variantRow = (b: BundleFigures) => [
    name(b),
    ...VARIANTS.flatMap((v) => {
      const f = b.variants[v.key] as VariantFigures;
      return [kib(f.bytes), `${ms(f.coldInit.firstCallMs)} ${f.timesBaseline.toFixed(2)}×`];
    }),
  ];
  return [
    {
      title: `Lambda bundles as deployed and cold init against a baseline bundled the same way (median of ${options.coldInitRuns})`,
      columns: [
        'Function',
        'Size',
        'Init',
        '+ 1st call',
        '× baseline',
        `≤ ${INIT_GOAL_RATIO}×`,
        'Largest parts',
      ],
      rows: [
        deployedRow(baseline, false),
        ...bundles.map((b) => deployedRow(b, true)),
        ['total', total((b) => deployed(b).bytes), '', '', '', '', ''],
      ],
      notes: [
        `Bundled with bundleSteps (infra/lambda-bundling.ts), the function whose output StepFunction deploys: cjs, node22, the AWS SDK bundled, mainFields module,main, the SDK's unused schema shapes dropped (inline-sdk-schema-keys), ssh2's client only and in a file of its own (${SSH2_CLIENT_FILE}, required at the first handshake, so not in Init), minify, no source map. Sizes before zipping.`,
        `Init = a fresh \`node\` ${process.version} process requiring the bundle (Lambda's INIT); + 1st call adds the lazy init (env parse, SDK clients) and the rejected empty event. Lambda runs Node 22 on arm64, so absolute times differ.`,
        `× baseline = the function's Init + 1st call over the BASELINE's, the BASELINE bundled with the same options: the median of ratios, each function sample paired with a baseline sample taken just before it. Goal: every function within ${INIT_GOAL_RATIO}×. The BASELINE row's × is the baseline against itself: this run's noise.`,
      ],
    },
    {
      title: `Bundling variants side by side: size and Init + 1st call (× that variant's baseline), median of ${options.comparisonRuns}`,
      columns: ['Function', ...VARIANTS.flatMap((v) => [`${v.label} size`, `${v.label} init`])],
      rows: [
        variantRow(baseline),
        ...bundles.map(variantRow),
        [
          'total',
          ...VARIANTS.flatMap((v) => [total((b) => (b.variants[v.key] as VariantFigures).bytes), '']),
        ],
      ],
      notes: [
        ...VARIANTS.map((v) => v.description),
        "Every variant has its own BASELINE, bundled with that variant's options; × compares within a variant. Across variants compare the ms (sampled interleaved, so under the same load).",
      ],
    },
  ];
}
