/**
 * Shows a fleet's progress to a person, like progress-view.ts does for one restore. A pipe gets
 * one plain line per instance that starts or ends, each finished one with "n of N done, k failed
 * so far". A terminal gets the finished instances as lines plus one status line at the bottom,
 * redrawn in place: the fleet's progress bar, the counts, how many run, and the elapsed time.
 */
import type { FleetCounts, FleetLine } from './fleet-progress';
import { clockOffset } from './format';
import type { OutputStream } from './io';
import { CLEAR_LINE, type ProgressView, progressBar, SPINNER, type ViewOptions } from './progress-view';

export type FleetProgressView = Omit<ProgressView, 'show'> & { show(line: FleetLine): void };

export function createFleetProgressView(stream: OutputStream, options: ViewOptions): FleetProgressView {
  return stream.isTTY ? new TerminalFleetView(stream, options) : new PlainFleetView(stream, options);
}

/** "3 of 8 done, 1 failed so far". */
export function countsText(c: FleetCounts): string {
  return `${c.done} of ${c.total ?? '?'} done, ${c.failed} failed so far`;
}

function lineText(line: FleetLine): string {
  switch (line.kind) {
    case 'finished':
      return `${countsText(line.counts)}: ${line.text}`;
    case 'failure':
      return `FAILED ${line.text}`;
    default:
      return line.text;
  }
}

class PlainFleetView implements FleetProgressView {
  constructor(
    private readonly stream: OutputStream,
    private readonly options: ViewOptions,
  ) {}

  show(line: FleetLine): void {
    const when = clockOffset(this.options.startedAt.getTime(), line.at.getTime());
    this.stream.write(`[${when}] ${lineText(line)}\n`);
  }

  idle(): void {}

  close(): void {}
}

class TerminalFleetView implements FleetProgressView {
  private counts: FleetCounts | null = null;
  /** Offset of the newest event from the start, and when, in real time, it arrived. */
  private lastOffsetMs = 0;
  private lastSeenMs: number;
  private frame = 0;
  private drawn = false;
  private readonly now: () => number;

  constructor(
    private readonly stream: OutputStream,
    private readonly options: ViewOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.lastSeenMs = this.now();
  }

  show(line: FleetLine): void {
    this.lastOffsetMs = Math.max(this.lastOffsetMs, line.at.getTime() - this.options.startedAt.getTime());
    this.lastSeenMs = this.now();
    this.counts = line.counts;
    if (line.kind !== 'started') {
      const mark = line.kind === 'failure' || line.member?.status === 'FAILED' ? '✗' : '✓';
      this.clear();
      this.stream.write(`${mark} [${clockOffset(0, this.lastOffsetMs)}] ${lineText(line)}\n`);
    }
    if (line.kind === 'end' || line.kind === 'failure') this.counts = null;
    this.draw();
  }

  idle(): void {
    this.frame += 1;
    this.draw();
  }

  close(): void {
    this.clear();
  }

  private draw(): void {
    const c = this.counts;
    if (!c?.total) return;
    // Between events the real clock stands in for the execution's (exact on AWS; the emulator's runs faster).
    const elapsed = clockOffset(0, this.lastOffsetMs + Math.max(0, this.now() - this.lastSeenMs));
    const spinner = SPINNER[this.frame % SPINNER.length];
    const text = `${spinner} ${progressBar((100 * c.done) / c.total)} ${countsText(c)} · ${c.running} running · elapsed ${elapsed}`;
    const width = (this.stream.columns || 100) - 1;
    this.stream.write(`${CLEAR_LINE}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }
}
