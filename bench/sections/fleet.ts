/**
 * restore-fleet at 10, 100 and 500 instances: wall and simulated time, what the emulator holds,
 * the fleet execution against Step Functions' hard limits (256 KiB payload, 25,000 history
 * events), and the peak rate of calls per API (from the request log, per simulated second and per
 * wall second) against the documented rate limits.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { MAX_FLEET_TARGETS } from '@lambdas/shared/fleet-request';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '@local/sfn/execution';
import type { FleetOutput } from '@shared/fleet-state';
import { type BenchEmulator, peakPerSecond, startBenchEmulator } from '../harness';
import { judgeRate, rateLimitFor } from '../limits';
import { int, kib, mark, seconds, type Table, type TargetCheck } from '../report';
import { benchWorld, SELECTION_TAG, SSH_PORT, sourceInstanceId } from '../scenario';

export const FLEET_WALL_TARGET_SECONDS = 60;
const TARGET_SIZE = 100;
const MAX_CONCURRENCY = 40;

export interface FleetSectionOptions {
  readonly sizes: readonly number[];
  readonly clockSpeed: number;
  readonly jobMinutes: number;
}

export interface FleetRun {
  readonly instances: number;
  /** Fleet executions: more than one when the fleet is larger than one execution takes. */
  readonly executions: number;
  readonly status: string;
  readonly error: string | null;
  readonly cause: string | null;
  readonly succeeded: number | null;
  readonly failed: number | null;
  readonly childrenSucceeded: number;
  readonly wallMs: number;
  readonly simulatedSeconds: number;
  readonly transitions: number;
  readonly fleetHistoryEvents: number;
  readonly largestPayload: { readonly bytes: number; readonly where: string };
  readonly peakRssMb: number;
  /** Per API: calls, peak per simulated second, peak per wall second. */
  readonly apis: Record<string, { calls: number; peakSimulated: number; peakWall: number }>;
}

export interface FleetSection {
  readonly options: FleetSectionOptions;
  readonly runs: readonly FleetRun[];
  readonly tables: readonly Table[];
  readonly checks: readonly TargetCheck[];
}

export async function runFleetSection(options: FleetSectionOptions): Promise<FleetSection> {
  const runs: FleetRun[] = [];
  for (const size of options.sizes) runs.push(await runFleet(size, options));
  return { options, runs, ...summarise(runs, options) };
}

async function runFleet(size: number, options: FleetSectionOptions): Promise<FleetRun> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const bench = await startBenchEmulator(
    benchWorld({ clockSpeed: options.clockSpeed, jobMinutes: Array(size).fill(options.jobMinutes) }),
  );
  try {
    // One fleet execution takes at most MAX_FLEET_TARGETS instances; a larger fleet is split into
    // id lists started together, as state-machines/README.md tells users to do.
    const ids = Array.from({ length: size }, (_, i) => sourceInstanceId(i));
    const parts = size <= MAX_FLEET_TARGETS ? [null] : chunks(ids, MAX_FLEET_TARGETS);
    const began = Date.now();
    const arns = await Promise.all(
      parts.map((instanceIds, i) =>
        bench.start(
          bench.emulator.stateMachineArns.restoreFleet,
          {
            ...(instanceIds ? { instanceIds } : { tag: SELECTION_TAG }),
            maxConcurrency: MAX_CONCURRENCY,
            defaults: { mode: 'test', ssh: { port: SSH_PORT } },
          },
          `bench-fleet-${size}-${i + 1}`,
        ),
      ),
    );
    const fleets = await Promise.all(arns.map((arn) => bench.finish(arn)));
    const wallMs = Date.now() - began;
    const children = childHistories(bench);
    const outputs = fleets.map((f) => f.output as FleetOutput | null);
    const failedFleet = fleets.find((f) => f.status !== 'SUCCEEDED');
    const stamps = fleets.flatMap((f) => f.history.map((e) => e.timestamp?.getTime() ?? 0));
    const entered = [...fleets, ...children].flatMap(({ history }) =>
      history.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.timestamp?.getTime() ?? 0),
    );
    const apis = apiRates(bench);
    apis['sfn:StateTransition'] = {
      calls: entered.length,
      peakSimulated: peakPerSecond(entered),
      peakWall: Number.NaN,
    };
    apis['sfn:StartExecution(child)'] = {
      calls: children.length,
      peakSimulated: peakPerSecond(children.map((c) => c.startMs)),
      peakWall: Number.NaN,
    };
    return {
      instances: size,
      executions: fleets.length,
      status: failedFleet?.status ?? 'SUCCEEDED',
      error: failedFleet?.error ?? null,
      cause: failedFleet?.cause ?? null,
      succeeded: outputs.every((o) => o) ? sum(outputs.map((o) => o?.succeeded ?? 0)) : null,
      failed: outputs.every((o) => o) ? sum(outputs.map((o) => o?.failed ?? 0)) : null,
      childrenSucceeded: children.filter((c) => c.status === 'SUCCEEDED').length,
      wallMs,
      simulatedSeconds: (Math.max(...stamps) - Math.min(...stamps)) / 1000,
      transitions: entered.length,
      fleetHistoryEvents: Math.max(...fleets.map((f) => f.history.length)),
      largestPayload: fleets
        .map((f) => largestPayload(f.history))
        .reduce((a, b) => (b.bytes > a.bytes ? b : a)),
      peakRssMb: Math.max(peakRss, process.memoryUsage().rss) / 1024 / 1024,
      apis,
    };
  } finally {
    clearInterval(sampler);
    await bench.stop();
  }
}

function childHistories(
  bench: BenchEmulator,
): { status: string; startMs: number; history: HistoryEvent[] }[] {
  const items = [];
  let nextToken: string | undefined;
  do {
    const page = bench.emulator.sfn.listExecutions({
      stateMachineArn: bench.emulator.stateMachineArns.restoreInstance,
      maxResults: 1000,
      nextToken,
    });
    items.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items.map((e) => ({
    status: e.status ?? 'UNKNOWN',
    startMs: e.startDate?.getTime() ?? 0,
    history: bench.history(e.executionArn ?? ''),
  }));
}

function apiRates(bench: BenchEmulator): FleetRun['apis'] {
  const byApi = new Map<string, { sim: number[]; wall: number[] }>();
  for (const call of bench.calls) {
    const entry = byApi.get(call.api) ?? { sim: [], wall: [] };
    entry.sim.push(call.simulatedMs);
    entry.wall.push(call.wallMs);
    byApi.set(call.api, entry);
  }
  return Object.fromEntries(
    [...byApi].map(([api, { sim, wall }]) => [
      api,
      { calls: sim.length, peakSimulated: peakPerSecond(sim), peakWall: peakPerSecond(wall) },
    ]),
  );
}

/** The biggest state input/output or task result in the fleet's own history. */
function largestPayload(history: readonly HistoryEvent[]): FleetRun['largestPayload'] {
  let best = { bytes: 0, where: '—' };
  for (const e of history) {
    const candidates: [string | undefined, string][] = [
      [e.stateEnteredEventDetails?.input, `${e.stateEnteredEventDetails?.name} input`],
      [e.stateExitedEventDetails?.output, `${e.stateExitedEventDetails?.name} output`],
      [e.lambdaFunctionSucceededEventDetails?.output, 'Lambda result'],
    ];
    for (const [text, where] of candidates) {
      const bytes = text ? Buffer.byteLength(text) : 0;
      if (bytes > best.bytes) best = { bytes, where };
    }
  }
  return best;
}

function summarise(
  runs: readonly FleetRun[],
  options: FleetSectionOptions,
): { tables: Table[]; checks: TargetCheck[] } {
  const scale: Table = {
    title: `Fleet scale (restore-fleet, test mode, maxConcurrency ${MAX_CONCURRENCY}, ${options.jobMinutes}-min jobs, clock x${options.clockSpeed})`,
    columns: [
      'Instances',
      'Fleet',
      'Children OK',
      'Wall',
      'Simulated',
      'Transitions',
      'Fleet events',
      'Largest payload',
      'Peak RSS',
      'Target',
      'Mark',
    ],
    rows: runs.map((r) => {
      const targeted = r.instances === TARGET_SIZE;
      const statusText =
        (r.status === 'SUCCEEDED' ? 'SUCCEEDED' : `${r.status} ${r.error ?? ''}`.trim()) +
        (r.executions > 1 ? ` (${r.executions} executions)` : '');
      return [
        String(r.instances),
        statusText,
        `${r.childrenSucceeded}/${r.instances}`,
        seconds(r.wallMs / 1000),
        `${(r.simulatedSeconds / 60).toFixed(0)} min`,
        int(r.transitions),
        `${r.fleetHistoryEvents} / ${MAX_HISTORY_EVENTS}`,
        `${kib(r.largestPayload.bytes)} / ${kib(MAX_PAYLOAD_BYTES)}`,
        `${r.peakRssMb.toFixed(0)} MiB`,
        targeted ? `≤ ${FLEET_WALL_TARGET_SECONDS} s wall` : '—',
        targeted ? mark(r.status === 'SUCCEEDED' && r.wallMs / 1000 <= FLEET_WALL_TARGET_SECONDS) : '—',
      ];
    }),
    notes: [
      ...runs
        .filter((r) => r.status !== 'SUCCEEDED')
        .map(
          (r) =>
            `${r.instances} instances: the fleet ended ${r.status} ${r.error ?? ''}: ${(r.cause ?? '').slice(0, 200)}`,
        ),
      ...runs
        .filter((r) => r.largestPayload.bytes > 0)
        .map(
          (r) =>
            `${r.instances} instances: largest payload ${r.largestPayload.bytes} bytes (${r.largestPayload.where}), ${perInstance(r).toFixed(0)} bytes per instance → one fleet execution would hold about ${Math.floor(MAX_PAYLOAD_BYTES / perInstance(r))} instances (MAX_FLEET_TARGETS: ${MAX_FLEET_TARGETS}).`,
        ),
      "Simulated time includes the emulator's own work at x1 (the event clock runs work in flight in real time and skips only idle time): a CPU-bound run stretches the simulated timeline by its wall time.",
    ],
  };

  const largest = [...runs].reverse().find((r) => r.childrenSucceeded > 0) ?? runs.at(-1);
  const apiNames = [...new Set(runs.flatMap((r) => Object.keys(r.apis)))].filter(
    (a) => a !== 'sfn:StartExecution',
  );
  const rates: Table = {
    title: 'Peak calls per second per API during the fleet runs, against documented limits',
    columns: [
      'API',
      'Calls/restore',
      ...runs.map((r) => `peak/s sim (${r.instances})`),
      largest ? `peak/s wall (${largest.instances})` : 'peak/s wall',
      'Limit (refill/burst)',
      'vs limit',
    ],
    rows: apiNames.map((api) => {
      const limit = rateLimitFor(api);
      const worst = Math.max(...runs.map((r) => r.apis[api]?.peakSimulated ?? 0));
      const perRestore = largest?.apis[api] ? largest.apis[api].calls / largest.instances : Number.NaN;
      return [
        api,
        Number.isFinite(perRestore) ? perRestore.toFixed(1) : '—',
        ...runs.map((r) => int(r.apis[api]?.peakSimulated)),
        int(largest?.apis[api]?.peakWall),
        limit.perSecond === null
          ? '?'
          : `${limit.perSecond}/${limit.burst ?? '?'}${limit.confirmed ? '' : ' (unconfirmed)'}`,
        judgeRate(worst, limit),
      ];
    }),
    notes: [
      'Limits: bench/limits.ts — Step Functions from aws-facts.md E.1 (confirmed); EC2 and SSM figures are unconfirmed; Backup and IAM per-API rates were not checked ("?").',
      'Per simulated second may understate bursts (the emulator serialises on 2 cores work that AWS runs in parallel); per wall second is what this one process served. Real bursts are bounded by maxConcurrency (40 children at once).',
    ],
  };
  const target = runs.find((r) => r.instances === TARGET_SIZE);
  const checks: TargetCheck[] = target
    ? [
        {
          name: `${TARGET_SIZE}-instance fleet, wall`,
          target: `≤ ${FLEET_WALL_TARGET_SECONDS} s`,
          measured: `${seconds(target.wallMs / 1000)} (${target.status}, ${target.childrenSucceeded}/${target.instances} restored, clock x${options.clockSpeed})`,
          pass: target.status === 'SUCCEEDED' && target.wallMs / 1000 <= FLEET_WALL_TARGET_SECONDS,
        },
      ]
    : [];
  return { tables: [scale, rates], checks };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Payload bytes per instance in the largest fleet execution of a run. */
function perInstance(run: FleetRun): number {
  return run.largestPayload.bytes / Math.ceil(run.instances / run.executions);
}
