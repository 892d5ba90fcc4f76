/**
 * The temporary, exact ingress of the in-VPC SSH check (issue 12 item 2): the workflow adds its
 * probe-ingress group to the restored instance for the check and afterwards sets the instance's
 * groups back to exactly what they were. A customer's group is never edited. The original set is
 * always "the current groups without ours", so a re-run after a crash finds and removes a probe
 * group an earlier attempt added, without any record of it.
 *
 * ModifyInstanceAttribute (GroupId.N) replaces the whole set (docs/aws-facts.md I.2); its IAM
 * resource is the instance, which lets the policy allow it only on instances this workflow tagged.
 */
import {
  DescribeInstanceAttributeCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  awsErrorCode,
  errorMessage,
  isAccessDenied,
  isTransientAwsError,
  SshUnreachableError,
} from '@shared/errors';
import type { ProbeIngressRecord } from '@shared/workflow-state';

/**
 * The instance's groups now: its `groupSet` attribute, the very set ModifyInstanceAttribute
 * replaces. DescribeInstanceAttribute, unlike DescribeInstances, is authorised on the instance, so
 * the role may read only instances this workflow tagged; and its small reply keeps the whole
 * Instance shape out of this function's bundle (a shorter cold start).
 */
export async function instanceGroups(ec2: EC2Client, instanceId: string): Promise<string[]> {
  let groups: { GroupId?: string }[];
  try {
    const result = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'groupSet' }),
    );
    groups = result.Groups ?? [];
  } catch (error) {
    if (awsErrorCode(error) !== 'InvalidInstanceID.NotFound') throw error;
    throw new SshUnreachableError(`Instance ${instanceId} no longer exists, so its SSH check cannot run.`, {
      cause: error,
    });
  }
  return [...new Set(groups.flatMap((g) => (g.GroupId ? [g.GroupId] : [])))];
}

/** Adds the probe-ingress group unless it is already there (a re-run). */
export async function addProbeIngress(
  ec2: EC2Client,
  instanceId: string,
  ingressGroupId: string,
): Promise<ProbeIngressRecord> {
  const current = await instanceGroups(ec2, instanceId);
  const original = current.filter((id) => id !== ingressGroupId);
  if (!current.includes(ingressGroupId)) {
    await setGroups(ec2, instanceId, [...original, ingressGroupId], 'add');
  }
  return { original, added: [ingressGroupId], removed: [], restored: false };
}

/** Sets the groups back: the current ones without ours. A group we did not add is never touched. */
export async function removeProbeIngress(
  ec2: EC2Client,
  instanceId: string,
  ingressGroupId: string,
  record: ProbeIngressRecord | null,
): Promise<ProbeIngressRecord> {
  const current = await instanceGroups(ec2, instanceId);
  const original = current.filter((id) => id !== ingressGroupId);
  if (current.includes(ingressGroupId)) await setGroups(ec2, instanceId, original, 'remove');
  return {
    original: record?.original ?? original,
    added: record?.added ?? [],
    removed: current.includes(ingressGroupId) ? [ingressGroupId] : (record?.removed ?? []),
    restored: true,
  };
}

async function setGroups(
  ec2: EC2Client,
  instanceId: string,
  groups: string[],
  what: 'add' | 'remove',
): Promise<void> {
  try {
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Groups: groups }));
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    const code = awsErrorCode(error) ?? 'error';
    const hint = /LimitExceeded/.test(code)
      ? ' The instance already has as many groups as its network interface allows (5 by default): raise the "Security groups per network interface" quota or restore with fewer groups (overrides.securityGroupIds).'
      : isAccessDenied(error)
        ? ' The check-ssh function may change the groups only of instances tagged ec2-restore:execution.'
        : '';
    throw new SshUnreachableError(
      `Could not ${what} the SSH probe's ingress group ${what === 'add' ? 'to' : 'from'} ${instanceId} (groups ${groups.join(', ')}): ${code}: ${errorMessage(error)}.${hint}`,
      { cause: error },
    );
  }
}
