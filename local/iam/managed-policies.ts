/**
 * The AWS-managed policies the synthesised stacks attach, as AWS publishes them: one data file
 * per policy in ./managed-policies/, each naming its version (VersionId, CreateDate). A policy
 * without a file grants nothing here (stricter than AWS; the emulator logs it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from './policy-evaluator';

const DIR = join(__dirname, 'managed-policies');

/** The policies with a data file, by name (the part after the last `/` of the ARN). */
const FILES: Readonly<Record<string, string>> = {
  AWSBackupServiceRolePolicyForRestores: 'AWSBackupServiceRolePolicyForRestores.json',
  AWSLambdaBasicExecutionRole: 'AWSLambdaBasicExecutionRole.json',
  AmazonAPIGatewayPushToCloudWatchLogs: 'AmazonAPIGatewayPushToCloudWatchLogs.json',
};

interface ManagedPolicyFile {
  readonly PolicyArn: string;
  readonly VersionId: string;
  readonly Document: PolicyDocument;
}

const loaded = new Map<string, PolicyDocument>();

/** The document of an AWS-managed policy by ARN, or undefined when the emulator has no copy. */
export function managedPolicy(arn: string): PolicyDocument | undefined {
  const name = arn.split('/').pop() ?? '';
  const file = FILES[name];
  if (file === undefined) return undefined;
  let document = loaded.get(name);
  if (document === undefined) {
    const data = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as ManagedPolicyFile;
    if (data.PolicyArn !== arn) return undefined;
    document = data.Document;
    loaded.set(name, document);
  }
  return document;
}

/** `name@version` of each data file, for the log and the docs. */
export function managedPolicyVersions(): string[] {
  return Object.entries(FILES).map(([name, file]) => {
    const data = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as ManagedPolicyFile;
    return `${name}@${data.VersionId}`;
  });
}
