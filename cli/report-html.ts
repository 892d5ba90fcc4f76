/**
 * The restore report: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
 * fetched) that can be attached to a ticket or opened offline. It shows the timeline (phases as
 * bars on a time axis, RTO bracket, failure marker), RPO and RTO, the summary table and, for a
 * failed run, the error and what to do next.
 */
import type { RestoreOutput } from '@shared/workflow-state';
import type { FailureFacts } from './execution-facts';
import { clockOffset, duration, utc } from './format';
import { summaryRows } from './summary';
import { FAILED_COLOR, type Timeline } from './timeline';

export interface ReportData extends PageFacts {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: Date;
  readonly stopDate: Date | null;
  readonly sourceInstanceId: string | null;
  readonly timeline: Timeline;
  readonly output: RestoreOutput | null;
  readonly failure: FailureFacts | null;
  readonly nextSteps: readonly string[];
  readonly consoleUrl: string | null;
  readonly generatedAt: Date;
  readonly version: string;
}

/** What the header and footer of every report say about the execution. */
export interface PageFacts {
  readonly executionArn: string;
  readonly name: string;
  readonly startDate: Date;
  readonly stopDate: Date | null;
  readonly consoleUrl: string | null;
  readonly generatedAt: Date;
  readonly version: string;
}

/** The self-contained page around a report's sections: inline CSS, no script, nothing to fetch. */
export function page(
  title: string,
  d: PageFacts,
  sections: string,
  options: { wide?: boolean } = {},
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body${options.wide ? ' class="wide"' : ''}>
<header>
  <h1>${esc(title)}</h1>
  <p class="meta">Execution <code>${esc(d.name)}</code> · started ${esc(utc(d.startDate.toISOString()))}${
    d.stopDate ? ` · ended ${esc(utc(d.stopDate.toISOString()))}` : ' · still running'
  }${d.consoleUrl ? ` · <a href="${esc(d.consoleUrl)}">AWS console</a>` : ''}</p>
</header>
${sections}
<footer>ec2-restore ${esc(d.version)} · <code>${esc(d.executionArn)}</code><br>${esc(GENERATED_NOTE(d.generatedAt))}</footer>
</body>
</html>
`;
}

/**
 * The page's one time that is not the execution's: on the emulator the execution's clock is
 * simulated (it runs ahead), so the footer says which clock each time comes from.
 */
export const GENERATED_NOTE = (at: Date) =>
  `Generated ${utc(at.toISOString())} by this computer's clock; every other time on this page is the execution's own, from its history (simulated when it ran on the emulator).`;

/** The rules between a fleet's result rows: their own colour, so a screenshot can measure the rows. */
export const RESULTS_RULE_COLOR = '#e4e9f0';

export const CHART = { width: 960, labelWidth: 230, right: 30, top: 40, row: 32, bar: 18 } as const;

export function renderReportHtml(d: ReportData): string {
  const title = `Restore ${d.sourceInstanceId ?? d.name}: ${d.output?.status ?? d.status}`;
  const rto = d.output?.timings.totalSeconds ?? d.timeline.totalSeconds;
  const rpo = d.timeline.recoveryPoint;
  return page(
    title,
    d,
    `<section class="cards">
  <div class="card status-${d.failure ? 'failed' : 'ok'}"><span>Status</span><strong>${esc(d.output?.status ?? d.status)}</strong></div>
  <div class="card"><span>RPO: recovery point age</span><strong>${esc(rpo ? duration(rpo.ageSeconds) : '—')}</strong><small>${esc(
    rpo ? `created ${utc(rpo.creationDate)}` : 'no recovery point selected',
  )}</small></div>
  <div class="card"><span>${esc(totalLabel(d))}</span><strong>${esc(duration(rto))}</strong><small>from start to ${
    d.failure ? 'failure' : d.stopDate ? 'proven working' : 'now'
  }</small></div>
</section>
<section>
  <h2>Timeline</h2>
  ${timelineSvg(d.timeline, totalLabel(d))}
</section>
${d.failure ? failureSection(d.failure, d.nextSteps) : ''}
${d.output ? summarySection(d.output) : ''}`,
  );
}

/** Only a restore that got to the end has a recovery time (RTO); a failed one has a time to failure. */
export function totalLabel(d: Pick<ReportData, 'failure' | 'stopDate'>): string {
  if (d.failure) return 'Time to failure';
  return d.stopDate ? 'RTO: total restore time' : 'Elapsed so far';
}

function timelineSvg(t: Timeline, totalText: string): string {
  const chartX = CHART.labelWidth;
  const chartWidth = CHART.width - chartX - CHART.right;
  const total = Math.max(t.totalSeconds, 1);
  const x = (seconds: number) => Math.round(chartX + (seconds / total) * chartWidth);
  const rows = Math.max(t.phases.length, 1);
  const axisBottom = CHART.top + rows * CHART.row;
  const height = axisBottom + 80;
  const ticks = timeAxis(x, total, CHART.top, axisBottom);
  const bars = t.phases.map((p, i) => {
    const y = CHART.top + i * CHART.row + (CHART.row - CHART.bar) / 2;
    const left = x(p.startSeconds);
    // A phase of a second or two still gets a visible sliver.
    const width = Math.max(3, x(p.endSeconds) - left);
    const seconds = p.endSeconds - p.startSeconds;
    const tip = `${p.label}: ${duration(seconds)} (${clockOffset(0, p.startSeconds * 1000)} → ${clockOffset(0, p.endSeconds * 1000)})${p.failed ? ', failed' : ''}`;
    return (
      `<text class="label" x="10" y="${y + 13}">${esc(p.label)}</text>` +
      `<text class="dur" x="${chartX - 12}" y="${y + 13}" text-anchor="end">${esc(duration(seconds))}</text>` +
      `<rect class="bar" data-phase="${p.key}" x="${left}" y="${y}" width="${width}" height="${CHART.bar}" fill="${
        p.failed ? FAILED_COLOR : p.color
      }" shape-rendering="crispEdges"><title>${esc(tip)}</title></rect>`
    );
  });
  const failure =
    t.failedAtSeconds === null
      ? ''
      : `<line class="fail" x1="${x(t.failedAtSeconds)}" y1="${CHART.top - 6}" x2="${x(t.failedAtSeconds)}" y2="${axisBottom + 8}"/>` +
        `<text class="fail-label" x="${x(t.failedAtSeconds) - 4}" y="${axisBottom + 22}" text-anchor="end">failed${
          t.failedStep ? ` in ${esc(t.failedStep)}` : ''
        }</text>`;
  const bracketY = axisBottom + 40;
  const rpo = t.recoveryPoint
    ? `<text class="rpo" x="${chartX}" y="${bracketY + 24}">◀ the recovery point was taken ${esc(duration(t.recoveryPoint.ageSeconds))} before the start (RPO)</text>`
    : '';
  const empty =
    t.phases.length === 0
      ? `<text class="label" x="${chartX}" y="${CHART.top + 20}">No phase started.</text>`
      : '';
  return `<svg class="timeline" role="img" aria-label="Restore timeline" width="${CHART.width}" height="${height}" viewBox="0 0 ${CHART.width} ${height}" xmlns="http://www.w3.org/2000/svg">
${ticks.join('\n')}
${bars.join('\n')}${empty}
${failure}
<line class="rto" x1="${chartX}" y1="${bracketY}" x2="${x(total)}" y2="${bracketY}"/>
<line class="rto" x1="${chartX}" y1="${bracketY - 6}" x2="${chartX}" y2="${bracketY + 6}"/>
<line class="rto" x1="${x(total)}" y1="${bracketY - 6}" x2="${x(total)}" y2="${bracketY + 6}"/>
<text class="rto-label" x="${(chartX + x(total)) / 2}" y="${bracketY - 8}" text-anchor="middle">${esc(totalText.replace(/^RTO: .*/, 'RTO'))} ${esc(duration(t.totalSeconds))}</text>
${rpo}
</svg>`;
}

/** Gridlines with their `+hh:mm:ss` labels above, from `top` down to `bottom`. */
export function timeAxis(
  x: (seconds: number) => number,
  total: number,
  top: number,
  bottom: number,
): string[] {
  const step = tickStep(total);
  const ticks: string[] = [];
  for (let s = 0; s <= total + 0.001; s += step) {
    ticks.push(
      `<line class="grid" x1="${x(s)}" y1="${top - 6}" x2="${x(s)}" y2="${bottom}"/>` +
        `<text class="tick" x="${x(s)}" y="${top - 12}" text-anchor="middle">${clockOffset(0, s * 1000)}</text>`,
    );
  }
  return ticks;
}

/** About six gridlines whatever the length: a round number of seconds, minutes or hours. */
function tickStep(totalSeconds: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  return steps.find((s) => totalSeconds / s <= 8) ?? 86400;
}

function failureSection(f: FailureFacts, steps: readonly string[]): string {
  return `<section class="failure">
  <h2>Failure</h2>
  <table>
    <tr><th>error</th><td><code>${esc(f.error)}</code></td></tr>
    <tr><th>failed step</th><td>${esc(f.failedStep ?? '—')}</td></tr>
    <tr><th>cause</th><td><pre>${esc(f.cause)}</pre></td></tr>
  </table>
  <h3>What to do next</h3>
  <ul>${steps.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
</section>`;
}

function summarySection(o: RestoreOutput): string {
  const rows = summaryRows(o)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('\n    ');
  return `<section>
  <h2>Summary</h2>
  <table class="summary">
    ${rows}
  </table>
</section>`;
}

export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a202c; background: #fff; margin: 24px 32px; max-width: 1000px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; }
.meta, footer { color: #4a5568; } footer { margin-top: 32px; font-size: 12px; }
code, pre { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; } pre { white-space: pre-wrap; margin: 0; }
.cards { display: flex; gap: 16px; margin-top: 16px; }
.card { border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 16px; min-width: 200px; }
.card span { display: block; color: #4a5568; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card strong { display: block; font-size: 22px; } .card small { color: #4a5568; }
.status-ok strong { color: #276749; } .status-failed strong { color: ${FAILED_COLOR}; }
.timeline text { font: 12px system-ui, sans-serif; fill: #2d3748; }
.timeline .tick { fill: #718096; font-size: 11px; } .timeline .dur { fill: #4a5568; }
.timeline .grid { stroke: #edf2f7; stroke-width: 1; }
.timeline .rto { stroke: #2d3748; stroke-width: 1.5; } .timeline .rto-label { font-weight: 600; }
.timeline .rpo { fill: #4a5568; font-style: italic; }
.timeline .fail { stroke: ${FAILED_COLOR}; stroke-width: 2; stroke-dasharray: 4 3; } .timeline .fail-label { fill: ${FAILED_COLOR}; font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 10px; border-bottom: 1px solid #edf2f7; }
th { white-space: nowrap; color: #4a5568; font-weight: 600; width: 150px; }
.summary td { overflow-wrap: anywhere; }
.word { overflow-wrap: normal; word-break: normal; }
body.wide { max-width: 1240px; }
.results td { overflow-wrap: normal; white-space: nowrap; } .results td.status { white-space: normal; }
.results th { width: auto; } .results th, .results td { border-bottom-color: ${RESULTS_RULE_COLOR}; }
.failure { border-left: 4px solid ${FAILED_COLOR}; padding-left: 16px; }
`;
