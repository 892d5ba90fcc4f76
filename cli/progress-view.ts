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

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Carriage return + erase line: the status line is redrawn in place. */
export const CLEAR_LINE = '\r\x1b[2K';
const BAR_WIDTH = 20;

class TerminalView implements ProgressView {
  private step = '';
  private detail = '';
  private percent: number | null = null;
  /** Simulated (or real) offset of the newest event, and when, in real time, it arrived. */
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

  show(line: ProgressLine): void {
    this.lastOffsetMs = Math.max(this.lastOffsetMs, line.at.getTime() - this.options.startedAt.getTime());
    this.lastSeenMs = this.now();
    if (line.kind === 'enter') {
      this.step = line.state;
      this.detail = '';
      this.percent = null;
    } else if (line.kind === 'step' && line.waiting) {
      this.detail = line.text;
      this.percent = line.percentDone ?? null;
    } else {
      this.clear();
      this.stream.write(`${this.permanent(line)}\n`);
      // A finished step leaves the status line empty until the next one starts; a retry keeps it.
      if (line.kind !== 'retry') this.step = '';
    }
    this.draw();
  }

  idle(): void {
    this.frame += 1;
    this.draw();
  }

  close(): void {
    this.clear();
  }

  private permanent(line: ProgressLine): string {
    const when = clockOffset(0, this.lastOffsetMs);
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
    // Between events the real clock stands in for the execution's (exact on AWS; the emulator's runs faster).
    const elapsed = clockOffset(0, this.lastOffsetMs + Math.max(0, this.now() - this.lastSeenMs));
    const bar = this.percent === null ? '' : `${progressBar(this.percent)} `;
    const spinner = SPINNER[this.frame % SPINNER.length];
    const text = `${spinner} ${this.step} ${bar}${this.detail || 'running'} · elapsed ${elapsed}`;
    // A status line that wraps cannot be redrawn in place, so it is cut to the terminal's width.
    const width = (this.stream.columns || 100) - 1;
    this.stream.write(`${CLEAR_LINE}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }
}

export function progressBar(percent: number): string {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${percent.toFixed(0)}%`;
}
