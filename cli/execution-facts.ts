/**
 * What an execution's history says beyond DescribeExecution: the workflow state document as far
 * as it got (for the report's timeline) and, for a failed run, the step it failed in.
 */
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { States } from '@shared/state-names';
import type { CleanupState, FailureState, WorkflowState } from '@shared/workflow-state';
import { parseJson } from './json';
import type { StepSpan } from './timeline';

export interface FailureFacts {
  readonly error: string;
  readonly cause: string;
  /** The Task state the error came from, when the history shows it. */
  readonly failedStep: string | null;
  /** What the failure handler cleaned up (test mode), or null. */
  readonly cleanup: CleanupState | null;
}

const FAILED_STATUSES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

export function isFailedStatus(status: string | undefined): boolean {
  return FAILED_STATUSES.has(status ?? '');
}

/** The newest complete workflow state document in the history (each step's input carries all earlier slices). */
export function latestWorkflowState(history: readonly HistoryEvent[]): WorkflowState | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i];
    const text = event?.stateEnteredEventDetails?.input ?? event?.stateExitedEventDetails?.output;
    const state = parseObject(text);
    if (state && 'execution' in state) return state as unknown as WorkflowState;
  }
  return undefined;
}

/** The instance being restored: as the workflow resolved it, else as the request named it. */
export function sourceInstanceIdOf(
  execution: DescribeExecutionOutput,
  history: readonly HistoryEvent[],
): string | null {
  return (
    latestWorkflowState(history)?.selection?.sourceInstanceId ??
    parseJson<{ instanceId?: string }>(execution.input)?.instanceId ??
    null
  );
}

/** When each Task state was first entered and last exited. */
export function stepSpans(history: readonly HistoryEvent[]): Map<string, StepSpan> {
  const spans = new Map<string, StepSpan>();
  for (const event of history) {
    const at = event.timestamp;
    if (!at) continue;
    if (event.type === 'TaskStateEntered') {
      const name = event.stateEnteredEventDetails?.name ?? '';
      spans.set(name, { enteredAt: spans.get(name)?.enteredAt ?? at, exitedAt: null });
    } else if (event.type === 'TaskStateExited') {
      const name = event.stateExitedEventDetails?.name ?? '';
      const span = spans.get(name);
      if (span) spans.set(name, { ...span, exitedAt: at });
    }
  }
  return spans;
}

/** The step a person would look at next: the last Task state entered. */
export function currentStep(history: readonly HistoryEvent[]): string | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i];
    if (event?.type === 'TaskStateEntered') return event.stateEnteredEventDetails?.name ?? null;
  }
  return null;
}

export function failureFacts(
  execution: DescribeExecutionOutput,
  history: readonly HistoryEvent[],
): FailureFacts | null {
  if (!isFailedStatus(execution.status)) return null;
  const handled = handledFailure(history);
  return {
    error: execution.error ?? handled?.error ?? execution.status ?? 'FAILED',
    cause: execution.cause ?? handled?.cause ?? '',
    failedStep: handled?.failedStep ?? lastStepBefore(history, States.HandleFailure),
    cleanup: handled?.cleanup ?? null,
  };
}

/** What HandleFailure recorded: the contract error, its cause and the failed step. */
function handledFailure(history: readonly HistoryEvent[]): FailureState | undefined {
  const exited = history.findLast(
    (e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === States.HandleFailure,
  );
  const state = parseObject(exited?.stateExitedEventDetails?.output);
  return (state as WorkflowState | undefined)?.failure;
}

/** An execution stopped from outside (or one without a failure handler) failed in the step it was in. */
function lastStepBefore(history: readonly HistoryEvent[], excluded: string): string | null {
  const entered = history.findLast(
    (e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name !== excluded,
  );
  return entered?.stateEnteredEventDetails?.name ?? null;
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  const value = parseJson<unknown>(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
