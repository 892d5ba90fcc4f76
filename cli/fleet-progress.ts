/**
 * Follows a restore-fleet execution through its own history: ResolveTargets says how many
 * instances there are, each Map iteration's RestoreInstance step says one started, and its Record*
 * step says how it ended. From those the tracker keeps one member per instance and the counts a
 * person reads ("3 of 8 done, 1 failed so far").
 *
 * A Distributed Map's iterations are not in the fleet's history on AWS (they are child workflows
 * of its Map Run), so once RestoreEachDistributed is entered the tracker learns each instance's
 * start and end from its restore-instance execution instead (`child`, fed by fleet-children.ts),
 * and ignores the iteration events the emulator, which runs that Map inline, does write.
 */
import type { DescribeExecutionOutput, ExecutionListItem, HistoryEvent } from '@aws-sdk/client-sfn';
import type { FleetOutput, FleetPlan } from '@shared/fleet-state';
import { FleetStates } from '@shared/state-names';
import { parseJson } from './json';
import { executionEndText } from './progress';

/** Only the inline Map's iteration states: the Distributed Map's carry a suffix. */
const RECORD_STATES = new Set<string>([
  FleetStates.RecordSuccess,
  FleetStates.RecordChildFailure,
  FleetStates.RecordFailure,
]);

export interface FleetMember {
  readonly instanceId: string;
  /** RUNNING until its result is recorded; then the child's output status, or FAILED. */
  readonly status: string;
  readonly error: string | null;
  readonly cause: string | null;
  /** The child restore-instance execution; null when none ran (no usable recovery point). */
  readonly executionArn: string | null;
}

export interface FleetCounts {
  /** Null until ResolveTargets has said how many instances the fleet has. */
  readonly total: number | null;
  readonly done: number;
  readonly failed: number;
  readonly running: number;
}

export interface FleetLine {
  readonly at: Date;
  /** planned: the targets are known; started/finished: one instance; note: news about the fleet; failure/end: it ended. */
  readonly kind: 'planned' | 'started' | 'finished' | 'note' | 'failure' | 'end';
  readonly text: string;
  readonly member?: FleetMember;
  /** The counts after this line. */
  readonly counts: FleetCounts;
}

export class FleetTracker {
  readonly members = new Map<string, FleetMember>();

  /** A tracker that has seen these events. */
  static of(history: readonly HistoryEvent[]): FleetTracker {
    const tracker = new FleetTracker();
    for (const event of history) tracker.consume(event);
    return tracker;
  }
  private total: number | null = null;
  /** Each target's child execution name → its instance id (ResolveTargets names them). */
  private readonly childNames = new Map<string, string>();
  /** The Distributed Map runs the fleet: progress comes from the child executions. */
  private distributed = false;

  counts(): FleetCounts {
    const members = [...this.members.values()];
    const done = members.filter((m) => m.status !== 'RUNNING').length;
    return {
      total: this.total,
      done,
      failed: members.filter((m) => m.status === 'FAILED').length,
      running: members.length - done,
    };
  }

  consume(event: HistoryEvent): FleetLine[] {
    const at = event.timestamp ?? new Date();
    const line = (kind: FleetLine['kind'], text: string, member?: FleetMember): FleetLine[] => [
      { at, kind, text, member, counts: this.counts() },
    ];
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    switch (event.type) {
      case 'TaskStateExited': {
        if (exited?.name !== FleetStates.ResolveTargets) return [];
        const plan = parseJson<{ plan?: FleetPlan }>(exited.output)?.plan;
        if (!plan) return [];
        for (const u of plan.unusable) {
          this.members.set(u.instanceId, { ...u, executionArn: null });
        }
        for (const t of plan.targets) this.childNames.set(t.executionName, t.instanceId);
        this.total = plan.targetCount + plan.unusable.length;
        const unusable =
          plan.unusable.length > 0 ? `, ${plan.unusable.length} without a usable recovery point` : '';
        const text =
          this.total === 0
            ? (plan.note ?? 'no instance to restore')
            : `${plan.targetCount} of ${this.total} instances to restore, ${plan.request.maxConcurrency} at a time${unusable}`;
        return line('planned', text);
      }
      case 'TaskStateEntered': {
        if (entered?.name !== FleetStates.RestoreInstance) return [];
        const target = parseJson<{ target?: { instanceId?: string } }>(entered.input)?.target;
        if (!target?.instanceId) return [];
        return this.update(at, 'started', { instanceId: target.instanceId, status: 'RUNNING' });
      }
      case 'PassStateExited': {
        if (!RECORD_STATES.has(exited?.name ?? '')) return [];
        const result = parseJson<Partial<FleetMember>>(exited?.output);
        if (!result?.instanceId) return [];
        return this.update(at, 'finished', { ...result, instanceId: result.instanceId });
      }
      case 'MapStateEntered':
        if (entered?.name !== FleetStates.RestoreEachDistributed) return [];
        this.distributed = true;
        return line(
          'note',
          `${this.total ?? 'the'} instances run in a Distributed Map: following each one's restore-instance execution`,
        );
      case 'ExecutionFailed':
      case 'ExecutionTimedOut':
      case 'ExecutionAborted':
        return line('failure', executionEndText(event));
      case 'ExecutionSucceeded': {
        // The fleet execution succeeds once every instance was tried, failed ones included.
        const c = this.counts();
        return line(
          'end',
          `fleet finished: ${restoredText({ total: c.total ?? c.done, succeeded: c.done - c.failed, failed: c.failed })}`,
        );
      }
      default:
        return [];
    }
  }

  /** The child executions not yet seen to end, by name; none unless the Distributed Map runs. */
  awaitedChildren(): Map<string, string> {
    if (!this.distributed) return new Map();
    return new Map(
      [...this.childNames].filter(([, id]) => (this.members.get(id)?.status ?? 'RUNNING') === 'RUNNING'),
    );
  }

  /**
   * One child execution of the Distributed Map as ListExecutions shows it (with the error of a
   * failed one, from DescribeExecution): "started" when first seen, "finished" once it ended.
   */
  child(c: ExecutionListItem, failure: { error?: string; cause?: string } = {}): FleetLine[] {
    const instanceId = this.childNames.get(c.name ?? '');
    if (instanceId === undefined) return [];
    const known = this.members.get(instanceId);
    if (known && known.status !== 'RUNNING') return [];
    const { executionArn } = c;
    const lines = known
      ? []
      : this.update(c.startDate, 'started', { instanceId, status: 'RUNNING', executionArn });
    if (c.status === 'RUNNING' || c.status === 'PENDING_REDRIVE') return lines;
    const failed = c.status !== 'SUCCEEDED';
    return lines.concat(
      this.update(c.stopDate, 'finished', {
        instanceId,
        executionArn,
        status: failed ? 'FAILED' : c.status,
        error: failed ? (failure.error ?? c.status) : null,
        cause: failure.cause ?? null,
      }),
    );
  }

  /** Records what is now known of one member, and says so in one line. */
  private update(
    at: Date | undefined,
    kind: 'started' | 'finished',
    fields: Partial<FleetMember> & { instanceId: string },
  ): FleetLine[] {
    const member: FleetMember = {
      instanceId: fields.instanceId,
      status: fields.status ?? 'UNKNOWN',
      error: fields.error ?? null,
      cause: fields.cause ?? null,
      executionArn: fields.executionArn ?? null,
    };
    this.members.set(member.instanceId, member);
    const text = kind === 'started' ? `${member.instanceId} started` : describeMember(member);
    return [{ at: at ?? new Date(), kind, text, member, counts: this.counts() }];
  }
}

/** "5 of 6 instances restored, 1 failed" (or "all 6 instances restored"). */
export function restoredText(c: { total: number; succeeded: number; failed: number }): string {
  if (c.total === 0) return 'nothing to restore';
  if (c.failed === 0 && c.succeeded === c.total) {
    return c.total === 1 ? '1 instance restored' : `all ${c.total} instances restored`;
  }
  return `${c.succeeded} of ${c.total} instance${c.total === 1 ? '' : 's'} restored, ${c.failed} failed`;
}

/** `i-0123… VALIDATED_AND_CLEANED_UP` or `i-0123… FAILED (RestoreJobFailedError)`. */
export function describeMember(m: FleetMember): string {
  return `${m.instanceId} ${m.status}${m.error ? ` (${m.error})` : ''}`;
}

/**
 * Every member of a fleet, sorted by instance id: the output's results once it succeeded (they
 * also cover a Distributed Map, whose iterations are not in the history), else what the tracker
 * has seen (the history, and a Distributed Map's child executions).
 */
export function fleetMembers(execution: DescribeExecutionOutput, tracker: FleetTracker): FleetMember[] {
  const output = execution.status === 'SUCCEEDED' ? parseJson<FleetOutput>(execution.output) : null;
  if (output) {
    return output.results.map((r) => ({
      instanceId: r.instanceId,
      status: r.status,
      error: 'error' in r ? r.error : null,
      cause: 'cause' in r ? r.cause : null,
      executionArn: r.executionArn ?? null,
    }));
  }
  return [...tracker.members.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

/**
 * Whether an execution is a restore-fleet one: it belongs to the configured fleet state machine,
 * or its input names targets the way only a fleet request does.
 */
export function isFleetExecution(
  execution: DescribeExecutionOutput,
  fleetStateMachineArn: string | undefined,
): boolean {
  if (fleetStateMachineArn && execution.stateMachineArn === fleetStateMachineArn) return true;
  const input = parseJson<Record<string, unknown>>(execution.input);
  return Array.isArray(input?.instanceIds) || (typeof input?.tag === 'object' && input?.tag !== null);
}
