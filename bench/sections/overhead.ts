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
  /** `event`: simulated waits are skipped by jumps, not slept through at `clockSpeed`. */
  readonly clockMode: 'event' | 'fixed';
  readonly status: string;
  readonly startupMs: number;
  readonly wallMs: number;
  readonly simulatedSeconds: number;
  /** Simulated seconds in Wait states. */
  readonly waitingSeconds: number;
  /** Real ms those waits took: simulated ÷ speed on the fixed clock; null on the event clock (skipped). */
  readonly waitingWallMs: number | null;
  /** How many times the event clock jumped to the next due timer. */
  readonly jumps: number;
  /** Wall time that was not waiting: on the event clock all of it (work and the settle pause before each jump). */
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
      const clock = bench.emulator.clock;
      let jumps = 0;
      clock.onAdvance(() => {
        jumps += 1;
      });
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
      const waitingSimMs = waitingMs(execution.history);
      // Only the fixed clock sleeps through a Wait state (simulated ÷ speed of real time); the
      // event clock jumps over it once nothing is in flight, so there the wall time is all work
      // (dividing by the speed there gave negative engine times).
      const waitingWallMs = clock.mode === 'fixed' ? waitingSimMs / clockSpeed : null;
      const truth = groundTruthOf(bench.emulator, sourceInstanceId(0));
      runs.push({
        clockSpeed,
        clockMode: clock.mode,
        status: execution.status,
        startupMs: bench.startupMs,
        wallMs,
        simulatedSeconds: (last - first) / 1000,
        waitingSeconds: waitingSimMs / 1000,
        waitingWallMs,
        jumps,
        overheadMs: wallMs - (waitingWallMs ?? 0),
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
          'In Wait states',
          'Waiting (wall)',
          'Engine + emulator',
          'Transitions',
        ],
        rows: runs.map((r) => [
          `${r.clockMode} x${r.clockSpeed}`,
          r.status,
          seconds(r.startupMs / 1000, 2),
          seconds(r.wallMs / 1000, 2),
          `${(r.simulatedSeconds / 60).toFixed(1)} min`,
          `${(r.waitingSeconds / 60).toFixed(1)} min`,
          r.waitingWallMs === null ? `skipped (${r.jumps} jumps)` : seconds(r.waitingWallMs / 1000, 2),
          seconds(r.overheadMs / 1000, 2),
          int(r.transitions),
        ]),
        notes: [
          "In Wait states = simulated time. On the fixed clock it takes that ÷ the speed of wall time; the event clock (the emulator's default, used here) skips it: once nothing is in flight for a settle pause of a few ms it jumps to the next due timer.",
          'Engine + emulator = wall − real time spent waiting (on the event clock: the whole wall, settle pauses included): ASL engine, in-process Lambdas, HTTP front door, SSH handshake.',
          'On the event clock the speed applies only to what must pass at speed (engine Retry intervals); work in flight runs at x1. On the fixed clock each wall millisecond of work is many simulated seconds at high speeds, so the simulated timeline stretches.',
        ],
      },
      rtoOverheadTable(
        `Orchestration overhead of one restore alone (test mode, ${options.jobMinutes}-min job) per clock speed`,
        runs.map((r) => ({ label: `x${r.clockSpeed}`, overhead: r.rtoOverhead })),
        [
          "One restore alone on its emulator, on the event clock: work in flight runs at x1, so the emulator's own wall time counts once in the overhead; the speed paces only what must pass at speed (engine Retry intervals). On the fixed clock it would count multiplied by the speed (at x6000, 1 ms = 6 s). The mark judges the first speed.",
        ],
      ),
    ],
  };
}
