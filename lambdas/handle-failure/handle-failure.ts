import type { BackupClient } from '@aws-sdk/client-backup';
import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { cleanUp } from '@lambdas/cleanup/cleanup';
import { claimInstance, ownershipOf } from '@lambdas/tag-resources/claim-instance';
import { findInstance } from '@shared/ec2';
import { awsErrorCode, CONTRACT_ERROR_NAMES, type ErrorName, ErrorNames, errorMessage } from '@shared/errors';
import type { Logger } from '@shared/logger';
import type { TaskStateName } from '@shared/state-names';
import { TagKeys, tagValue } from '@shared/tags';
import type { Clock } from '@shared/time';
import {
  type CleanupState,
  type FailureState,
  requireSlices,
  type WorkflowState,
} from '@shared/workflow-state';
import { reportValidationFailure } from './report-validation-failure';

export interface HandleFailureDeps {
  readonly ec2: EC2Client;
  /** Records a test-mode ValidationCheckError as FAILED on the restore job. @default not recorded */
  readonly backup?: BackupClient;
  readonly now: Clock;
  readonly logger: Logger;
}

/**
 * The contract error a failure in each Task state becomes when the error itself is not one of the
 * contract's (an SDK error, States.Timeout, a Lambda crash): the error of the phase that failed.
 * Keys are the state names of `restore-instance` (the compiler checks them against shared/state-names.ts).
 */
export const ERROR_BY_FAILED_STEP = {
  ValidateInput: ErrorNames.InvalidInput,
  SelectRecoveryPoint: ErrorNames.NoRecoveryPoint,
  ResolveSource: ErrorNames.Preflight,
  PlanRestore: ErrorNames.Preflight,
  StartRestoreJob: ErrorNames.RestoreJobFailed,
  PollRestoreJob: ErrorNames.RestoreJobFailed,
  WaitForInstance: ErrorNames.InstanceNotRunning,
  // Tagging is the last thing done to make the running instance usable and findable.
  TagResources: ErrorNames.InstanceNotRunning,
  ReattachInstanceProfile: ErrorNames.InstanceProfile,
  EnsurePublicAddress: ErrorNames.PublicAddress,
  CheckSsh: ErrorNames.SshUnreachable,
  CleanUp: ErrorNames.Cleanup,
  // Report runs after cleanup in test mode; the contract has no reporting error, and CleanupError
  // sends the reader to check for leftovers, the one thing that matters when the end is unknown.
  Report: ErrorNames.Cleanup,
} as const satisfies Record<Exclude<TaskStateName, 'HandleFailure'>, ErrorName>;

/** For a failed step this table does not know (a wiring bug): the same reading as for Report. */
const FALLBACK_ERROR: ErrorName = ErrorNames.Cleanup;

/** Steps that run before the restore job starts: a failure there has created nothing. */
const BEFORE_RESTORE_JOB = new Set<string>([
  'ValidateInput',
  'SelectRecoveryPoint',
  'ResolveSource',
  'PlanRestore',
]);

export const MAX_CAUSE_LENGTH = 2000;
const MAX_CLEANUP_NOTE_LENGTH = 900;

/**
 * The failure path's only Task. Names the contract error and writes a cause a person can act on,
 * then limits the damage: in test mode it removes what the execution created (cleanUp), in
 * recovery mode it keeps the instance and tags it with the failed step. Returns the failure for the
 * Fail state and throws only on bugs.
 *
 * When the test-mode cleanup fails too, the error stays the original one (the cause of the
 * failure), `cleanup` is null, and the cause ends with "; cleanup also failed: …" naming what
 * remains — a CleanupError would hide why the restore failed.
 */
export async function handleFailure(state: WorkflowState, deps: HandleFailureDeps): Promise<FailureState> {
  const { error: caught, failedStep } = requireSlices(state, 'error', 'failedStep');
  const { error, cause: failureCause } = describeFailure(caught.Error, caught.Cause, failedStep);
  deps.logger.info('handling failure', { failedStep, originalError: caught.Error, error });

  let cleanup: CleanupState | null = null;
  let note = '';
  const request = state.request;
  if (
    request?.mode === 'test' &&
    !request.dryRun &&
    (state.restoreJob || !BEFORE_RESTORE_JOB.has(failedStep))
  ) {
    try {
      cleanup = await cleanUp(state, deps);
      const removed = [...cleanup.terminatedInstanceIds, ...cleanup.releasedAllocationIds];
      if (removed.length > 0) note = `; test mode: removed ${removed.join(', ')}`;
    } catch (cleanupError) {
      deps.logger.error('cleanup after the failure failed', {
        errorName: cleanupError instanceof Error ? cleanupError.name : undefined,
        errorMessage: errorMessage(cleanupError),
      });
      note = `; cleanup also failed: ${errorMessage(cleanupError)}`;
    }
  } else if (request?.mode === 'recovery') {
    const instanceId = state.instance?.instanceId ?? state.restoreJob?.createdInstanceId;
    const executionArn = state.execution?.id;
    if (instanceId && executionArn)
      note = await tagFailedInstance(deps, instanceId, failedStep, executionArn);
    else if (instanceId) note = `; the restored instance ${instanceId} was kept`;
  }

  const reported = await reportValidationFailure(state, error, failureCause, deps);
  if (reported !== null) {
    note += reported ? '; reported FAILED to AWS Backup' : '; AWS Backup did not accept the FAILED result';
  }
  return {
    error,
    cause: joinWithin(failureCause, truncate(note, MAX_CLEANUP_NOTE_LENGTH)),
    failedStep,
    cleanup,
  };
}

/** The contract error name and a cause that says which step failed and why. */
export function describeFailure(
  errorName: string,
  rawCause: string | undefined,
  failedStep: string,
): { error: ErrorName; cause: string } {
  const { type, message } = extractCause(rawCause);
  const contractError = CONTRACT_ERROR_NAMES.find((name) => name === errorName);
  if (contractError) {
    return { error: contractError, cause: `${failedStep} failed: ${message || `${errorName} (no details)`}` };
  }
  const mapped = (ERROR_BY_FAILED_STEP as Readonly<Record<string, ErrorName>>)[failedStep] ?? FALLBACK_ERROR;
  const original = type && type !== errorName ? `${errorName} (${type})` : errorName;
  return {
    error: mapped,
    cause: `${failedStep} failed: ${original}: ${message || describeBareError(errorName)}`,
  };
}

/**
 * A Lambda failure's Cause is JSON `{"errorType","errorMessage","trace"|"stackTrace"}`: the
 * message is what a person needs, the trace is noise. Anything else passes through as it is.
 */
export function extractCause(rawCause: string | undefined): { type: string | null; message: string } {
  const text = (rawCause ?? '').trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (
        parsed !== null &&
        typeof parsed === 'object' &&
        'errorMessage' in parsed &&
        typeof parsed.errorMessage === 'string'
      ) {
        const type = 'errorType' in parsed && typeof parsed.errorType === 'string' ? parsed.errorType : null;
        return { type, message: parsed.errorMessage.trim() };
      }
    } catch {
      // Not JSON after all: the text is the cause.
    }
  }
  return { type: null, message: text };
}

function describeBareError(errorName: string): string {
  if (errorName === 'States.Timeout') return 'the step did not finish within its timeout';
  return 'no details were given';
}

/**
 * Recovery mode keeps the instance and marks it with the failed step. An instance this execution
 * has not tagged yet (the run failed before TagResources) is claimed as this execution's recovery
 * restore in the same write; one tagged as another execution's, or as a test restore, is left as
 * it is (the step policies allow this tag only on a recovery restore, claim-instance.ts).
 */
async function tagFailedInstance(
  deps: HandleFailureDeps,
  instanceId: string,
  failedStep: string,
  executionArn: string,
): Promise<string> {
  const kept = `; the restored instance ${instanceId} was kept`;
  try {
    const live = await findInstance(deps.ec2, instanceId);
    if (!live) return `; the restored instance ${instanceId} no longer exists`;
    const ownership = ownershipOf(live.Tags, executionArn);
    if (ownership.kind === 'unclaimed') {
      await claimInstance(deps.ec2, instanceId, ownership, { executionArn, mode: 'recovery', failedStep });
    } else if (ownership.kind === 'ours' && ownership.mode === 'recovery') {
      await deps.ec2.send(
        new CreateTagsCommand({
          Resources: [instanceId],
          Tags: [{ Key: TagKeys.FailedStep, Value: tagValue(failedStep) }],
        }),
      );
    } else {
      deps.logger.warn('the restored instance is not tagged as this recovery; not tagging it', {
        instanceId,
        ownership,
      });
      return kept;
    }
    return `${kept} and tagged ${TagKeys.FailedStep}=${failedStep}`;
  } catch (error) {
    // The tag is a courtesy for whoever inspects the instance; failing to write it changes nothing else.
    deps.logger.warn('could not tag the restored instance with the failed step', {
      instanceId,
      errorName: awsErrorCode(error),
      errorMessage: errorMessage(error),
    });
    return kept;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The note (cleanup outcome) always survives; the failure text gives way. */
function joinWithin(cause: string, note: string): string {
  // The note continues the cause's last sentence ("…launched with; the restored instance …").
  const body = note ? cause.replace(/\.$/, '') : cause;
  return `${truncate(body, MAX_CAUSE_LENGTH - note.length)}${note}`;
}
