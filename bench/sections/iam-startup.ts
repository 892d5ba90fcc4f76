/**
 * What IAM enforcement costs the emulator's start (local/iam/): synthesising the orchestrator
 * stack cold (a child process with an empty template cache, as the first `npm start` after a
 * change to infra/ pays it), reading the cached template (every later start), and
 * `startEmulator` on the demo scenario with enforcement on (warm cache) against `iam.enforce:
 * false`, median of 3 each. The `npm start` target (demo section, ≤ 3 s) holds only on a warm cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SCENARIO_PATH, startEmulator } from '@local/emulator';
import { loadScenarioFile } from '@local/scenario';
import { seconds, type Table, type TargetCheck } from '../report';

const ROOT = join(__dirname, '..', '..');
const RUNS = 3;
/** What enforcement may add to a warm start: the demo's whole budget is 3 s. */
export const IAM_WARM_START_TARGET_SECONDS = 0.5;

export interface IamStartupSection {
  readonly coldSynthMs: number;
  readonly warmReadMs: number;
  readonly startEnforcedMs: number;
  readonly startUnenforcedMs: number;
  readonly tables: readonly Table[];
  readonly checks: readonly TargetCheck[];
}

/** The warm-up script in a child process against `cacheDir`: the time it reports. */
function timedWarmUp(cacheDir: string): number {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'local/iam/warm-synth-cache.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, EC2_RESTORE_SYNTH_CACHE: cacheDir },
      encoding: 'utf8',
    },
  );
  const match = / in ([\d.]+) s/.exec(result.stdout ?? '');
  if (result.status !== 0 || !match) throw new Error(`warm-synth-cache failed: ${result.stderr}`);
  return Number(match[1]) * 1000;
}

async function medianStartMs(enforce: boolean): Promise<number> {
  const scenario = loadScenarioFile(DEMO_SCENARIO_PATH);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const began = performance.now();
    const emulator = await startEmulator({ scenario: { ...scenario, iam: { ...scenario.iam, enforce } } });
    times.push(performance.now() - began);
    await emulator.stop();
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

export async function runIamStartupSection(): Promise<IamStartupSection> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'ec2-restore-bench-synth-'));
  let coldSynthMs: number;
  let warmReadMs: number;
  try {
    coldSynthMs = timedWarmUp(cacheDir);
    warmReadMs = timedWarmUp(cacheDir);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  // The in-process starts use the default cache: fill it first, so they measure a warm start.
  timedWarmUp(process.env.EC2_RESTORE_SYNTH_CACHE ?? '');
  const startEnforcedMs = await medianStartMs(true);
  const startUnenforcedMs = await medianStartMs(false);
  const addedMs = startEnforcedMs - startUnenforcedMs;
  const pass = addedMs / 1000 <= IAM_WARM_START_TARGET_SECONDS;
  return {
    coldSynthMs,
    warmReadMs,
    startEnforcedMs,
    startUnenforcedMs,
    tables: [
      {
        title: 'IAM enforcement at emulator start (demo scenario)',
        columns: ['Measure', 'Wall'],
        rows: [
          ['Synthesis of the orchestrator stack, cold cache (child process)', seconds(coldSynthMs / 1000)],
          ['Template from the disk cache (hash of the inputs + read)', seconds(warmReadMs / 1000)],
          [`startEmulator, IAM enforced (warm cache), median of ${RUNS}`, seconds(startEnforcedMs / 1000)],
          [`startEmulator, iam.enforce false, median of ${RUNS}`, seconds(startUnenforcedMs / 1000)],
        ],
        notes: [
          'The cache key hashes every input of the synthesis (infra/, lambdas/, state-machines/, cdk.json, package-lock.json, the context); any change synthesises anew once.',
          'The jest run fills the cache once in its global setup (test/global-setup.cjs).',
        ],
      },
    ],
    checks: [
      {
        name: 'IAM enforcement added to a warm emulator start',
        target: `≤ ${IAM_WARM_START_TARGET_SECONDS} s`,
        measured: `${seconds(addedMs / 1000)} (cold synthesis ${seconds(coldSynthMs / 1000)})`,
        pass,
      },
    ],
  };
}
