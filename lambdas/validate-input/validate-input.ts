import { parseRestoreRequest, type RestoreRequest } from '@shared/restore-request';
import type { WorkflowState } from '@shared/workflow-state';

/** Step 1: schema-check and normalise the request. Makes no AWS call, so bad input costs nothing. */
export function validateInput(state: Pick<WorkflowState, 'input'>): RestoreRequest {
  return parseRestoreRequest(state.input);
}
