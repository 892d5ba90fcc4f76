/**
 * What the janitor needs to know about a restore-instance execution, read from Step Functions
 * itself (the source of truth: events are best effort, docs/aws-facts.md I.5): its status and
 * when it stopped, its mode, and the restore job it started. A restore job carries nothing that
 * names its execution (its idempotency token is a one-way hash and is not returned, restore
 * metadata cannot carry tags, aws-facts A.6-A.8), so a job is traced back to its execution
 * through the executions' histories: the StartRestoreJob step stores the job id in the state.
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
}

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
  };
}

/**
 * The restore-instance execution that started restore job `jobId`, searched among the executions
 * that were running when the job was created (`createdAt`). Null when none of them did: the job
 * is not this product's (a console restore, another tool), and must not be touched.
 */
export async function findExecutionOfRestoreJob(
  sfn: SFNClient,
  stateMachineArn: string,
  jobId: string,
  createdAt: Date,
): Promise<ExecutionFacts | null> {
  const earliestStart = createdAt.getTime() - MAX_EXECUTION_HOURS * 3_600_000;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 100 }));
    for (const item of page.executions ?? []) {
      const started = item.startDate?.getTime() ?? 0;
      // Newest first: everything further down started too early to have started this job.
      if (started < earliestStart) return null;
      if (started > createdAt.getTime() + 60_000) continue;
      if (item.stopDate && item.stopDate.getTime() < createdAt.getTime() - 60_000) continue;
      if (!item.executionArn) continue;
      const state = await readState(sfn, item.executionArn);
      if (state.restoreJobIds.has(jobId)) {
        return describeExecutionFacts(sfn, item.executionArn);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return null;
}

interface StateReading {
  readonly mode: ExecutionMode | undefined;
  readonly restoreJob: ExecutionFacts['restoreJob'];
  /** Every restore job the execution started (a fallback to another recovery point starts another). */
  readonly restoreJobIds: ReadonlySet<string>;
}

/** The last state the execution's history shows: mode and restore job. */
async function readState(sfn: SFNClient, executionArn: string): Promise<StateReading> {
  let mode: ExecutionMode | undefined;
  let restoreJob: ExecutionFacts['restoreJob'];
  const restoreJobIds = new Set<string>();
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
      const state = stateOf(event);
      if (!state) continue;
      const request = state.request as { mode?: unknown } | undefined;
      if (request?.mode === 'test' || request?.mode === 'recovery') mode = request.mode;
      const job = state.restoreJob as { id?: unknown; createdInstanceId?: unknown } | undefined;
      if (job && typeof job.id === 'string') {
        restoreJobIds.add(job.id);
        restoreJob = {
          id: job.id,
          createdInstanceId: typeof job.createdInstanceId === 'string' ? job.createdInstanceId : null,
        };
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return { mode, restoreJob, restoreJobIds };
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
