/**
 * Test mode's verdict when a restored instance fails its validation (an ssh.commands check): AWS
 * Backup's restore job gets ValidationStatus FAILED with the cause, which names the command, as
 * the report step records SUCCESSFUL on success. Best effort, as there: Backup accepts a result
 * only for some jobs (docs/aws-facts.md A.9), and a refusal must not hide the failure itself.
 */
import { type BackupClient, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { awsErrorCode, type ErrorName, ErrorNames, errorMessage } from '@shared/errors';
import type { Logger } from '@shared/logger';
import type { WorkflowState } from '@shared/workflow-state';

const MAX_MESSAGE = 1000;

/** Whether FAILED was recorded; null when this failure is not a validation verdict to report. */
export async function reportValidationFailure(
  state: WorkflowState,
  error: ErrorName,
  cause: string,
  deps: { readonly backup?: BackupClient; readonly logger: Logger },
): Promise<boolean | null> {
  const restoreJobId = state.restoreJob?.id;
  if (state.request?.mode !== 'test' || error !== ErrorNames.ValidationCheck || !restoreJobId || !deps.backup)
    return null;
  try {
    await deps.backup.send(
      new PutRestoreValidationResultCommand({
        RestoreJobId: restoreJobId,
        ValidationStatus: 'FAILED',
        ValidationStatusMessage: cause.length <= MAX_MESSAGE ? cause : `${cause.slice(0, MAX_MESSAGE - 1)}…`,
      }),
    );
    return true;
  } catch (reportError) {
    deps.logger.warn('could not record the FAILED validation result on the restore job', {
      restoreJobId,
      errorName: awsErrorCode(reportError),
      errorMessage: errorMessage(reportError),
    });
    return false;
  }
}
