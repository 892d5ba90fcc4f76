/**
 * `ec2-restore start`: builds the restore-instance input from flags, validates it with the
 * workflow's own schema (a bad flag is named and exits 2 before anything starts), starts the
 * execution under a readable name, and with `--wait` follows it to the end.
 */
import { parseRestoreRequest, type RestoreRequest } from '@shared/restore-request';
import type { CliContext } from '../context';
import { watchExecution } from '../follow';
import { executionStamp, executionVerb, launch } from '../launch';
import { buildRestoreInput, requireRestoreTarget, type StartFlags, validateFlags } from '../restore-flags';

export async function runStart(flags: StartFlags, ctx: CliContext): Promise<number> {
  requireRestoreTarget(flags);
  const input = buildRestoreInput(flags);
  const request = validateFlags(parseRestoreRequest, input, 'start');
  const name = flags.name ?? defaultExecutionName(request, new Date());
  return launch(
    ctx,
    'restoreInstance',
    input,
    { ...flags, name, explicitName: flags.name !== undefined },
    watchExecution,
  );
}

/** `restore-i-0123…-20261120T101500Z`: what, which instance, when; `test-…` and `plan-…` for rehearsals and dry runs. */
export function defaultExecutionName(request: RestoreRequest, now: Date): string {
  const target =
    request.instanceId ??
    request.resourceArn?.split('/').pop() ??
    request.recoveryPointArn?.split('/').pop() ??
    'instance';
  return `${executionVerb(request)}-${target}-${executionStamp(now)}`;
}
