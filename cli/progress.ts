/**
 * Follows an execution through its history (GetExecutionHistory, paginated, polled) and turns
 * events into progress lines a person can read: each step as it finishes, with the simulated or
 * real elapsed time, the restore job's percent done, and retries with their reasons.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowState } from '@shared/workflow-state';
import { States } from '@state-machines/restore-instance/state-names';
import { duration, utc } from './format';

export interface ProgressLine {
  readonly at: Date;
  readonly state: string;
  readonly text: string;
  readonly kind: 'step' | 'retry' | 'failure' | 'end';
}

/** Yields progress lines until the execution ends. `pollMs` is real time between history reads. */
export async function* followExecution(
  sfn: SFNClient,
  executionArn: string,
  options: { pollMs?: number; signal?: AbortSignal } = {},
): AsyncGenerator<ProgressLine> {
  let seen = 0;
  for (;;) {
    const events = await readHistory(sfn, executionArn);
    for (const event of events.slice(seen)) {
      const line = describeEvent(event);
      if (line) yield line;
      if (isTerminal(event)) return;
    }
    seen = events.length;
    if (options.signal?.aborted) return;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}

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

function isTerminal(event: HistoryEvent): boolean {
  return ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'].includes(
    event.type ?? '',
  );
}

function describeEvent(event: HistoryEvent): ProgressLine | null {
  const at = event.timestamp ?? new Date();
  switch (event.type) {
    case 'TaskStateExited': {
      const name = event.stateExitedEventDetails?.name ?? '';
      const output = parse<WorkflowState>(event.stateExitedEventDetails?.output);
      const text = output ? describeStep(name, output) : '';
      return text === null ? null : { at, state: name, text, kind: 'step' };
    }
    case 'LambdaFunctionFailed':
    case 'TaskFailed': {
      const details = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
      const message = parse<{ errorMessage?: string }>(details?.cause)?.errorMessage ?? details?.cause ?? '';
      return { at, state: '', text: `${details?.error ?? 'error'}: ${firstLine(message)}`, kind: 'retry' };
    }
    case 'ExecutionFailed':
    case 'ExecutionTimedOut':
    case 'ExecutionAborted': {
      const details =
        event.executionFailedEventDetails ??
        event.executionTimedOutEventDetails ??
        event.executionAbortedEventDetails;
      return {
        at,
        state: '',
        text: `${details?.error ?? event.type}: ${details?.cause ?? ''}`,
        kind: 'failure',
      };
    }
    case 'ExecutionSucceeded':
      return { at, state: '', text: 'execution succeeded', kind: 'end' };
    default:
      return null;
  }
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
    case States.Report:
      return s.output ? `status ${s.output.status}` : '';
    case States.HandleFailure:
      return s.failure ? `${s.failure.error} in ${s.failure.failedStep}` : '';
    default:
      return '';
  }
}

function parse<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
