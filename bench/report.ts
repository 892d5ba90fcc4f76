/**
 * The benchmark's output: one table per section (the target next to each measured value, with a
 * pass/miss mark), rendered as aligned text for the terminal and as Markdown for
 * bench/results/latest.md and the README.
 */

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** What the figures mean and how they were obtained; printed under the table. */
  readonly notes?: readonly string[];
}

/** One target of issue 8, judged. `pass` null: not measured in this run. */
export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean | null;
}

export function mark(pass: boolean | null): string {
  if (pass === null) return '—';
  return pass ? '✓ pass' : '✗ MISS';
}

export function seconds(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : `${value.toFixed(digits)} s`;
}

export function usd(value: number): string {
  return `$${value.toFixed(6)}`;
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export function int(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : String(Math.round(value));
}

export function renderText(table: Table): string {
  const widths = table.columns.map((c, i) => Math.max(width(c), ...table.rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => pad(cell, widths[i] ?? 0, i > 0 && isNumeric(cell))).join('  ');
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const notes = (table.notes ?? []).map((n) => `  · ${n}`);
  return [`▸ ${table.title}`, line(table.columns), rule, ...table.rows.map(line), ...notes].join('\n');
}

export function renderMarkdown(table: Table): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  const notes = (table.notes ?? []).map((n) => `- ${n}`);
  return [
    `### ${table.title}`,
    '',
    `| ${table.columns.map(escapeCell).join(' | ')} |`,
    `|${table.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...table.rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

export function targetsTable(checks: readonly TargetCheck[]): Table {
  return {
    title: 'Targets (issue 8)',
    columns: ['Target', 'Goal', 'Measured', 'Mark'],
    rows: checks.map((c) => [c.name, c.target, c.measured, mark(c.pass)]),
  };
}

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return right ? fill + text : text + fill;
}

function isNumeric(cell: string): boolean {
  return /^[~≤<>$]?[-+]?[\d.,]+(\s?(s|ms|%|KiB|MiB|x|×|\/s))?$/.test(cell.trim());
}
