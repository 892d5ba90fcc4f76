/**
 * Waiting for an execution on the emulator to close, with a real-time deadline. An execution that
 * hangs (a Wait that never ends, a retry loop, a child that never returns) then fails the test with
 * where it hangs: its history, one line per event with the state entered and any error. Without a
 * deadline the same hang is a bare jest timeout that says nothing.
 */
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import type { Emulator } from '@local/emulator';
import { PollTimeoutError, pollUntil } from './poll-until';

export interface ClosedOptions {
  /** Real milliseconds to wait; default 45 000, half jest's 90 s test timeout. */
  readonly deadlineMs?: number;
}

/** DescribeExecution once the execution has left RUNNING. */
export async function executionClosed(
  emulator: Emulator,
  executionArn: string,
  { deadlineMs = 45_000 }: ClosedOptions = {},
): Promise<DescribeExecutionOutput> {
  try {
    // In-process reads: no request lines in the emulator's API log, and no polling cost worth a longer interval.
    return await pollUntil(() => emulator.sfn.describeExecution({ executionArn }), {
      describe: `execution ${executionArn} to close`,
      until: (described) => described.status !== 'RUNNING',
      deadlineMs,
      intervalMs: 10,
    });
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    const history = emulatorHistory(emulator, executionArn);
    const status = (error.last as DescribeExecutionOutput | undefined)?.status ?? 'UNKNOWN';
    throw new Error(
      `Execution ${executionArn} did not close within ${deadlineMs} ms (still ${status}). ` +
        `Its history, ${history.length} events:\n${formatHistory(history)}`,
    );
  }
}

/** Every event of an execution, read in process page by page. */
export function emulatorHistory(emulator: Emulator, executionArn: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = emulator.sfn.getExecutionHistory({ executionArn, nextToken });
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** One line per history event: its id, type, the state it entered or left, and any error with its cause. */
export function formatHistory(history: readonly HistoryEvent[]): string {
  return history
    .map((e) => {
      const detail =
        e.stateEnteredEventDetails?.name ??
        e.stateExitedEventDetails?.name ??
        e.taskFailedEventDetails?.error ??
        e.executionFailedEventDetails?.error ??
        e.lambdaFunctionFailedEventDetails?.error ??
        '';
      const cause =
        e.taskFailedEventDetails?.cause ??
        e.executionFailedEventDetails?.cause ??
        e.lambdaFunctionFailedEventDetails?.cause;
      return `${String(e.id).padStart(4)} ${e.type} ${detail}${cause ? `: ${cause.slice(0, 300)}` : ''}`;
    })
    .join('\n');
}
