/**
 * The orchestrator's REST API as a caller with only `execute-api:Invoke` sees it (contract §6):
 * `start --via-api URL` and `status --via-api URL` sign with the caller's credentials (SigV4,
 * service `execute-api`, the SDK's default chain or the AWS_* keys) and use POST
 * /restores/{mode} and GET /restores/{mode}/{name}, never the Step Functions API itself.
 */

import { NodeSha256 } from '@shared/node-sha256';
import type { RestoreOutput } from '@shared/workflow-state';
import { SignatureV4 } from '@smithy/signature-v4';
import { consoleUrl } from './arns';
import type { CliContext } from './context';
import { type CliError, configError, noSuchExecution, usageError } from './errors';
import { ExitCodes } from './exit-codes';
import { duration, utc } from './format';
import { renderSummary } from './summary';

export type ApiMode = 'test' | 'recovery';

const NAME_PREFIXES: Readonly<Record<ApiMode, string>> = { test: 'api-test-', recovery: 'api-recovery-' };

/** POST /restores/{mode}'s answer. */
export interface ApiStarted {
  readonly executionArn: string;
  readonly name: string;
  /** Epoch seconds, as Step Functions answers. */
  readonly startDate: number;
}

/** GET /restores/{mode}/{name}'s answer. */
export interface ApiStatus {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: number;
  readonly stopDate: number | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: unknown;
}

export function apiMode(mode: string | undefined): ApiMode {
  if (mode === undefined || mode === 'recovery') return 'recovery';
  if (mode === 'test') return 'test';
  throw usageError(`--mode: "${mode}" is not a mode.`, 'Use --mode recovery or --mode test.');
}

/** The mode an `api-test-…` or `api-recovery-…` name says, else `--mode`. */
export function modeOfName(name: string, mode: string | undefined): ApiMode {
  if (mode !== undefined) return apiMode(mode);
  for (const [each, prefix] of Object.entries(NAME_PREFIXES))
    if (name.startsWith(prefix)) return each as ApiMode;
  throw usageError(
    `Which mode's path reads "${name}"?`,
    'Give the name as the API answered it (api-test-… or api-recovery-…), or pass --mode test|recovery.',
  );
}

export async function startViaApi(
  ctx: CliContext,
  apiUrl: string,
  mode: ApiMode,
  body: Record<string, unknown>,
  name: string | undefined,
): Promise<ApiStarted> {
  const query = name === undefined ? '' : `?name=${encodeURIComponent(name)}`;
  return (await callApi(ctx, 'POST', apiUrl, `/restores/${mode}${query}`, body)) as ApiStarted;
}

export async function readViaApi(
  ctx: CliContext,
  apiUrl: string,
  mode: ApiMode,
  name: string,
): Promise<ApiStatus> {
  return (await callApi(ctx, 'GET', apiUrl, `/restores/${mode}/${encodeURIComponent(name)}`)) as ApiStatus;
}

/** `start --via-api` without --wait: where the execution is (the API gives no history to follow). */
export function announceApiStart(ctx: CliContext, apiUrl: string, mode: ApiMode, started: ApiStarted): void {
  const startDate = isoOf(started.startDate);
  if (ctx.json) {
    ctx.emit({ ...started, startDate, consoleUrl: consoleUrl(started.executionArn) });
    return;
  }
  ctx.say(`Started ${started.name} through the API`);
  ctx.say(`  execution  ${started.executionArn}`);
  ctx.say(`  started    ${utc(startDate)}`);
  ctx.say(`  status     ec2-restore status --via-api ${apiUrl} --mode ${mode} ${started.name}`);
}

/** Exit 1 when the execution failed, timed out or was stopped. */
function apiExitCode(status: ApiStatus): number {
  return ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(status.status) ? ExitCodes.RestoreFailed : ExitCodes.Ok;
}

/**
 * `start --via-api --wait --json`: the same document as without the API (cli/outcome.ts,
 * resultDocument): the execution output, or why there is none. The API does not say which step
 * failed; the cause names it.
 */
export function emitApiResult(ctx: CliContext, status: ApiStatus): number {
  ctx.emit(
    status.output ?? {
      executionArn: status.executionArn,
      status: status.status,
      error: status.error,
      cause: status.cause,
      failedStep: null,
    },
  );
  return apiExitCode(status);
}

/** `status --via-api`: the execution as the API reads it; exit 1 when it failed. */
export function printApiStatus(ctx: CliContext, status: ApiStatus): number {
  const exitCode = apiExitCode(status);
  const startDate = isoOf(status.startDate);
  const stopDate = status.stopDate === null ? null : isoOf(status.stopDate);
  if (ctx.json) {
    ctx.emit({ ...status, startDate, stopDate });
    return exitCode;
  }
  ctx.say(`execution  ${status.executionArn}`);
  ctx.say(`status     ${status.status}`);
  ctx.say(`started    ${utc(startDate)}`);
  if (stopDate !== null && status.stopDate !== null)
    ctx.say(`stopped    ${utc(stopDate)} (${duration(status.stopDate - status.startDate)})`);
  if (status.error !== null) ctx.say(`error      ${status.error}`);
  if (status.cause !== null) ctx.say(`cause      ${status.cause}`);
  if (isRestoreOutput(status.output)) {
    ctx.say('');
    ctx.say(renderSummary(status.output));
  }
  return exitCode;
}

function isRestoreOutput(output: unknown): output is RestoreOutput {
  return typeof output === 'object' && output !== null && 'status' in output && 'source' in output;
}

const isoOf = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

async function callApi(
  ctx: CliContext,
  method: 'GET' | 'POST',
  apiUrl: string,
  path: string,
  body?: Record<string, unknown>,
): Promise<unknown> {
  let base: URL;
  try {
    base = new URL(apiUrl.replace(/\/+$/, ''));
  } catch {
    throw usageError(
      `--via-api: "${apiUrl}" is not a URL.`,
      "Pass the stage URL: the stack's ApiEndpoint output (https://<id>.execute-api.<region>.amazonaws.com/v1), or the one `ec2-restore local` prints.",
    );
  }
  const url = new URL(`${base.pathname}${path}`, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  // The SDK's credentials and Region, resolved as every other command resolves them.
  const client = ctx.sfn();
  const credentials = await client.config.credentials();
  const region = ctx.options.region || regionOfApiHost(url.hostname) || (await client.config.region());
  const signer = new SignatureV4({ credentials, region, service: 'execute-api', sha256: NodeSha256 });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: {
      host: url.host,
      accept: 'application/json',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { body: payload }),
  });
  const { host: _host, ...headers } = signed.headers;
  let response: Response;
  try {
    response = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw configError(
      `Nothing answers at ${base.origin} (${cause}).`,
      'Check --via-api; for the emulator, start `ec2-restore local`.',
      'Unreachable',
    );
  }
  const text = await response.text();
  let document: Record<string, unknown> | undefined;
  try {
    document = JSON.parse(text) as Record<string, unknown>;
  } catch {
    document = undefined;
  }
  if (response.ok && document !== undefined) return document;
  throw apiError(response, document, text, `${method} ${url.pathname}`);
}

function apiError(
  response: Response,
  document: Record<string, unknown> | undefined,
  text: string,
  request: string,
): CliError {
  // API Gateway's own errors say `message`; an IAM denial of execute-api:Invoke may say `Message`.
  const message = String(document?.message ?? document?.Message ?? text.slice(0, 300));
  const details =
    typeof document?.details === 'string' && document.details !== '' ? ` ${document.details}` : '';
  switch (response.status) {
    case 400:
      return usageError(
        `The API refused ${request}: ${message}${details}`,
        'Fix the flags it names; contract §6 lists what each path accepts.',
      );
    case 403:
      return configError(
        `The API refused the request (${response.headers.get('x-amzn-errortype') ?? 'Forbidden'}: ${message}).`,
        'Use credentials allowed execute-api:Invoke on this path (infra/README.md, The API and its callers), and check the URL and Region.',
        'AccessDenied',
      );
    case 404:
      return noSuchExecution(String(/arn:[^\s'"]+/.exec(message)?.[0] ?? request));
    default:
      return configError(`The API answered ${response.status} to ${request}: ${message}`);
  }
}

/** `<id>.execute-api.<region>.amazonaws.com`: the Region an API's own host name says. */
function regionOfApiHost(hostname: string): string | undefined {
  return /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(hostname)?.[1];
}
