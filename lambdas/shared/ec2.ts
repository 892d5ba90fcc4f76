/** EC2 lookups that several steps share. */
import { DescribeInstancesCommand, type EC2Client, type Instance, type Tag } from '@aws-sdk/client-ec2';
import { awsErrorCode } from './errors';
import { INSTANCE_ARN } from './restore-request';

/** The instance, or null when EC2 does not know it (terminated long ago, or never existed). */
export async function findInstance(ec2: EC2Client, instanceId: string): Promise<Instance | null> {
  try {
    const result = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return (
      result.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId) ?? null
    );
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidInstanceID.NotFound') return null;
    throw error;
  }
}

export function tagOf(tags: readonly Tag[] | undefined, key: string): string | null {
  return tags?.find((t) => t.Key === key)?.Value ?? null;
}

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
