import { InvalidInputError } from '@shared/errors';
import { parseRestoreRequest, type RestoreRequest } from '@shared/restore-request';
import type { WorkflowState } from '@shared/workflow-state';
import { applyGuardrails, type Guardrails, NO_GUARDRAILS } from './guardrails';

/**
 * Execution names that carry a mode. The API starts `api-test-…` and `api-recovery-…` executions
 * and reads each kind only on its own path, so that a caller allowed only the test paths can read
 * only test executions; that holds only if no other caller (CLI, fleet, schedule) runs a recovery
 * under an `api-test-` name, which is refused here. Plain `test-` is not reserved: the CLI and
 * the test suites use it in either mode.
 */
export const MODE_NAME_PREFIXES = { test: 'api-test-', recovery: 'api-recovery-' } as const;

/**
 * Step 1: schema-check and normalise the request, then apply the deployment's guardrails. Makes
 * no AWS call, so bad input costs nothing.
 */
export function validateInput(
  state: Pick<WorkflowState, 'input' | 'execution'>,
  guardrails: Guardrails = NO_GUARDRAILS,
): RestoreRequest {
  const request = parseRestoreRequest(state.input);
  checkNameCarriesMode(state.execution.name, request.mode);
  return applyGuardrails(request, guardrails);
}

function checkNameCarriesMode(name: string, mode: RestoreRequest['mode']): void {
  for (const [prefixMode, prefix] of Object.entries(MODE_NAME_PREFIXES)) {
    if (name.startsWith(prefix) && mode !== prefixMode) {
      throw new InvalidInputError(
        `Invalid restore request: mode: the execution name "${name}" starts with "${prefix}", which only ${prefixMode}-mode restores may use (got mode "${mode}"); name it otherwise or set mode "${prefixMode}".`,
        ['mode'],
      );
    }
  }
}
