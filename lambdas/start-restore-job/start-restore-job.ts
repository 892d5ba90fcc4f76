import { createHash } from 'node:crypto';
import { type BackupClient, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { awsErrorCode, errorMessage, isTransientAwsError, RestoreJobFailedError } from '@shared/errors';
import type { Logger } from '@shared/logger';
import { getRestoreMetadata, redactedValue, scrubRedacted } from '@shared/restore-metadata';
import { addSeconds, type Clock } from '@shared/time';
import {
  type RestoreJobState,
  requireSlices,
  type StateWith,
  type WorkflowState,
} from '@shared/workflow-state';

/**
 * How long to wait before the first DescribeRestoreJob. A job has no estimate yet when it starts,
 * and no EC2 restore finishes within a minute, so an earlier poll would only cost a transition.
 */
export const INITIAL_POLL_WAIT_SECONDS = 60;

export interface StartRestoreJobDeps {
  readonly backup: BackupClient;
  readonly now: Clock;
  /** The restore role AWS Backup launches the instance with (the one allowed to pass the instance role). */
  readonly restoreRoleArn: string;
  /** Seconds before the first poll; the adaptive wait takes over from there. */
  readonly initialWaitSeconds: number;
  readonly logger?: Logger;
}

/**
 * The StartRestoreJob idempotency token for one execution and one recovery point: a retried step,
 * or a redrive of the same execution, sends the same token and AWS Backup returns the job it
 * already started instead of starting a second restore. A fallback to another recovery point gets
 * another token on purpose. Formatted as an RFC 9562 UUIDv8 (custom, hash-based) so that it looks
 * like the UUID the SDK would otherwise generate.
 *
 * Tokens are honoured for about an hour (aws-facts A.7): a redrive later than that starts anew.
 */
export function restoreIdempotencyToken(executionArn: string, recoveryPointArn: string): string {
  const hex = createHash('sha256').update(`${executionArn}\n${recoveryPointArn}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

/**
 * Step 5: start the AWS Backup restore job with the planned metadata and the restore role. Creates
 * nothing twice: the token is derived from the execution and the recovery point, and when AWS
 * returns the job this state already tracks, that slice comes back unchanged (its polls, deadline
 * and progress intact).
 */
export async function startRestoreJob(
  state: WorkflowState,
  deps: StartRestoreJobDeps,
): Promise<RestoreJobState> {
  const checked = requireSlices(state, 'request', 'plan', 'selection', 'execution');
  const { request, selection, execution } = checked;
  const recoveryPointArn = selection.recoveryPoint.arn;
  const idempotencyToken = restoreIdempotencyToken(execution.id, recoveryPointArn);

  const metadata = await metadataToSend(checked, deps);
  const jobId = await start(checked, metadata, deps, idempotencyToken);

  const previous = state.restoreJob;
  if (previous?.id === jobId) {
    deps.logger?.info('restore job already started by an earlier attempt of this execution', {
      restoreJobId: jobId,
      status: previous.status,
    });
    return previous;
  }

  const now = deps.now();
  const deadline = addSeconds(now, request.restoreTimeoutMinutes * 60);
  deps.logger?.info('restore job started', {
    restoreJobId: jobId,
    recoveryPointArn,
    idempotencyToken,
    metadataKeys: Object.keys(metadata).sort(),
    redactedMetadata: checked.plan.redactedMetadata ?? {},
    deadline: deadline.toISOString(),
  });
  return {
    id: jobId,
    status: 'PENDING',
    statusMessage: null,
    percentDone: null,
    expectedCompletionTimeMinutes: null,
    createdInstanceId: null,
    startedAt: now.toISOString(),
    deadline: deadline.toISOString(),
    polls: 0,
    completedAt: null,
    done: false,
    nextWaitSeconds: Math.max(1, Math.min(deps.initialWaitSeconds, request.restoreTimeoutMinutes * 60)),
  };
}

/**
 * The plan's metadata plus the redacted fields it decided to send (user data), read here from the
 * recovery point itself so that their values never pass through the workflow state. Each must
 * still match the plan's digest: a recovery point does not change, so a mismatch means the plan
 * was not made from this point, and nothing is started.
 */
async function metadataToSend(
  state: StateWith<'plan' | 'selection'>,
  deps: StartRestoreJobDeps,
): Promise<Record<string, string>> {
  const metadata: Record<string, string> = { ...state.plan.metadata };
  const redacted = Object.entries(state.plan.redactedMetadata ?? {});
  if (redacted.length === 0) return metadata;

  const point = state.selection.recoveryPoint;
  const backedUp = await getRestoreMetadata(deps.backup, point);
  for (const [key, planned] of redacted) {
    const value = backedUp[key];
    const found = value === undefined ? null : redactedValue(value);
    if (!found || found.sha256 !== planned.sha256) {
      throw new RestoreJobFailedError(
        `The restore metadata of recovery point ${point.arn} (vault ${point.backupVaultName}) no longer matches ` +
          `the plan: ${key} was planned as ${planned.bytes} bytes, ${planned.sha256}, and is now ` +
          `${found ? `${found.bytes} bytes, ${found.sha256}` : 'absent'}. No restore job was started; rerun to plan ` +
          'the restore again.',
      );
    }
    metadata[key] = value as string;
  }
  return metadata;
}

async function start(
  state: StateWith<'request' | 'plan' | 'selection' | 'execution'>,
  metadata: Readonly<Record<string, string>>,
  deps: StartRestoreJobDeps,
  idempotencyToken: string,
): Promise<string> {
  const recoveryPoint = state.selection.recoveryPoint;
  let jobId: string | undefined;
  try {
    const result = await deps.backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: recoveryPoint.arn,
        Metadata: { ...metadata },
        IamRoleArn: deps.restoreRoleArn,
        ResourceType: 'EC2',
        IdempotencyToken: idempotencyToken,
        // CopySourceTagsToRestoredResource stays unset: it would copy the source's tags, its Name
        // among them, so the restored instance would be indistinguishable from the original in the
        // console and in tag-based automation (backup selections, schedulers, cleanup). The
        // tag-resources step writes the tags that mark it as this execution's restore instead.
      }),
    );
    jobId = result.RestoreJobId;
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    throw new RestoreJobFailedError(rejectionMessage(state, metadata, deps, error), { cause: error });
  }
  if (!jobId) {
    throw new RestoreJobFailedError(
      `StartRestoreJob for recovery point ${recoveryPoint.arn} returned no RestoreJobId, so there is no job to follow. ` +
        `Look for a restore job of this recovery point in the AWS Backup console (Jobs → Restore jobs) before rerunning.`,
    );
  }
  return jobId;
}

function rejectionMessage(
  state: StateWith<'selection'>,
  metadata: Readonly<Record<string, string>>,
  deps: StartRestoreJobDeps,
  error: unknown,
): string {
  const code = awsErrorCode(error) ?? 'error';
  const recoveryPoint = state.selection.recoveryPoint;
  const said = `AWS Backup rejected StartRestoreJob for recovery point ${recoveryPoint.arn} (vault ${recoveryPoint.backupVaultName}): ${code}: "${scrubRedacted(errorMessage(error), metadata)}".`;
  // Key names only: the values include user data (REDACTED_METADATA_FIELDS).
  const keys = Object.keys(metadata).sort().join(', ') || '(none)';
  switch (code) {
    case 'InvalidParameterValueException':
      return (
        `${said} No restore job was started. Check the restore metadata that was sent (keys: ${keys}): every value must be ` +
        'a string, structured values JSON text, and the keys among those AWS Backup accepts for EC2; check also that ' +
        `the restore role ${deps.restoreRoleArn} exists and that the recovery point is an EC2 one.`
      );
    case 'InvalidRequestException':
      return (
        `${said} No restore job was started. Check that the recovery point is COMPLETED and restorable (not expired, ` +
        'being deleted or archived), and that no earlier request used the same idempotency token with different parameters.'
      );
    case 'MissingParameterValueException':
      return `${said} No restore job was started. A required parameter is missing: check the restore role (RESTORE_ROLE_ARN) and the metadata keys (${keys}).`;
    case 'ResourceNotFoundException':
      return (
        `${said} No restore job was started. The recovery point or its vault no longer exists (expired by its lifecycle ` +
        'or deleted since it was selected); rerun to select another recovery point.'
      );
    case 'AccessDeniedException':
    case 'AccessDenied':
      return (
        `${said} No restore job was started. The workflow's role needs backup:StartRestoreJob and iam:PassRole on the ` +
        `restore role ${deps.restoreRoleArn} with iam:PassedToService = backup.amazonaws.com.`
      );
    default:
      return `${said} No restore job was started; fix what AWS Backup's message names, then rerun.`;
  }
}
