/**
 * Follows an execution through its history (GetExecutionHistory, polled) and turns events into
 * progress lines a person can read: each step as it starts and ends, with the simulated or real
 * time of the event, the restore job's percent done, and retries with their reasons.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { States } from '@shared/state-names';
import type { WorkflowState } from '@shared/workflow-state';
import { duration, utc } from './format';
import { parseJson } from './json';

export interface ProgressLine {
  readonly at: Date;
  readonly state: string;
  readonly text: string;
  /** enter: a step started; step: it ended (or reported while it waits); retry: it runs again after an error. */
  readonly kind: 'enter' | 'step' | 'retry' | 'failure' | 'end';
  /** A polling step (restore job, boot, profile, SSH) that has not finished yet. */
  readonly waiting?: boolean;
  /** The restore job's percent done, on PollRestoreJob lines. */
  readonly percentDone?: number | null;
}

export interface FollowOptions {
  /** Real milliseconds between history reads. */
  readonly pollMs?: number;
  /** Stops following (not the execution) as soon as it is aborted. */
  readonly signal?: AbortSignal;
  /** Called after each history read that found nothing new, e.g. to animate a status line. */
  readonly onIdle?: () => void;
}

/** Yields progress lines until the execution ends or `signal` aborts. */
export function followExecution(
  sfn: SFNClient,
  executionArn: string,
  options: FollowOptions = {},
): AsyncGenerator<ProgressLine> {
  const tracker = new HistoryTracker();
  return followHistory(sfn, executionArn, (event) => tracker.consume(event), options);
}

/**
 * Yields what `consume` makes of each new history event, until the execution ends or `signal`
 * aborts. `alongside`, when given, is read after each history read, and once more before the
 * execution's end is yielded: what happens outside the history (a Distributed Map's children).
 */
export async function* followHistory<T>(
  sfn: SFNClient,
  executionArn: string,
  consume: (event: HistoryEvent) => readonly T[],
  options: FollowOptions & { readonly alongside?: () => Promise<readonly T[]> } = {},
): AsyncGenerator<T> {
  let lastId = 0;
  while (!options.signal?.aborted) {
    const events = await readHistorySince(sfn, executionArn, lastId);
    const end = events.find(isTerminal);
    for (const event of events) {
      if (event === end) break;
      lastId = event.id ?? lastId;
      yield* consume(event);
    }
    const outside = (await options.alongside?.()) ?? [];
    yield* outside;
    if (end) {
      yield* consume(end);
      return;
    }
    if (events.length === 0 && outside.length === 0) options.onIdle?.();
    await sleep(options.pollMs ?? 2000, options.signal);
  }
}

/**
 * Turns history events, in order, into progress lines. Keeps what one event alone does not say:
 * which step is running, and whether its last attempt failed (so the next attempt is a retry).
 */
export class HistoryTracker {
  private current = '';
  private attempt = 1;
  /** The last attempt's error: its name, and the name with the first line of its message. */
  private failedAttempt: { name: string; text: string } | null = null;

  consume(event: HistoryEvent): ProgressLine[] {
    const at = event.timestamp ?? new Date();
    switch (event.type) {
      case 'TaskStateEntered': {
        const name = event.stateEnteredEventDetails?.name ?? '';
        // A polling step is entered once per poll; only the first entry is news.
        const repeat = name === this.current;
        this.current = name;
        this.attempt = 1;
        this.failedAttempt = null;
        return repeat ? [] : [{ at, state: name, text: 'started', kind: 'enter' }];
      }
      case 'LambdaFunctionFailed':
      case 'LambdaFunctionTimedOut':
      case 'TaskFailed':
      case 'TaskTimedOut':
        this.failedAttempt = failureText(event);
        return [];
      case 'LambdaFunctionScheduled':
      case 'TaskScheduled': {
        if (this.failedAttempt === null) return [];
        const text = `retry ${this.attempt} after ${this.failedAttempt.text}`;
        this.attempt += 1;
        this.failedAttempt = null;
        return [{ at, state: this.current, text, kind: 'retry' }];
      }
      case 'TaskStateExited': {
        const name = event.stateExitedEventDetails?.name ?? '';
        if (this.failedAttempt !== null) {
          // The step's Catch took the error: the execution's end reports it with its cause, once.
          const text = `failed: ${this.failedAttempt.name}`;
          this.failedAttempt = null;
          return [{ at, state: name, text, kind: 'step' }];
        }
        const state = parseJson<WorkflowState>(event.stateExitedEventDetails?.output);
        const text = state ? describeStep(name, state) : '';
        if (text === null) return [];
        return [{ at, state: name, text, kind: 'step', ...stepProgress(name, state) }];
      }
      case 'ExecutionFailed':
      case 'ExecutionTimedOut':
      case 'ExecutionAborted': {
        return [{ at, state: this.current, text: executionEndText(event), kind: 'failure' }];
      }
      case 'ExecutionSucceeded':
        return [{ at, state: '', text: 'execution succeeded', kind: 'end' }];
      default:
        return [];
    }
  }
}

/** Every event of an execution, oldest first. */
export async function readHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * Events after `afterId`, oldest first. Reads newest first and stops at the first event already
 * seen, so each poll of a long restore costs one small page instead of the whole history. A poll
 * usually finds a few new events, and each event carries the workflow state (about 5 KiB), so the
 * page is small too: a page of 100 moved 200 KiB per poll, 5 MB over `npm start`'s demo.
 */
const FOLLOW_PAGE_SIZE = 10;

async function readHistorySince(
  sfn: SFNClient,
  executionArn: string,
  afterId: number,
): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: FOLLOW_PAGE_SIZE,
        nextToken,
      }),
    );
    for (const event of page.events ?? []) {
      if ((event.id ?? 0) <= afterId) return fresh.reverse();
      fresh.push(event);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return fresh.reverse();
}

/**
 * The error of an execution that failed, timed out or was aborted: its name only, since every
 * command that follows an execution prints the cause once, with the outcome, right after.
 */
export function executionEndText(event: HistoryEvent): string {
  const details =
    event.executionFailedEventDetails ??
    event.executionTimedOutEventDetails ??
    event.executionAbortedEventDetails;
  return details?.error ?? event.type ?? 'failed';
}

export function isTerminal(event: HistoryEvent): boolean {
  return ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'].includes(
    event.type ?? '',
  );
}

function failureText(event: HistoryEvent): { name: string; text: string } {
  const details =
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails;
  const cause = details?.cause ?? '';
  const message = parseJson<{ errorMessage?: string }>(cause)?.errorMessage ?? cause;
  const name = details?.error ?? 'error';
  return { name, text: `${name}: ${firstLine(message)}` };
}

/** Whether a polling step is still waiting, and the restore job's percent done. */
function stepProgress(name: string, s: WorkflowState | null): Pick<ProgressLine, 'waiting' | 'percentDone'> {
  switch (name) {
    case States.PollRestoreJob:
      return { waiting: s?.restoreJob?.done === false, percentDone: s?.restoreJob?.percentDone ?? null };
    case States.WaitForInstance:
      return { waiting: s?.instance?.ready === false };
    case States.ReattachInstanceProfile:
      return { waiting: s?.profile?.done === false };
    case States.CheckSsh:
      return { waiting: s?.ssh?.done === false };
    default:
      return {};
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One line about what a step just did, from its slice of the state; null hides the step. */
export function describeStep(name: string, s: WorkflowState): string | null {
  switch (name) {
    case States.ValidateInput:
      return s.request
        ? `mode ${s.request.mode}${s.request.dryRun ? ' (dry run)' : ''}, instance profile ${s.request.instanceProfile}, public IP ${s.request.publicIp}`
        : '';
    case States.SelectRecoveryPoint: {
      const p = s.selection?.recoveryPoint;
      return p
        ? `${p.arn.split('/').pop()} from ${utc(p.creationDate)} (${duration(p.ageSeconds)} old), vault ${p.backupVaultName}`
        : '';
    }
    case States.ResolveSource: {
      const src = s.source;
      if (!src) return '';
      const where =
        src.from === 'live-instance' ? 'live instance' : 'source gone: facts from the restore metadata';
      return `${where}; profile ${src.instanceProfileName ?? 'none'}; key ${src.keyName ?? 'none'}`;
    }
    case States.PlanRestore: {
      const p = s.plan;
      return p
        ? `subnet ${p.subnetId} (${p.subnetMapsPublicIp ? 'auto-assigns' : 'no auto-assign'} public IPv4), ${p.checks.length} pre-flight checks passed`
        : '';
    }
    case States.StartRestoreJob:
      return s.restoreJob ? `restore job ${s.restoreJob.id}` : '';
    case States.PollRestoreJob: {
      const j = s.restoreJob;
      if (!j) return '';
      if (j.done) return `restore job ${j.status}`;
      const pct = j.percentDone === null ? '' : ` ${j.percentDone.toFixed(0)}%`;
      return `restore job ${j.status}${pct}, next check in ${duration(j.nextWaitSeconds)}`;
    }
    case States.WaitForInstance:
      return s.instance
        ? s.instance.ready
          ? `${s.instance.instanceId} running, private ${s.instance.privateIp}`
          : `${s.instance.instanceId} ${s.instance.state}`
        : '';
    case States.TagResources:
      return s.tagging ? `tagged ${s.tagging.taggedResourceIds.join(', ')}` : '';
    case States.ReattachInstanceProfile: {
      const p = s.profile;
      if (!p) return '';
      return p.done
        ? `instance profile ${p.action}${p.instanceProfileArn ? ` (${p.instanceProfileArn.split('/').pop()})` : ''}`
        : 'waiting for the profile association';
    }
    case States.EnsurePublicAddress:
      return s.address
        ? `${s.address.action}${s.address.publicIp ? ` ${s.address.publicIp}` : ''}: ${s.address.reason}`
        : '';
    case States.CheckSsh: {
      const ssh = s.ssh;
      if (!ssh) return '';
      if (!ssh.enabled) return 'SSH check disabled';
      return ssh.reachable
        ? `${ssh.username}@${ssh.host}:${ssh.port} authenticated with the original key (attempt ${ssh.attempts}), host key ${ssh.hostKeyFingerprint}`
        : `attempt ${ssh.attempts} to ${ssh.host}: ${ssh.lastError ?? 'not yet'}, retrying`;
    }
    case States.CleanUp:
      return s.cleanup
        ? `terminated ${s.cleanup.terminatedInstanceIds.join(', ') || 'nothing'}, released ${s.cleanup.releasedAllocationIds.join(', ') || 'nothing'}`
        : '';
    case States.Report: {
      // Report ends the execution, so its state output is the contract output itself.
      const status = (s as { status?: unknown }).status;
      return typeof status === 'string' ? `status ${status}` : '';
    }
    case States.HandleFailure:
      return s.failure ? `${s.failure.error} in ${s.failure.failedStep}` : '';
    default:
      return '';
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
