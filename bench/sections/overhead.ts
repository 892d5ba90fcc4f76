/**
 * What the engine and the emulator cost, apart from simulated waiting: one full restore (test
 * mode) at several clock speeds. Wall time minus the real time spent in Wait states is the time
 * the engine, the in-process Lambdas, the HTTP front door and the SSH check took. The same restores
 * give the orchestration overhead (RTO − job − boot − sshd, ./rto-overhead.ts) per phase, alone on
 * the emulator: at a low clock speed that is the workflow's own, at a high one the emulator's wall
 * time, multiplied by the speed, dominates it.
 */

import { startBenchEmulator } from '../harness';
import { transitions, waitingMs } from '../history';
import { int, seconds, type Table, type TargetCheck } from '../report';
import { benchWorld, restoreInput, sourceInstanceId } from '../scenario';
import {
  groundTruthOf,
  RTO_OVERHEAD_TARGET_SECONDS,
  type RtoOverhead,
  rtoOverhead,
  rtoOverheadTable,
} from './rto-overhead';

export interface OverheadSectionOptions {
  readonly clockSpeeds: readonly number[];
  readonly jobMinutes: number;
}

export interface OverheadRun {
  readonly clockSpeed: number;
  readonly status: string;
  readonly startupMs: number;
  readonly wallMs: number;
  readonly simulatedSeconds: number;
  readonly waitingWallMs: number;
  readonly overheadMs: number;
  readonly transitions: number;
  readonly rtoOverhead: RtoOverhead | null;
}

export interface OverheadSection {
  readonly options: OverheadSectionOptions;
  readonly runs: readonly OverheadRun[];
  readonly tables: readonly Table[];
  readonly checks: readonly TargetCheck[];
}

export async function runOverheadSection(options: OverheadSectionOptions): Promise<OverheadSection> {
  const runs: OverheadRun[] = [];
  for (const clockSpeed of options.clockSpeeds) {
    const bench = await startBenchEmulator(benchWorld({ clockSpeed, jobMinutes: [options.jobMinutes] }));
    try {
      const began = Date.now();
      const arn = await bench.start(
        bench.emulator.stateMachineArns.restoreInstance,
        restoreInput(sourceInstanceId(0)),
        `bench-overhead-${clockSpeed}`,
      );
      const execution = await bench.finish(arn);
      const wallMs = Date.now() - began;
      const first = execution.history[0]?.timestamp?.getTime() ?? 0;
      const last = execution.history.at(-1)?.timestamp?.getTime() ?? first;
      const waitingWallMs = waitingMs(execution.history) / clockSpeed;
      const truth = groundTruthOf(bench.emulator, sourceInstanceId(0));
      runs.push({
        clockSpeed,
        status: execution.status,
        startupMs: bench.startupMs,
        wallMs,
        simulatedSeconds: (last - first) / 1000,
        waitingWallMs,
        overheadMs: wallMs - waitingWallMs,
        transitions: transitions(execution.history),
        rtoOverhead: truth ? rtoOverhead(execution.history, truth) : null,
      });
    } finally {
      await bench.stop();
    }
  }
  const judged = runs[0];
  const checks: TargetCheck[] = [
    {
      name: `RTO overhead, lone restore (x${judged?.clockSpeed ?? '—'})`,
      target: `≤ ${RTO_OVERHEAD_TARGET_SECONDS} s`,
      measured: judged?.rtoOverhead
        ? `${seconds(judged.rtoOverhead.overheadSeconds)}: ${Object.entries(judged.rtoOverhead.phases)
            .filter(([, value]) => value >= 0.05)
            .map(([phase, value]) => `${phase} ${seconds(value)}`)
            .join(', ')}`
        : '—',
      pass: judged?.rtoOverhead ? judged.rtoOverhead.overheadSeconds <= RTO_OVERHEAD_TARGET_SECONDS : null,
    },
  ];
  return {
    options,
    runs,
    checks,
    tables: [
      {
        title: `Emulator overhead: one full restore (test mode, ${options.jobMinutes}-min job) per clock speed`,
        columns: [
          'Clock',
          'Status',
          'Emulator start',
          'Wall',
          'Simulated',
          'Waiting (wall)',
          'Engine + emulator',
          'Transitions',
        ],
        rows: runs.map((r) => [
          `x${r.clockSpeed}`,
          r.status,
          seconds(r.startupMs / 1000, 2),
          seconds(r.wallMs / 1000, 2),
          `${(r.simulatedSeconds / 60).toFixed(1)} min`,
          seconds(r.waitingWallMs / 1000, 2),
          seconds(r.overheadMs / 1000, 2),
          int(r.transitions),
        ]),
        notes: [
          'Waiting = simulated time in Wait states ÷ clock speed. Engine + emulator = wall − waiting: ASL engine, in-process Lambdas, HTTP front door, SSH handshake.',
          'At high speeds each wall millisecond of that work is many simulated seconds, so the simulated timeline stretches (fewer or more loop iterations than at x60).',
        ],
      },
      rtoOverheadTable(
        `Orchestration overhead of one restore alone (test mode, ${options.jobMinutes}-min job) per clock speed`,
        runs.map((r) => ({ label: `x${r.clockSpeed}`, overhead: r.rtoOverhead })),
        [
          "One restore alone on its emulator. The emulator's own wall time counts in it multiplied by the clock speed (at x60, 1 ms = 0.06 s; at x6000, 6 s), so the lowest speed comes closest to the workflow's own overhead; the mark judges it.",
        ],
      ),
    ],
  };
}
