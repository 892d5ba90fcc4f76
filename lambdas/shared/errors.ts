/**
 * The workflow's error vocabulary. Each class's `name` is the Step Functions `Error` that the
 * state machine's Retry/Catch match and that a failed execution reports (docs/contract.md §2), so the
 * names are exported as constants and never retyped as strings elsewhere.
 */

export const ErrorNames = {
  InvalidInput: 'InvalidInputError',
  NoRecoveryPoint: 'NoRecoveryPointError',
  Preflight: 'PreflightError',
  RestoreJobFailed: 'RestoreJobFailedError',
  RestoreTimeout: 'RestoreTimeoutError',
  InstanceNotRunning: 'InstanceNotRunningError',
  InstanceProfile: 'InstanceProfileError',
  PublicAddress: 'PublicAddressError',
  SshUnreachable: 'SshUnreachableError',
  SshAuthentication: 'SshAuthenticationError',
  /** An ssh.commands check exited non-zero (or did not finish) on the restored instance. */
  ValidationCheck: 'ValidationCheckError',
  Cleanup: 'CleanupError',
  /** Throttling or a 5xx from an AWS API: the state machine retries it with backoff. */
  TransientAws: 'TransientAwsError',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** The error names a failed execution may end with (docs/contract.md §2). */
export const CONTRACT_ERROR_NAMES: readonly ErrorName[] = [
  ErrorNames.InvalidInput,
  ErrorNames.NoRecoveryPoint,
  ErrorNames.Preflight,
  ErrorNames.RestoreJobFailed,
  ErrorNames.RestoreTimeout,
  ErrorNames.InstanceNotRunning,
  ErrorNames.InstanceProfile,
  ErrorNames.PublicAddress,
  ErrorNames.SshUnreachable,
  ErrorNames.SshAuthentication,
  ErrorNames.ValidationCheck,
  ErrorNames.Cleanup,
];

export abstract class WorkflowError extends Error {
  abstract override readonly name: ErrorName;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class InvalidInputError extends WorkflowError {
  override readonly name = ErrorNames.InvalidInput;
  /** JSON paths of the offending fields, e.g. `overrides.subnetId`. */
  readonly fields: readonly string[];
  constructor(message: string, fields: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.fields = fields;
  }
}

export class NoRecoveryPointError extends WorkflowError {
  override readonly name = ErrorNames.NoRecoveryPoint;
}

export class PreflightError extends WorkflowError {
  override readonly name = ErrorNames.Preflight;
  readonly failedChecks: readonly string[];
  constructor(failedChecks: readonly string[]) {
    super(
      `${failedChecks.length} pre-flight check(s) failed; nothing was created:\n- ${failedChecks.join('\n- ')}`,
    );
    this.failedChecks = failedChecks;
  }
}

export class RestoreJobFailedError extends WorkflowError {
  override readonly name = ErrorNames.RestoreJobFailed;
}

export class RestoreTimeoutError extends WorkflowError {
  override readonly name = ErrorNames.RestoreTimeout;
}

export class InstanceNotRunningError extends WorkflowError {
  override readonly name = ErrorNames.InstanceNotRunning;
}

export class InstanceProfileError extends WorkflowError {
  override readonly name = ErrorNames.InstanceProfile;
}

export class PublicAddressError extends WorkflowError {
  override readonly name = ErrorNames.PublicAddress;
}

export class SshUnreachableError extends WorkflowError {
  override readonly name = ErrorNames.SshUnreachable;
}

export class SshAuthenticationError extends WorkflowError {
  override readonly name = ErrorNames.SshAuthentication;
}

export class ValidationCheckError extends WorkflowError {
  override readonly name = ErrorNames.ValidationCheck;
}

export class CleanupError extends WorkflowError {
  override readonly name = ErrorNames.Cleanup;
}

export class TransientAwsError extends WorkflowError {
  override readonly name = ErrorNames.TransientAws;
}

/** SDK error names that mean "try again later" rather than "this request is wrong". */
const TRANSIENT_AWS_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottledException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'DependencyFailureException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** The AWS error code of an SDK v3 exception (`name`), or undefined for non-AWS errors. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { name?: unknown; code?: unknown; $metadata?: unknown };
  if (typeof candidate.code === 'string' && !('$metadata' in candidate)) return candidate.code;
  return typeof candidate.name === 'string' ? candidate.name : undefined;
}

/** The codes AWS answers a call that IAM refused with: EC2's, Query services', JSON services'. */
const ACCESS_DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

/** IAM refused the call: retrying will not change it; the fix is a permission. */
export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(awsErrorCode(error) ?? '');
}

export function isTransientAwsError(error: unknown): boolean {
  if (error instanceof WorkflowError) return false;
  const code = awsErrorCode(error);
  if (code !== undefined && TRANSIENT_AWS_ERRORS.has(code)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
