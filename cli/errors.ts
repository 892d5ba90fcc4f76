/**
 * Errors a person can act on. Every failure the CLI reports is a CliError: one line saying what
 * is wrong, one line saying how to fix it, and the exit code that tells a script which kind of
 * problem it was (2: the command line, including an execution that does not exist, 3: the
 * environment or AWS access).
 */
import { awsErrorCode, InvalidInputError, isAccessDenied } from '@shared/errors';
import { ExitCodes } from './exit-codes';

export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: typeof ExitCodes.Usage | typeof ExitCodes.Config,
    /** One line: what to do about it. */
    readonly fix?: string,
    /** A stable code for `--json` consumers. */
    readonly code = exitCode === ExitCodes.Usage ? 'Usage' : 'Config',
  ) {
    super(message);
  }
}

export const usageError = (message: string, fix?: string) => new CliError(message, ExitCodes.Usage, fix);

const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottledException',
]);
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT']);

/** What the explanation may mention: the endpoint and Region in use, and which ARN was asked for. */
export interface ErrorContext {
  readonly endpoint?: string;
  readonly region?: string;
}

/** Turns anything a command throws into a CliError with a fix. */
export function explainError(error: unknown, context: ErrorContext = {}): CliError {
  if (error instanceof CliError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = awsErrorCode(error) ?? '';
  const errno = (error as { code?: unknown } | null)?.code;
  const where = context.region ? ` in ${context.region}` : '';

  if (error instanceof InvalidInputError) return usageError(message);
  if (code === 'ScenarioError')
    return usageError(message, 'Fix the scenario file; local/README.md describes it.');
  if (code === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return configError(
      'No AWS credentials found.',
      'Run `aws configure` or `aws sso login` (and export AWS_PROFILE), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for the emulator use the export lines `ec2-restore local` prints.',
      'NoCredentials',
    );
  }
  if (/Region is missing/.test(message)) {
    return configError(
      'No AWS Region set.',
      'Pass --region us-east-1, or export AWS_REGION=us-east-1 (or set region in your AWS profile).',
      'NoRegion',
    );
  }
  if (code === 'StateMachineDoesNotExist') {
    return configError(
      `${message}${where}.`,
      'Set --state-machine-arn or EC2_RESTORE_STATE_MACHINE_ARN to the deployed restore-instance state machine (`aws stepfunctions list-state-machines` lists them), and use its Region.',
      'StateMachineNotFound',
    );
  }
  if (code === 'ExecutionDoesNotExist') {
    return noSuchExecution(/arn:[^\s'"]+/.exec(message)?.[0] ?? message, context.region);
  }
  if (THROTTLED.has(code)) {
    return configError(
      `AWS throttled the request even after retries (${code}: ${message}).`,
      'Wait a minute and run the same command again; something else is sharing this API quota (a longer --poll-interval helps `watch`).',
      'Throttled',
    );
  }
  if (BAD_CREDENTIALS.has(code)) {
    return configError(
      `AWS rejected the credentials (${code}: ${message}).`,
      'Refresh them (`aws sso login`, or new access keys) and check AWS_PROFILE.',
      'BadCredentials',
    );
  }
  if (isAccessDenied(error)) {
    return configError(
      `Access denied: ${message}`,
      "The message names the permission. The stack's Operator policy (output OperatorPolicyArn) covers every command but sweep, whose permissions the README lists; on the emulator, `ec2-restore local` exports an operator key and prints an admin one.",
      'AccessDenied',
    );
  }
  if (typeof errno === 'string' && UNREACHABLE.has(errno)) {
    return configError(
      `Nothing answers at ${context.endpoint ?? 'the AWS endpoint'} (${errno}).`,
      context.endpoint
        ? 'Start the emulator (`ec2-restore local`) or fix --endpoint-url / AWS_ENDPOINT_URL.'
        : 'Check your network connection and proxy settings.',
      'Unreachable',
    );
  }
  return configError(code && code !== 'Error' ? `${code}: ${message}` : message);
}

/**
 * An execution ARN or name that names nothing is a mistake on the command line (exit 2), like a
 * typo in any other argument; exit 3 stays for configuration and AWS access.
 */
export function noSuchExecution(what: string, region?: string): CliError {
  return new CliError(
    `No such execution: ${what}${region ? ` in ${region}` : ''}.`,
    ExitCodes.Usage,
    'Check the ARN or name (`ec2-restore list` shows recent executions), the Region, and the state machine.',
    'ExecutionNotFound',
  );
}

export function configError(message: string, fix?: string, code?: string): CliError {
  return new CliError(message, ExitCodes.Config, fix, code);
}
