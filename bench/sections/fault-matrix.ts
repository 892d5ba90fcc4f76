/**
 * The exhaustive fault matrix (issue 14, item 5): one cell per (fault, step, mode) pair, every
 * cell on its own emulator, a few at a time. Prints the matrix, the counts (cells, pairs, leaks,
 * unnamed errors, recovery-mode problems, private-key leaks, coverage misses) and the wall time,
 * next to the covering set `npm test` runs (test/workflow/fault-matrix.test.ts) and its size. The
 * cells, the runner and the rules are the test's (test/helpers/fault-matrix-*.ts).
 */
import { countVerdicts, describeFailures, judge } from '../../test/helpers/fault-matrix-assertions';
import { coveringCells, exhaustiveCells, plan } from '../../test/helpers/fault-matrix-cells';
import { discover } from '../../test/helpers/fault-matrix-discovery';
import { formatCounts, formatMatrix } from '../../test/helpers/fault-matrix-report';
import { runCells } from '../../test/helpers/fault-matrix-runner';
import { int, seconds, type Table, type TargetCheck } from '../report';

export interface FaultMatrixSectionOptions {
  /** Cells at once (each on its own emulator). */
  readonly concurrency: number;
}

export async function runFaultMatrixSection(options: FaultMatrixSectionOptions) {
  const began = Date.now();
  const { discovery } = await discover();
  const cells = exhaustiveCells(discovery);
  const covering = coveringCells(discovery);
  const verdicts = (await runCells(cells, { concurrency: options.concurrency, deadlineMs: 180_000 })).map(
    judge,
  );
  const wallSeconds = (Date.now() - began) / 1000;
  const counts = countVerdicts(verdicts);
  process.stdout.write(`\n${formatMatrix(plan(discovery), discovery.stepOrder.test, verdicts)}\n`);
  process.stdout.write(`${formatCounts('fault matrix (exhaustive)', counts, wallSeconds)}\n`);
  const failures = describeFailures(verdicts);
  for (const line of failures) process.stdout.write(`  ✗ ${line}\n`);
  const slowest = [...verdicts].sort((a, b) => b.run.wallMs - a.run.wallMs).slice(0, 3);
  const table: Table = {
    title: 'Fault matrix (exhaustive: one cell per fault × step × mode)',
    columns: [
      'Matrix',
      'Cells',
      'Pairs',
      'Leaks',
      'Unnamed errors',
      'Recovery problems',
      'Key leaks',
      'Misses',
      'Wall',
    ],
    rows: [
      [
        'exhaustive (npm run bench)',
        int(counts.cells),
        int(counts.pairs),
        int(counts.leaks),
        int(counts.unnamedErrors),
        int(counts.recoveryProblems),
        int(counts.keyLeaks),
        int(counts.misses),
        seconds(wallSeconds),
      ],
      [
        'covering set (npm test)',
        int(covering.length),
        int(plan(discovery).pairs.length),
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
      ],
    ],
    notes: [
      `${options.concurrency} cells at once, each on its own emulator; wall time includes the 6 discovery runs`,
      `slowest cells: ${slowest.map((v) => `${v.run.cell.id} ${(v.run.wallMs / 1000).toFixed(1)} s`).join(', ')}`,
      'leaks, unnamed errors, recovery-mode problems and key leaks count cells; each must be 0',
    ],
  };
  const checks: TargetCheck[] = [
    {
      name: 'Fault matrix: leaks and unnamed errors',
      target: '0 and 0',
      measured: `${counts.leaks} and ${counts.unnamedErrors} in ${counts.cells} cells`,
      pass: counts.leaks === 0 && counts.unnamedErrors === 0,
    },
  ];
  return { counts, coveringCells: covering.length, wallSeconds, failures, tables: [table], checks };
}
