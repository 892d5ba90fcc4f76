/**
 * Where the CLI writes and what it reads from its surroundings. Commands never touch `process`
 * directly, so tests run them in-process with captured streams, a chosen environment and a
 * pretend terminal.
 */

export interface OutputStream {
  write(text: string): unknown;
  /** True for a terminal: progress then redraws one status line instead of appending lines. */
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Io {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `onInterrupt` on Ctrl-C until the returned function is called. */
  onInterrupt(onInterrupt: () => void): () => void;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
