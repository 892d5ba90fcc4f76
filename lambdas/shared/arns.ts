/**
 * Reading ARNs. No SDK import here: steps that only parse an ARN (select-recovery-point,
 * poll-restore-job, resolve-fleet-targets) must not load @aws-sdk/client-ec2 on a cold start, as
 * importing shared/ec2.ts would make them (an external SDK import stays a top-level require).
 */
import { INSTANCE_ARN } from './restore-request';

/** `arn:aws:ec2:<region>:<account>:instance/i-…` → its parts, or null when it is not one. */
export function parseInstanceArn(
  arn: string,
): { region: string; accountId: string; instanceId: string } | null {
  const match = INSTANCE_ARN.exec(arn);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return { region: match[1], accountId: match[2], instanceId: match[3] };
}

/** An instance profile ARN's name is its last path segment (`…:instance-profile/path/name`). */
export function instanceProfileNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
