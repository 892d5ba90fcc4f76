/**
 * Shows a fleet's progress to a person, like progress-view.ts does for one restore. A pipe gets
 * one plain line per instance that starts or ends, each finished one with "n of N done, k failed
 * so far". A terminal gets the finished instances as lines plus one status line at the bottom,
 * redrawn in place: the fleet's progress bar, the counts, how many run, and the elapsed time.
 */
import type { FleetCounts, FleetLine } from './fleet-progress';
import { clockOffset } from './format';
import type { OutputStream } from './io';
import { type ProgressView, progressBar, StatusLine, type ViewOptions } from './progress-view';

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
  private readonly status: StatusLine;

  constructor(stream: OutputStream, options: ViewOptions) {
    this.status = new StatusLine(stream, options);
  }

  show(line: FleetLine): void {
    this.status.seen(line.at);
    this.counts = line.counts;
    if (line.kind !== 'started') {
      const mark = line.kind === 'failure' || line.member?.status === 'FAILED' ? '✗' : '✓';
      this.status.print(`${mark} [${this.status.when()}] ${lineText(line)}`);
    }
    if (line.kind === 'end' || line.kind === 'failure') this.counts = null;
    this.draw();
  }

  idle(): void {
    this.status.tick();
    this.draw();
  }

  close(): void {
    this.status.clear();
  }

  private draw(): void {
    const c = this.counts;
    if (!c?.total) return;
    this.status.draw(`${progressBar((100 * c.done) / c.total)} ${countsText(c)} · ${c.running} running`);
  }
}
