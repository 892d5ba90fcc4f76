/**
 * What the janitor needs to know about a restore-instance execution, read from Step Functions
 * itself (the source of truth: events are best effort, docs/aws-facts.md I.5): its status and
 * when it stopped, its mode, and the restore job it started. A restore job carries nothing that
 * names its execution (its idempotency token is a one-way hash and is not returned, restore
 * metadata cannot carry tags, aws-facts A.6-A.8), so a job is traced back to its execution
 * through the executions' histories: the StartRestoreJob step stores the job id in the state.
 * An execution stopped while StartRestoreJob ran (after AWS Backup started the job, before the
 * Lambda returned) never stored the id: such a job is traced by what the state's input says it
 * asked for (recovery point, EC2, the restore role) and when it was created (while the execution
 * was in that state), and only when no other execution recorded the job or could have started it.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { awsErrorCode } from '@shared/errors';

export type ExecutionMode = 'test' | 'recovery';

export interface ExecutionFacts {
  readonly arn: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  /** Undefined while it runs. */
  readonly stopDate: Date | undefined;
  /**
   * The request's mode: what the validated request said (`request.mode` in the state), else the
   * input's `mode`; the contract's default is recovery, so an input without one is recovery.
   */
  readonly mode: ExecutionMode;
  /** The restore job the execution started, if it got that far. */
  readonly restoreJob: { readonly id: string; readonly createdInstanceId: string | null } | undefined;
  /**
   * The StartRestoreJob states it left without storing a job id: stopped (or failed) inside the
   * step, perhaps after the job was started. `until` is undefined while the execution is in it.
   */
  readonly unrecordedStarts: readonly RestoreStartWindow[];
}

/** An entry into StartRestoreJob: what it asked to restore and while when. */
export interface RestoreStartWindow {
  readonly recoveryPointArn: string;
  readonly from: Date;
  readonly until: Date | undefined;
}

/** What a restore job itself says, to match it against a StartRestoreJob that stored no id. */
export interface RestoreJobTraits {
  readonly recoveryPointArn?: string;
  readonly iamRoleArn?: string;
  readonly resourceType?: string;
  /** The role this product's jobs run with; a job with another role never matches by traits. */
  readonly expectedRoleArn?: string;
}

/** The state whose Lambda starts the restore job (state-machines/restore-instance). */
export const START_RESTORE_JOB_STATE = 'StartRestoreJob';

/** Clock skew allowed between Backup's CreationDate and Step Functions' event timestamps. */
const WINDOW_SLACK_MS = 5_000;

/** The longest a restore-instance execution can run (its TimeoutSeconds, 26 h, plus a margin). */
export const MAX_EXECUTION_HOURS = 27;

/** Null when Step Functions no longer knows the execution (expired after 90 days, or never existed). */
export async function describeExecutionFacts(
  sfn: SFNClient,
  executionArn: string,
): Promise<ExecutionFacts | null> {
  let described: DescribeExecutionCommandOutput;
  try {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionDoesNotExist') return null;
    throw error;
  }
  const history = await readState(sfn, executionArn);
  return {
    arn: executionArn,
    status: described.status ?? 'RUNNING',
    startDate: described.startDate ?? new Date(0),
    stopDate: described.stopDate,
    mode: history.mode ?? modeOfInput(described.input),
    restoreJob: history.restoreJob,
    unrecordedStarts: history.unrecordedStarts.map((w) => ({
      ...w,
      until: w.until ?? described.stopDate,
    })),
  };
}

/**
 * The execution that ended without success (failed, aborted, timed out) and started restore job
 * `jobId`, searched among the executions that were running when the job was created
 * (`createdAt`). Null when none did: the job is another tool's (a console restore), or its
 * execution is still running (it follows its own job to the end) or succeeded (it did); either
 * way the janitor must not touch it.
 *
 * An ended execution whose history stores the job id is the answer. Otherwise, with the job's
 * `traits`, an ended execution that was inside StartRestoreJob for the same recovery point when
 * the job was created and stored no job id there — but only if no other execution, of any status,
 * stored the id or could have started it too (one still inside the step will store its own).
 *
 * Only the ended executions are read first: reading every execution's history for every job that
 * completes made a fleet of n restores read about n²/2 histories (a 100-instance fleet's wall time
 * doubled, and on AWS that is GetExecutionHistory's rate limit). The rest are read only in the
 * rare case above, where they can veto a match by traits.
 */
export async function findExecutionOfRestoreJob(
  sfn: SFNClient,
  stateMachineArn: string,
  jobId: string,
  createdAt: Date,
  traits?: RestoreJobTraits,
): Promise<ExecutionFacts | null> {
  const search = { sfn, stateMachineArn, jobId, created: createdAt.getTime(), traits };
  const ended = await scanExecutions(search, ENDED_WITHOUT_SUCCESS);
  if (ended.owner) return describeExecutionFacts(sfn, ended.owner);
  if (ended.byTraits.length === 0) return null;
  const others = await scanExecutions(search, ['RUNNING', 'SUCCEEDED']);
  if (others.owner || ended.byTraits.length + others.byTraits.length !== 1) return null;
  const facts = await describeExecutionFacts(sfn, ended.byTraits[0] as string);
  // Still inside the step: its Lambda will store the id; it is not an orphan.
  return facts && facts.status !== 'RUNNING' ? facts : null;
}

const ENDED_WITHOUT_SUCCESS: readonly ExecutionStatus[] = ['FAILED', 'ABORTED', 'TIMED_OUT'];

interface ExecutionSearch {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly jobId: string;
  readonly created: number;
  readonly traits: RestoreJobTraits | undefined;
}

/**
 * Among the executions with one of `statuses` that could have started the job: the one whose
 * history stores its id, else those that match it by traits.
 */
async function scanExecutions(
  { sfn, stateMachineArn, jobId, created, traits }: ExecutionSearch,
  statuses: readonly ExecutionStatus[],
): Promise<{ owner?: string; byTraits: string[] }> {
  const earliestStart = created - MAX_EXECUTION_HOURS * 3_600_000;
  const byTraits: string[] = [];
  for (const statusFilter of statuses) {
    let nextToken: string | undefined;
    scan: do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter, nextToken, maxResults: 100 }),
      );
      for (const item of page.executions ?? []) {
        const started = item.startDate?.getTime() ?? 0;
        // Newest first: everything further down started too early to have started this job.
        if (started < earliestStart) break scan;
        if (started > created + 60_000) continue;
        if (item.stopDate && item.stopDate.getTime() < created - 60_000) continue;
        if (!item.executionArn) continue;
        const state = await readState(sfn, item.executionArn);
        if (state.restoreJobIds.has(jobId)) return { owner: item.executionArn, byTraits };
        const until = item.stopDate;
        if (
          traits &&
          matchesTraits(traits) &&
          state.unrecordedStarts.some((w) => windowHolds({ ...w, until: w.until ?? until }, traits, created))
        ) {
          byTraits.push(item.executionArn);
        }
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return { byTraits };
}

function matchesTraits(traits: RestoreJobTraits): boolean {
  if (traits.resourceType !== undefined && traits.resourceType !== 'EC2') return false;
  if (traits.expectedRoleArn !== undefined && traits.iamRoleArn !== traits.expectedRoleArn) return false;
  return traits.recoveryPointArn !== undefined;
}

function windowHolds(window: RestoreStartWindow, traits: RestoreJobTraits, created: number): boolean {
  if (window.recoveryPointArn !== traits.recoveryPointArn) return false;
  if (created < window.from.getTime() - WINDOW_SLACK_MS) return false;
  return window.until === undefined || created <= window.until.getTime() + WINDOW_SLACK_MS;
}

interface StateReading {
  readonly mode: ExecutionMode | undefined;
  readonly restoreJob: ExecutionFacts['restoreJob'];
  /** Every restore job the execution started (a fallback to another recovery point starts another). */
  readonly restoreJobIds: ReadonlySet<string>;
  /** StartRestoreJob entries that stored no job id (`until` undefined: no later event yet). */
  readonly unrecordedStarts: readonly RestoreStartWindow[];
}

/** The last state the execution's history shows: mode and restore job. */
async function readState(sfn: SFNClient, executionArn: string): Promise<StateReading> {
  let mode: ExecutionMode | undefined;
  let restoreJob: ExecutionFacts['restoreJob'];
  const restoreJobIds = new Set<string>();
  const unrecordedStarts: RestoreStartWindow[] = [];
  // The StartRestoreJob entry not yet left with a job id, and what it asked for.
  let open: { recoveryPointArn: string; from: Date; stored: boolean } | undefined;
  const close = (at: Date | undefined) => {
    if (open && !open.stored)
      unrecordedStarts.push({ recoveryPointArn: open.recoveryPointArn, from: open.from, until: at });
    open = undefined;
  };
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        nextToken,
        maxResults: 1000,
        includeExecutionData: true,
      }),
    );
    for (const event of page.events ?? []) {
      const type = event.type ?? '';
      // The step's window ends where the next state begins or the execution ends.
      if (type.endsWith('StateEntered') || /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(type)) {
        close(event.timestamp);
      }
      const entered = event.stateEnteredEventDetails;
      if (type === 'TaskStateEntered' && entered?.name === START_RESTORE_JOB_STATE) {
        const point = recoveryPointOf(entered.input);
        if (point && event.timestamp)
          open = { recoveryPointArn: point, from: event.timestamp, stored: false };
      }
      const state = stateOf(event);
      if (!state) continue;
      const request = state.request as { mode?: unknown } | undefined;
      if (request?.mode === 'test' || request?.mode === 'recovery') mode = request.mode;
      const job = state.restoreJob as { id?: unknown; createdInstanceId?: unknown } | undefined;
      if (job && typeof job.id === 'string') {
        if (open && event.stateExitedEventDetails?.name === START_RESTORE_JOB_STATE) open.stored = true;
        restoreJobIds.add(job.id);
        restoreJob = {
          id: job.id,
          createdInstanceId: typeof job.createdInstanceId === 'string' ? job.createdInstanceId : null,
        };
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  // Still open: the execution is in the step (or its end is not in the history yet).
  close(undefined);
  return { mode, restoreJob, restoreJobIds, unrecordedStarts };
}

/** `selection.recoveryPoint.arn` of the state StartRestoreJob was entered with. */
function recoveryPointOf(input: string | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const parsed = JSON.parse(input) as { selection?: { recoveryPoint?: { arn?: unknown } } } | null;
    const arn = parsed?.selection?.recoveryPoint?.arn;
    return typeof arn === 'string' ? arn : undefined;
  } catch {
    return undefined;
  }
}

/** The workflow state a state's exit carries (the whole document: every slice under its key). */
function stateOf(event: HistoryEvent): Record<string, unknown> | undefined {
  const output = event.stateExitedEventDetails?.output;
  if (!output) return undefined;
  try {
    const parsed = JSON.parse(output) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function modeOfInput(input: string | undefined | null): ExecutionMode {
  if (!input) return 'recovery';
  try {
    const parsed = JSON.parse(input) as { mode?: unknown } | null;
    return parsed?.mode === 'test' ? 'test' : 'recovery';
  } catch {
    return 'recovery';
  }
}
