/**
 * The fleet report: the restore report's page (same CSS, same time axis, self-contained) with
 * one bar per instance on the fleet's shared time axis, from its child execution's start to its
 * end, coloured by outcome (failed red, with the error name), and the counts a person reads first.
 */
import { consoleUrl, executionName } from './arns';
import { restoredText } from './fleet-progress';
import { duration } from './format';
import { CHART, esc, type PageFacts, page, timeAxis } from './report-html';
import { FAILED_COLOR } from './timeline';

export const FLEET_COLORS = { succeeded: '#2f855a', failed: FAILED_COLOR, running: '#a0aec0' } as const;
/** The error name beside a failed bar: darker than the bar, so the bar's colour is the bar alone. */
const ERROR_TEXT_COLOR = '#822727';

export interface FleetReportMember {
  readonly instanceId: string;
  readonly status: string;
  readonly error: string | null;
  readonly executionArn: string | null;
  readonly outcome: keyof typeof FLEET_COLORS;
  /** Seconds from the fleet's start to its child's start and end; 0 and 0 when no child ran. */
  readonly startSeconds: number;
  readonly endSeconds: number;
}

export interface FleetReportData extends PageFacts {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: Date;
  readonly stopDate: Date | null;
  readonly totalSeconds: number;
  /** Why the fleet itself failed (not one of its instances). */
  readonly error: string | null;
  readonly cause: string | null;
  readonly note: string | null;
  readonly members: readonly FleetReportMember[];
  readonly consoleUrl: string | null;
  readonly generatedAt: Date;
  readonly version: string;
}

export function renderFleetReportHtml(d: FleetReportData): string {
  const count = (outcome: FleetReportMember['outcome']) =>
    d.members.filter((m) => m.outcome === outcome).length;
  const failed = count('failed');
  const title = `Fleet restore ${d.name}: ${fleetHeadline(d, count('succeeded'), failed)}`;
  return page(
    title,
    d,
    `<section class="cards">
  <div class="card"><span>Instances</span><strong>${d.members.length}</strong></div>
  <div class="card status-ok"><span>Succeeded</span><strong>${count('succeeded')}</strong></div>
  <div class="card status-${failed > 0 ? 'failed' : 'ok'}"><span>Failed</span><strong>${failed}</strong></div>
  <div class="card"><span>Fleet time</span><strong>${esc(duration(d.totalSeconds))}</strong><small>${
    d.stopDate ? 'start to end' : 'so far'
  }</small></div>
</section>
${d.error ? `<section class="failure"><h2>Fleet failed</h2><p><code>${esc(d.error)}</code></p><pre>${esc(d.cause ?? '')}</pre></section>` : ''}
<section>
  <h2>Instances</h2>
  ${d.note && d.members.length === 0 ? `<p>${esc(d.note)}</p>` : fleetSvg(d)}
</section>
<section>
  <h2>Counts</h2>
  ${countsTable(d.members)}
</section>
<section>
  <h2>Results</h2>
  ${membersTable(d.members)}
</section>`,
    // Wide enough for a row of full child execution names on one line; narrower, a status wraps at "_".
    { wide: true },
  );
}

/**
 * What the title says of the fleet: how many were restored once it finished (its execution
 * SUCCEEDED even when instances failed, so that word would contradict the Failed card), how far
 * it is while it runs, and the execution's status only when the fleet itself failed.
 */
function fleetHeadline(d: FleetReportData, succeeded: number, failed: number): string {
  if (d.status === 'SUCCEEDED') {
    return d.members.length === 0
      ? 'nothing to restore'
      : restoredText({ total: d.members.length, succeeded, failed });
  }
  if (d.status === 'RUNNING') return `running, ${succeeded + failed} of ${d.members.length} done`;
  return d.status;
}

/** A status word that may wrap only after an underscore: VALIDATED_AND_CLEANED_UP, never VALIDA-TED. */
export function statusHtml(status: string): string {
  return `<span class="word">${status.split('_').map(esc).join('_<wbr>')}</span>`;
}

/** The child execution's name, with its ARN as the tooltip and its console page as the link. */
function childHtml(executionArn: string | null): string {
  if (!executionArn) return '—';
  const name = `<code title="${esc(executionArn)}">${esc(executionName(executionArn))}</code>`;
  const url = consoleUrl(executionArn);
  return url ? `<a href="${esc(url)}" title="${esc(executionArn)}">${name}</a>` : name;
}

function fleetSvg(d: FleetReportData): string {
  const chartX = CHART.labelWidth;
  const chartWidth = CHART.width - chartX - CHART.right;
  const total = Math.max(d.totalSeconds, 1);
  const x = (seconds: number) => Math.round(chartX + (Math.min(seconds, total) / total) * chartWidth);
  const axisBottom = CHART.top + Math.max(d.members.length, 1) * CHART.row;
  const height = axisBottom + 20;
  const bars = d.members.map((m, i) => {
    const y = CHART.top + i * CHART.row + (CHART.row - CHART.bar) / 2;
    const left = x(m.startSeconds);
    // An instance that never got a child (no recovery point) still gets a visible sliver.
    const width = Math.max(3, x(m.endSeconds) - left);
    const seconds = m.endSeconds - m.startSeconds;
    const tip = `${m.instanceId}: ${m.status}${m.error ? ` (${m.error})` : ''}, ${duration(seconds)}`;
    // The error name goes after the bar, or before it when the bar reaches the right edge.
    const after = left + width + 8 + 8 * (m.error?.length ?? 0) <= CHART.width;
    const error = m.error
      ? `<text class="error" x="${after ? left + width + 6 : left - 6}" y="${y + 13}" text-anchor="${after ? 'start' : 'end'}" style="fill: ${ERROR_TEXT_COLOR}; font-weight: 600">${esc(m.error)}</text>`
      : '';
    return (
      `<text class="label" x="10" y="${y + 13}">${esc(m.instanceId)}</text>` +
      `<text class="dur" x="${chartX - 12}" y="${y + 13}" text-anchor="end">${esc(duration(seconds))}</text>` +
      `<rect class="bar" data-instance="${esc(m.instanceId)}" x="${left}" y="${y}" width="${width}" height="${CHART.bar}" fill="${
        FLEET_COLORS[m.outcome]
      }" shape-rendering="crispEdges"><title>${esc(tip)}</title></rect>${error}`
    );
  });
  return `<svg class="timeline" role="img" aria-label="Fleet timeline: one bar per instance" width="${CHART.width}" height="${height}" viewBox="0 0 ${CHART.width} ${height}" xmlns="http://www.w3.org/2000/svg">
${timeAxis(x, total, CHART.top, axisBottom).join('\n')}
${bars.join('\n')}
</svg>`;
}

/** Outcomes first, then each status and each error name with how many instances have it. */
function countsTable(members: readonly FleetReportMember[]): string {
  const tally = (values: readonly string[]) =>
    [...values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>())].sort(([a], [b]) =>
      a.localeCompare(b),
    );
  const rows: [string, string][] = [
    ['instances', String(members.length)],
    ...(['succeeded', 'failed', 'running'] as const).map((o): [string, string] => [
      o,
      String(members.filter((m) => m.outcome === o).length),
    ]),
    ...tally(members.map((m) => m.status)).map(([s, n]): [string, string] => [`status ${s}`, String(n)]),
    ...tally(members.flatMap((m) => (m.error ? [m.error] : []))).map(([e, n]): [string, string] => [
      `error ${e}`,
      String(n),
    ]),
  ];
  // A th never wraps (the page's CSS), so its status words stay whole.
  return `<table class="counts">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function membersTable(members: readonly FleetReportMember[]): string {
  const rows = members.map(
    (m) =>
      `<tr><td><code>${esc(m.instanceId)}</code></td><td class="status">${statusHtml(m.status)}</td><td>${esc(m.error ?? '—')}</td><td>${esc(
        duration(m.endSeconds - m.startSeconds),
      )}</td><td class="child">${childHtml(m.executionArn)}</td></tr>`,
  );
  return `<table class="results"><tr><th>instance</th><th>status</th><th>error</th><th>time</th><th>child execution</th></tr>${rows.join('')}</table>`;
}
