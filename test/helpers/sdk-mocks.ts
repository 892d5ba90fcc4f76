/**
 * One place that mocks the AWS SDK clients for unit tests. Clients are real SDK clients whose
 * `send` is intercepted by aws-sdk-client-mock; every test starts from reset mocks.
 */
import { BackupClient } from '@aws-sdk/client-backup';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClients } from '@shared/clients';
import { createLogger, type Logger } from '@shared/logger';
import { mockClient } from 'aws-sdk-client-mock';

const config = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

export function mockAws() {
  const clients: AwsClients = {
    backup: new BackupClient(config),
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    iam: new IAMClient(config),
    sns: new SNSClient(config),
    lambda: new LambdaClient(config),
  };
  const mocks = {
    backup: mockClient(clients.backup),
    ec2: mockClient(clients.ec2),
    ssm: mockClient(clients.ssm),
    iam: mockClient(clients.iam),
    sns: mockClient(clients.sns),
    lambda: mockClient(clients.lambda),
  };
  beforeEach(() => {
    for (const m of Object.values(mocks)) m.reset();
  });
  return { clients, mocks };
}

/** A logger that collects what it would print, so tests can assert nothing secret was logged. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('test', (line) => lines.push(line)), lines };
}

/** An AWS-shaped SDK error, as the SDK would throw it. */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  const error = new Error(message) as Error & { $metadata: { httpStatusCode: number }; $fault: string };
  error.name = name;
  error.$metadata = { httpStatusCode };
  error.$fault = httpStatusCode >= 500 ? 'server' : 'client';
  return error;
}
