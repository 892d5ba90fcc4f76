/**
 * A Distributed Map fleet's progress, read from its restore-instance child executions: on AWS
 * the Map's iterations are child workflows of its Map Run, so none of their events reach the
 * fleet's own history. The children's names are known from ResolveTargets (FleetTracker), so each
 * poll lists the restore-instance executions started since the fleet began and keeps those names.
 *
 * ListExecutions has a low rate limit (shared by the account), so a poll costs at most
 * MAX_LIST_PAGES of them (one, unless more than 1,000 restores started since the fleet did), plus
 * DescribeExecution only for a child newly seen to fail, to name its error (at most
 * MAX_DESCRIBES a poll; beyond that a failure is shown by its status). No poll once every child
 * has been seen to end.
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { awsErrorCode, isTransientAwsError } from '@shared/errors';
import { FleetStates } from '@shared/state-names';
import { isStateMachineArn } from './arns';
import type { FleetLine, FleetTracker } from './fleet-progress';
import { parseJson } from './json';

const MAX_LIST_PAGES = 3;
const MAX_DESCRIBES = 10;

/** The few fields of the fleet's definition that name the state machine its children run. */
interface FleetDefinition {
  States?: Record<
    string,
    { ItemProcessor?: { States?: Record<string, { Parameters?: { StateMachineArn?: unknown } }> } }
  >;
}

export class FleetChildren {
  /** The restore-instance state machine: undefined until looked up, null when it cannot be read. */
  private restoreInstanceArn: string | null | undefined;

  constructor(
    private readonly sfn: SFNClient,
    private readonly tracker: FleetTracker,
    private readonly fleet: { readonly stateMachineArn?: string; readonly startDate?: Date },
    /** EC2_RESTORE_STATE_MACHINE_ARN, for when the fleet's definition cannot be read. */
    private readonly configuredArn: string | undefined,
  ) {}

  /** What the children did since the last poll, oldest first; nothing unless the Distributed Map runs. */
  async poll(): Promise<FleetLine[]> {
    const awaited = this.tracker.awaitedChildren();
    if (awaited.size === 0 || this.restoreInstanceArn === null) return [];
    this.restoreInstanceArn ??= await this.findRestoreInstance();
    if (this.restoreInstanceArn === null) {
      return this.giveUp(
        'the restore-instance state machine is not known (set EC2_RESTORE_STATE_MACHINE_ARN)',
      );
    }
    let listed: ExecutionListItem[];
    try {
      listed = await this.list(this.restoreInstanceArn, awaited);
    } catch (error) {
      if (isTransientAwsError(error)) return []; // throttled or a 5xx: the next poll tries again
      return this.giveUp(`ListExecutions failed: ${awsErrorCode(error) ?? (error as Error).name}`);
    }
    const lines: FleetLine[] = [];
    let describes = MAX_DESCRIBES;
    for (const child of listed.sort((a, b) => time(a) - time(b))) {
      const failed = !['RUNNING', 'PENDING_REDRIVE', 'SUCCEEDED'].includes(child.status ?? '');
      const failure =
        failed && describes-- > 0
          ? await this.sfn
              .send(new DescribeExecutionCommand({ executionArn: child.executionArn }))
              .catch(() => ({})) // then shown by its status alone
          : {};
      lines.push(...this.tracker.child(child, failure));
    }
    return lines;
  }

  /** The awaited children among the executions started since the fleet did (the newest come first). */
  private async list(stateMachineArn: string, awaited: ReadonlyMap<string, string>) {
    const since = this.fleet.startDate?.getTime() ?? 0;
    const found: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const out = await this.sfn.send(
        new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }),
      );
      for (const e of out.executions ?? []) {
        if ((e.startDate?.getTime() ?? since) < since) return found;
        if (awaited.has(e.name ?? '')) found.push(e);
      }
      nextToken = out.nextToken;
      if (!nextToken || found.length === awaited.size) break;
    }
    return found;
  }

  /** The state machine the fleet's Distributed Map starts, as its definition names it. */
  private async findRestoreInstance(): Promise<string | null> {
    const task = `${FleetStates.RestoreInstance}Distributed`;
    try {
      const { definition } = await this.sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: this.fleet.stateMachineArn }),
      );
      const map = parseJson<FleetDefinition>(definition)?.States?.[FleetStates.RestoreEachDistributed];
      const arn = map?.ItemProcessor?.States?.[task]?.Parameters?.StateMachineArn;
      if (typeof arn === 'string' && isStateMachineArn(arn)) return arn;
    } catch {
      // No states:DescribeStateMachine, say: the configured one is the next best answer.
    }
    return this.configuredArn && isStateMachineArn(this.configuredArn) ? this.configuredArn : null;
  }

  private giveUp(why: string): FleetLine[] {
    this.restoreInstanceArn = null;
    const text = `cannot follow the restores one by one (${why}); results come at the end`;
    return [{ at: new Date(), kind: 'note', text, counts: this.tracker.counts() }];
  }
}

function time(e: ExecutionListItem): number {
  return (e.stopDate ?? e.startDate)?.getTime() ?? 0;
}
