/** EC2 lookups that several steps share. */
import { DescribeInstancesCommand, type EC2Client, type Instance, type Tag } from '@aws-sdk/client-ec2';
import { awsErrorCode } from './errors';

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
