/**
 * The fault matrix as text: one row per fault, one column per step, and in each cell where the
 * fault acts one mark per mode (test, recovery): `✓` the cell held every rule, `L` it leaked,
 * `U` its error was unnamed, `R` recovery mode terminated or left something untagged, `K` a private
 * key showed, `?` the fault was planned there but did not act, `!` the emulator failed; `·` where
 * the fault does not act. A pair shares the mark of the cell that ran it: in the covering set one
 * cell runs several pairs, so a leak shows on each of them. Then the counts.
 */
import type { MatrixCounts, Verdict } from './fault-matrix-assertions';
import { MODES, type Mode, type Plan } from './fault-matrix-cells';

export function formatMatrix(plan: Plan, stepOrder: readonly string[], verdicts: readonly Verdict[]): string {
  const marks = new Map<string, string>();
  for (const v of verdicts) {
    const mark =
      v.emulatorErrors.length > 0
        ? '!'
        : v.leaks.length > 0
          ? 'L'
          : v.unnamedError
            ? 'U'
            : v.recoveryProblems.length > 0
              ? 'R'
              : v.keyLeaks.length > 0
                ? 'K'
                : '✓';
    for (const pair of v.run.cell.covers) {
      const missed = v.misses.includes(pair);
      const previous = marks.get(pair);
      // A pair covered by several cells shows the worst.
      const next = missed ? '?' : mark;
      marks.set(pair, previous && previous !== '✓' ? previous : next);
    }
  }
  const steps = ['*', ...stepOrder];
  const faultIds = [...new Set(MODES.flatMap((m) => plan.faults[m].map((f) => f.id)))];
  const width = Math.max(...faultIds.map((f) => f.length));
  const short = (s: string) => (s === '*' ? 'all' : s.replace(/[a-z]/g, '').slice(0, 4) || s.slice(0, 4));
  const header = `${'fault'.padEnd(width)} ${steps.map((s) => short(s).padEnd(4)).join(' ')}`;
  const legend = steps.map((s) => `${short(s)}=${s === '*' ? 'whole execution' : s}`).join(', ');
  const rows = faultIds.map((id) => {
    const cells = steps.map((step) => {
      const m = MODES.map(
        (mode: Mode) => marks.get(`${id}@${step}#${mode}`) ?? (isPlanned(plan, id, step, mode) ? ' ' : '·'),
      );
      return m.join('').padEnd(4);
    });
    return `${id.padEnd(width)} ${cells.join(' ')}`;
  });
  return [header, ...rows, '', `columns: ${legend}; each entry: test mode, recovery mode`].join('\n');
}

function isPlanned(plan: Plan, id: string, step: string, mode: Mode): boolean {
  return plan.faults[mode].some((f) => f.id === id && f.step === step);
}

export function formatCounts(name: string, counts: MatrixCounts, wallSeconds: number): string {
  return (
    `${name}: ${counts.cells} cells covering ${counts.pairs} (fault, step, mode) pairs in ${wallSeconds.toFixed(1)} s wall; ` +
    `leaks ${counts.leaks}, unnamed errors ${counts.unnamedErrors}, recovery-mode problems ${counts.recoveryProblems}, ` +
    `private-key leaks ${counts.keyLeaks}, coverage misses ${counts.misses}, emulator errors ${counts.emulatorErrors}`
  );
}
