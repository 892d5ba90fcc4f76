/**
 * `ec2-restore start`: builds the restore-instance input from flags, validates it with the
 * workflow's own schema (a bad flag is named and exits 2 before anything starts), starts the
 * execution under a readable name, and with `--wait` follows it to the end.
 */
import { parseRestoreRequest, type RestoreRequest } from '@shared/restore-request';
import type { CliContext } from '../context';
import { ExitCodes } from '../exit-codes';
import { watchExecution } from '../follow';
import { executionStamp, executionVerb, launch } from '../launch';
import {
  announceApiStart,
  apiMode,
  emitApiResult,
  printApiStatus,
  readViaApi,
  startViaApi,
} from '../rest-api';
import { buildRestoreInput, requireRestoreTarget, type StartFlags, validateFlags } from '../restore-flags';

export async function runStart(flags: StartFlags, ctx: CliContext): Promise<number> {
  requireRestoreTarget(flags);
  const input = buildRestoreInput(flags);
  const request = validateFlags(parseRestoreRequest, input, 'start');
  if (flags.viaApi !== undefined) return startThroughApi(flags.viaApi, request, input, flags, ctx);
  const name = flags.name ?? defaultExecutionName(request, new Date());
  return launch(
    ctx,
    'restoreInstance',
    input,
    { ...flags, name, explicitName: flags.name !== undefined },
    watchExecution,
  );
}

/**
 * `start --via-api URL`: POST /restores/{mode}, named `api-<mode>-<--name>`, by default
 * `api-<mode>-<instance>-<time>`; with --wait the API is read until the execution ends.
 */
async function startThroughApi(
  apiUrl: string,
  request: RestoreRequest,
  input: Record<string, unknown>,
  flags: StartFlags,
  ctx: CliContext,
): Promise<number> {
  const mode = apiMode(flags.mode);
  const name = flags.name ?? defaultExecutionName(request, new Date()).replace(/^[a-z]+-/, '');
  const started = await startViaApi(ctx, apiUrl, mode, input, name);
  if (!flags.wait) {
    announceApiStart(ctx, apiUrl, mode, started);
    return ExitCodes.Ok;
  }
  ctx.say(`Started ${started.name} through the API; reading its status every ${flags.pollInterval} s`);
  for (;;) {
    const status = await readViaApi(ctx, apiUrl, mode, started.name);
    if (status.status !== 'RUNNING')
      return ctx.json ? emitApiResult(ctx, status) : printApiStatus(ctx, status);
    await new Promise((resolve) => setTimeout(resolve, flags.pollInterval * 1000));
  }
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
