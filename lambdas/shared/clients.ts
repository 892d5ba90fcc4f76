/**
 * AWS SDK clients, created once per cold start (or once per emulator) and passed into each step's
 * core logic. Endpoints come from the SDK's standard settings (`AWS_ENDPOINT_URL`, …) unless the
 * caller gives one, which is how the same code runs against AWS and the local emulator.
 */
import { BackupClient } from '@aws-sdk/client-backup';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

export interface AwsClients {
  readonly backup: BackupClient;
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly iam: IAMClient;
  readonly sns: SNSClient;
}

export interface ClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity;
  /** SDK-level attempts per call; the state machine retries transient errors on top of this. */
  readonly maxAttempts?: number;
}

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const config = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 3,
  };
  return {
    backup: new BackupClient(config),
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    iam: new IAMClient(config),
    sns: new SNSClient(config),
  };
}
