/**
 * `npm run bench [-- --quick] [-- --only restore,fleet]`: every benchmark of issue 8 in one process
 * on the embedded emulator. Prints one table per section with each target next to the measured
 * value, then writes the same figures to bench/results/latest.json and latest.md.
 *
 *   demo      the offline demo, spawned as a user runs it
 *   restore   transitions, Lambda invocations, detection latency and cost per restore, ours vs a
 *             naive 30 s poll (5, 20, 60-min jobs and jittered ~20-min jobs)
 *   model     the wait loop replayed against the emulator's job model, per wait policy
 *   overhead  one restore at clock x60, x600, x6000: what the engine and emulator cost
 *   fleet     restore-fleet at 10, 100, 500 instances; peak calls per API against limits
 *   bundles   esbuild bundle sizes and cold init per Lambda
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ALL_PRICES } from './prices';
import { renderMarkdown, renderText, type Table, type TargetCheck, targetsTable } from './report';
import { runBundlesSection } from './sections/bundles';
import { runDemoSection } from './sections/demo';
import { runFaultMatrixSection } from './sections/fault-matrix';
import { runFleetSection } from './sections/fleet';
import { runOverheadSection } from './sections/overhead';
import { runRestoreSection } from './sections/restore';
import { runWaitModel } from './sections/wait-model';

const SECTIONS = [
  'demo',
  'restore',
  'model',
  'overhead',
  'fleet',
  'bundles',
  'iam-startup',
  'faults',
] as const;
type SectionName = (typeof SECTIONS)[number];

interface Settings {
  readonly restoreClockSpeed: number;
  readonly jitteredRuns: number;
  readonly fleetSizes: readonly number[];
  readonly fleetClockSpeed: number;
  readonly overheadClockSpeeds: readonly number[];
  readonly coldInitRuns: number;
  readonly comparisonRuns: number;
}

const FULL: Settings = {
  // x60 keeps the emulator's own time small in simulated seconds (1 ms wall = 0.06 s), which
  // matters for detection latency; the 60-minute job then takes a minute of wall time.
  restoreClockSpeed: 60,
  jitteredRuns: 6,
  fleetSizes: [10, 100, 500],
  fleetClockSpeed: 600,
  overheadClockSpeeds: [60, 600, 6000],
  // Fifteen pairs for the deployed bundles, which the goal judges: in a full run a burst of other
  // work moved one function's median of five to 1.73x the baseline, where nine pairs taken right
  // after gave 1.19x; and the baseline against itself still moved 0.91x-1.16x between runs of
  // nine. The comparison variants take 0.2-0.7 s a sample and judge nothing: nine.
  coldInitRuns: 15,
  comparisonRuns: 9,
};

const QUICK: Settings = {
  restoreClockSpeed: 600,
  jitteredRuns: 5,
  fleetSizes: [10, 100],
  fleetClockSpeed: 600,
  overheadClockSpeeds: [60, 600, 6000],
  coldInitRuns: 1,
  comparisonRuns: 1,
};

const FIXED_JOB_MINUTES = [5, 20, 60] as const;
const RESULTS_DIR = join(__dirname, 'results');

async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const only = parseOnly(argv);
  const settings = quick ? QUICK : FULL;
  const began = Date.now();
  const tables: Table[] = [];
  const checks: TargetCheck[] = [];
  const sections: Record<string, unknown> = {};
  const failures: string[] = [];
  const show = (newTables: readonly Table[]) => {
    for (const t of newTables) {
      tables.push(t);
      process.stdout.write(`\n${renderText(t)}\n`);
    }
  };
  const step = async <T extends { tables: readonly Table[]; checks?: readonly TargetCheck[] }>(
    name: SectionName,
    work: () => Promise<T> | T,
  ): Promise<T | null> => {
    if (!only.has(name)) return null;
    const t0 = Date.now();
    process.stderr.write(`bench: ${name}…\n`);
    try {
      const result = await work();
      sections[name] = { ...result, tables: undefined, sectionWallMs: Date.now() - t0 };
      show(result.tables);
      checks.push(...(result.checks ?? []));
      return result;
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${name}: ${message}`);
      process.stderr.write(`bench: ${name} failed: ${message}\n`);
      return null;
    } finally {
      process.stderr.write(`bench: ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  };

  process.stdout.write(
    `ec2-restore-orchestrator benchmarks (${quick ? 'quick' : 'full'}), ${process.version}, ${cpus().length} CPUs\n`,
  );
  await step('demo', runDemoSection);
  // Cold init is timed in child processes and is the figure most sensitive to other work on the
  // machine, so it runs before the sections that leave this process with a large heap (the
  // 500-instance fleet) rather than after them.
  await step('bundles', () =>
    runBundlesSection({ coldInitRuns: settings.coldInitRuns, comparisonRuns: settings.comparisonRuns }),
  );
  const restore = await step('restore', () =>
    runRestoreSection({
      clockSpeed: settings.restoreClockSpeed,
      fixedJobMinutes: FIXED_JOB_MINUTES,
      jitteredRuns: settings.jitteredRuns,
      jitter: { centerMinutes: 20, spreadMinutes: 5, seed: 8 },
    }),
  );
  await step('model', () => {
    const measured = new Map(
      (restore?.runs ?? [])
        .filter((r) => r.variant === 'ours' && r.kind === 'fixed')
        .map((r) => [r.jobMinutes, r.transitions] as const),
    );
    return runWaitModel(FIXED_JOB_MINUTES, measured);
  });
  await step('overhead', () =>
    runOverheadSection({ clockSpeeds: settings.overheadClockSpeeds, jobMinutes: 5 }),
  );
  await step('fleet', () =>
    runFleetSection({ sizes: settings.fleetSizes, clockSpeed: settings.fleetClockSpeed, jobMinutes: 5 }),
  );
  await step('iam-startup', () => require('./sections/iam-startup').runIamStartupSection());
  await step('faults', () => runFaultMatrixSection({ concurrency: 4 }));

  const summary = targetsTable(checks);
  process.stdout.write(`\n${renderText(summary)}\n`);
  const totalSeconds = (Date.now() - began) / 1000;
  process.stdout.write(
    `\nbench: ${totalSeconds.toFixed(0)} s wall in all${failures.length ? `; ${failures.length} section(s) failed` : ''}\n`,
  );

  const run = {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    sections: [...only],
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    wallSeconds: totalSeconds,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, 'latest.json'),
    `${JSON.stringify({ run, settings, prices: ALL_PRICES, targets: checks, failures, sections, tables: [summary, ...tables] }, null, 2)}\n`,
  );
  writeFileSync(join(RESULTS_DIR, 'latest.md'), markdown(run, summary, tables, failures));
  process.stdout.write(`bench: wrote ${join('bench', 'results', 'latest.json')} and latest.md\n`);
  return failures.length > 0 ? 1 : 0;
}

function parseOnly(argv: readonly string[]): Set<SectionName> {
  const index = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (index < 0) return new Set(SECTIONS);
  const arg = argv[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (argv[index + 1] ?? '');
  const names = value.split(',').filter(Boolean);
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(', ')}; got "${value}"`);
  }
  return new Set(names as SectionName[]);
}

function markdown(
  run: {
    generatedAt: string;
    mode: string;
    node: string;
    platform: string;
    cpus: number;
    wallSeconds: number;
  },
  summary: Table,
  tables: readonly Table[],
  failures: readonly string[],
): string {
  return [
    '# Benchmark results',
    '',
    `${run.generatedAt} · \`npm run bench${run.mode === 'quick' ? ' -- --quick' : ''}\` · Node ${run.node} · ${run.platform} · ${run.cpus} CPUs · ${run.wallSeconds.toFixed(0)} s`,
    '',
    renderMarkdown(summary),
    '',
    ...tables.flatMap((t) => [renderMarkdown(t), '']),
    ...(failures.length > 0
      ? ['## Sections that failed', '', ...failures.map((f) => `- ${f.split('\n')[0]}`), '']
      : []),
  ].join('\n');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
