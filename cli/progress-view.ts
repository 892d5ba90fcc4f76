/**
 * Shows progress lines to a person. A pipe or a log file gets one plain line per event (greppable,
 * no escape codes). A terminal gets the finished steps as lines plus one status line at the bottom,
 * redrawn in place: the running step, the restore job's progress bar, and the elapsed time.
 */
import { clockOffset } from './format';
import type { OutputStream } from './io';
import type { ProgressLine } from './progress';

export interface ProgressView {
  show(line: ProgressLine): void;
  /** Nothing new happened since the last read: keep the display alive. */
  idle(): void;
  /** Leaves no half-drawn status line behind. */
  close(): void;
}

export interface ViewOptions {
  /** Execution start, the zero of every `+hh:mm:ss`. */
  readonly startedAt: Date;
  /** Real clock, for the status line's running elapsed time. */
  readonly now?: () => number;
}

const STATE_WIDTH = 24;

export function createProgressView(stream: OutputStream, options: ViewOptions): ProgressView {
  return stream.isTTY ? new TerminalView(stream, options) : new PlainView(stream, options);
}

class PlainView implements ProgressView {
  constructor(
    private readonly stream: OutputStream,
    private readonly options: ViewOptions,
  ) {}

  show(line: ProgressLine): void {
    const when = clockOffset(this.options.startedAt.getTime(), line.at.getTime());
    const text =
      line.kind === 'failure'
        ? `FAILED ${line.text}`
        : line.kind === 'end'
          ? line.text
          : `${line.state.padEnd(STATE_WIDTH)} ${line.text}`;
    this.stream.write(`[${when}] ${text}\n`);
  }

  idle(): void {}

  close(): void {}
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Carriage return + erase line: the status line is redrawn in place. */
export const CLEAR_LINE = '\r\x1b[2K';
const BAR_WIDTH = 20;

/**
 * The one line at the bottom of a terminal, redrawn in place: a spinner, whatever the view says,
 * and the elapsed time. Between events the real clock stands in for the execution's (exact on
 * AWS; the emulator's runs faster).
 */
export class StatusLine {
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

  /** An event happened at `at`: the elapsed time goes on from there. */
  seen(at: Date): void {
    this.lastOffsetMs = Math.max(this.lastOffsetMs, at.getTime() - this.options.startedAt.getTime());
    this.lastSeenMs = this.now();
  }

  /** `+hh:mm:ss` of the newest event. */
  when(): string {
    return clockOffset(0, this.lastOffsetMs);
  }

  /** A line that stays, above the status line. */
  print(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
  }

  tick(): void {
    this.frame += 1;
  }

  /** Draws "spinner text · elapsed"; a line that wraps cannot be redrawn, so it is cut to the width. */
  draw(text: string): void {
    const elapsed = clockOffset(0, this.lastOffsetMs + Math.max(0, this.now() - this.lastSeenMs));
    const line = `${SPINNER[this.frame % SPINNER.length]} ${text} · elapsed ${elapsed}`;
    const width = (this.stream.columns || 100) - 1;
    this.stream.write(`${CLEAR_LINE}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }
}

class TerminalView implements ProgressView {
  private step = '';
  private detail = '';
  private percent: number | null = null;
  private readonly status: StatusLine;

  constructor(stream: OutputStream, options: ViewOptions) {
    this.status = new StatusLine(stream, options);
  }

  show(line: ProgressLine): void {
    this.status.seen(line.at);
    if (line.kind === 'enter') {
      this.step = line.state;
      this.detail = '';
      this.percent = null;
    } else if (line.kind === 'step' && line.waiting) {
      this.detail = line.text;
      this.percent = line.percentDone ?? null;
    } else {
      this.status.print(this.permanent(line));
      // A finished step leaves the status line empty until the next one starts; a retry keeps it.
      if (line.kind !== 'retry') this.step = '';
    }
    this.draw();
  }

  idle(): void {
    this.status.tick();
    this.draw();
  }

  close(): void {
    this.status.clear();
  }

  private permanent(line: ProgressLine): string {
    const when = this.status.when();
    switch (line.kind) {
      case 'retry':
        return `↻ [${when}] ${line.state.padEnd(STATE_WIDTH)} ${line.text}`;
      case 'failure':
        return `✗ [${when}] FAILED ${line.text}`;
      case 'end':
        return `✓ [${when}] ${line.text}`;
      default:
        return `✓ [${when}] ${line.state.padEnd(STATE_WIDTH)} ${line.text}`;
    }
  }

  private draw(): void {
    if (!this.step) return;
    const bar = this.percent === null ? '' : `${progressBar(this.percent)} `;
    this.status.draw(`${this.step} ${bar}${this.detail || 'running'}`);
  }
}

export function progressBar(percent: number): string {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${percent.toFixed(0)}%`;
}
