/**
 * The fault matrix on the emulator (issue 14, items 4 and 5): every fault the scenario schema
 * offers, each API error and throttling at each call a step makes, StopExecution in every state and
 * an execution timeout, in both modes, packed into the fewest cells that still cover every
 * (fault, step, mode) pair (test/helpers/fault-matrix-cells.ts says how). `npm run bench` runs the
 * exhaustive matrix, one cell per pair.
 *
 * For every cell: test mode leaves 0 instances and 0 Elastic IPs once the janitor has run; recovery
 * mode terminates nothing and tags what it left with the failed step; the error is one of the
 * contract's; no private key anywhere; and each pair the cell was chosen for was seen acting.
 */
import {
  countVerdicts,
  describeFailures,
  judge,
  keyLeaks,
  type MatrixCounts,
  type Verdict,
} from '@test/helpers/fault-matrix-assertions';
import {
  type Cell,
  coveringCells,
  exhaustiveCells,
  MODES,
  type Mode,
  plan,
  taskAndWaitStates,
  uncoveredSchemaPaths,
} from '@test/helpers/fault-matrix-cells';
import { type DiscoveryRuns, discover } from '@test/helpers/fault-matrix-discovery';
import { formatCounts, formatMatrix } from '@test/helpers/fault-matrix-report';
import { runCells } from '@test/helpers/fault-matrix-runner';

const CONCURRENCY = Number(process.env.FAULT_MATRIX_CONCURRENCY ?? 4);

let discovered: DiscoveryRuns;
let cells: Cell[];
let verdicts: Verdict[];
let counts: MatrixCounts;

beforeAll(async () => {
  const began = Date.now();
  discovered = await discover();
  cells = coveringCells(discovered.discovery);
  const runs = await runCells(cells, { concurrency: CONCURRENCY, deadlineMs: 120_000 });
  verdicts = runs.map(judge);
  counts = countVerdicts(verdicts);
  const wall = (Date.now() - began) / 1000;
  process.stdout.write(
    `\n${formatMatrix(plan(discovered.discovery), discovered.discovery.stepOrder.test, verdicts)}\n` +
      `${formatCounts('fault matrix (covering set)', counts, wall)}; exhaustive matrix: ${exhaustiveCells(discovered.discovery).length} cells\n`,
  );
}, 900_000);

describe('fault matrix (covering set) on the emulator', () => {
  it('turns every field of the scenario schema’s faults into a fault of the matrix', () => {
    const faults = MODES.flatMap((m) => plan(discovered.discovery).faults[m]);
    expect(uncoveredSchemaPaths(faults)).toEqual([]);
  });

  it('covers every (fault, step, mode) pair with fewer cells than the exhaustive matrix', () => {
    const { pairs } = plan(discovered.discovery);
    const covered = new Set(cells.flatMap((c) => c.covers));
    expect(pairs.filter((p) => !covered.has(p))).toEqual([]);
    expect(cells.length).toBeLessThan(exhaustiveCells(discovered.discovery).length);
    // Every step that makes an API call gets each API error and throttling; every Task and Wait state a stop.
    for (const mode of MODES)
      for (const [step, calls] of discovered.discovery.callsByStep[mode]) {
        expect(covered).toContain(`throttle@${step}#${mode}`);
        for (const api of calls.keys()) expect(covered).toContain(`api-denied:${api}@${step}#${mode}`);
      }
  });

  it('stops an execution in every Task and Wait state it can be in (recovery mode never runs CleanUp)', () => {
    const covered = new Set(cells.flatMap((c) => c.covers));
    const notStopped = (mode: Mode) => taskAndWaitStates().filter((s) => !covered.has(`stop@${s}#${mode}`));
    expect(notStopped('test')).toEqual([]);
    expect(notStopped('recovery')).toEqual(['CleanUp']);
  });

  it('every cell exercised each pair it was chosen for', () => {
    expect(describeFailures(verdicts.filter((v) => v.misses.length > 0))).toEqual([]);
    expect(counts.misses).toBe(0);
  });

  it('test mode leaves 0 instances and 0 Elastic IPs of the execution once the janitor has run', () => {
    expect(describeFailures(verdicts.filter((v) => v.leaks.length > 0))).toEqual([]);
    expect(counts.leaks).toBe(0);
  });

  it("every execution's error is one of the contract's names, States.Timeout, or it was aborted", () => {
    expect(describeFailures(verdicts.filter((v) => v.unnamedError !== null))).toEqual([]);
    expect(counts.unnamedErrors).toBe(0);
  });

  it('recovery mode never terminates anything and tags what it left with the failed step', () => {
    expect(describeFailures(verdicts.filter((v) => v.recoveryProblems.length > 0))).toEqual([]);
  });

  it('no private key in any history event, Lambda log line or output', () => {
    expect(describeFailures(verdicts.filter((v) => v.keyLeaks.length > 0))).toEqual([]);
  });

  it('the emulator served every cell', () => {
    expect(describeFailures(verdicts.filter((v) => v.emulatorErrors.length > 0))).toEqual([]);
  });

  it('the key check finds the key where it is: a log line, its base64 body, the PEM base64-encoded', () => {
    const run = verdicts[0]?.run;
    if (!run) throw new Error('no cell ran');
    const pem = run.privateKeys[0] ?? '';
    const bodyLine = pem.split('\n').find((l) => l.length >= 40 && !l.startsWith('-----')) ?? '';
    expect(bodyLine).not.toBe('');
    expect(
      keyLeaks({ ...run, lambdaLogs: [...run.lambdaLogs, `{"message":"key","k":"${bodyLine}"}`] }),
    ).toEqual([`Lambda log line ${run.lambdaLogs.length + 1}`]);
    expect(keyLeaks({ ...run, output: JSON.stringify({ k: Buffer.from(pem).toString('base64') }) })).toEqual([
      'output',
    ]);
    expect(keyLeaks(run)).toEqual([]);
  });
});
