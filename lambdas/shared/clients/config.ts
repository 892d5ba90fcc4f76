/**
 * Settings every SDK client shares. Endpoints come from the SDK's standard settings
 * (`AWS_ENDPOINT_URL`, …) unless the caller gives one, which is how the same code runs against AWS
 * and the local emulator.
 */
import type { AwsCredentialIdentity } from '@aws-sdk/types';

export interface ClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity;
  /** SDK-level attempts per call; the state machine retries transient errors on top of this. */
  readonly maxAttempts?: number;
}

export function clientConfig(options: ClientOptions = {}) {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 3,
  };
}
