/**
 * Every SDK client the steps use, for callers that serve all the steps at once: the emulator (one
 * set per emulator, with its endpoint) and the unit tests (mocked). A step's own Lambda never
 * imports this module: its handler names the clients it calls (`defineStep({ clients })`) from
 * `clients/*`, so a cold start loads only those SDK packages.
 */
import type { BackupClient } from '@aws-sdk/client-backup';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { backupClient } from './clients/backup';
import type { ClientOptions } from './clients/config';
import { ec2Client } from './clients/ec2';
import { iamClient } from './clients/iam';
import { lambdaClient } from './clients/lambda';
import { snsClient } from './clients/sns';
import { ssmClient } from './clients/ssm';

export type { ClientOptions } from './clients/config';

export interface AwsClients {
  readonly backup: BackupClient;
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly iam: IAMClient;
  readonly sns: SNSClient;
  /** check-ssh invokes the in-VPC SSH probes with it. */
  readonly lambda: LambdaClient;
}

export type ClientName = keyof AwsClients;

/** How a step names the clients it calls: each one's factory, from `clients/<name>.ts`. */
export type ClientFactories = { readonly [K in ClientName]?: (options?: ClientOptions) => AwsClients[K] };

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  return {
    backup: backupClient(options),
    ec2: ec2Client(options),
    ssm: ssmClient(options),
    iam: iamClient(options),
    sns: snsClient(options),
    lambda: lambdaClient(options),
  };
}
