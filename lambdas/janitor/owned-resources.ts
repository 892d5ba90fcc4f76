/**
 * This product's resources, found by the tags the workflow writes (lambdas/shared/tags.ts) and
 * nothing else: never by name, never by the source-instance tag alone.
 */
import {
  type Address,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { TagKeys, tagValue } from '@shared/tags';

/** States in which an instance may still cost money or hold an address (as lambdas/cleanup). */
export const LIVE_INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export interface OwnedInstance {
  readonly instanceId: string;
  readonly state: string;
  readonly launchTime: Date | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface OwnedAddress {
  readonly allocationId: string;
  readonly publicIp: string | undefined;
  readonly associationId: string | undefined;
  readonly instanceId: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface OwnedResources {
  readonly instances: readonly OwnedInstance[];
  readonly addresses: readonly OwnedAddress[];
}

const tagFilter = (key: string, value: string): Filter => ({ Name: `tag:${key}`, Values: [tagValue(value)] });

/** Everything carrying `ec2-restore:execution = executionArn`. */
export function resourcesOfExecution(ec2: EC2Client, executionArn: string): Promise<OwnedResources> {
  return listOwned(ec2, [tagFilter(TagKeys.Execution, executionArn)]);
}

/** Everything carrying `ec2-restore:mode = test` (and an execution tag, which every such resource has). */
export function testModeResources(ec2: EC2Client): Promise<OwnedResources> {
  return listOwned(ec2, [tagFilter(TagKeys.Mode, 'test'), { Name: 'tag-key', Values: [TagKeys.Execution] }]);
}

/** Live instances by id; ids that do not exist (any more) are left out. */
export async function liveInstances(
  ec2: EC2Client,
  instanceIds: readonly string[],
): Promise<OwnedInstance[]> {
  if (instanceIds.length === 0) return [];
  const found: OwnedInstance[] = [];
  for (const instanceId of instanceIds) {
    try {
      found.push(...(await describeInstances(ec2, { InstanceIds: [instanceId] })));
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidInstanceID.NotFound') throw error;
    }
  }
  return found.filter((i) => LIVE_INSTANCE_STATES.includes(i.state));
}

async function listOwned(ec2: EC2Client, filters: Filter[]): Promise<OwnedResources> {
  const instances = await describeInstances(ec2, {
    Filters: [...filters, { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES }],
  });
  const result = await ec2.send(new DescribeAddressesCommand({ Filters: filters }));
  return { instances, addresses: (result.Addresses ?? []).flatMap(toOwnedAddress) };
}

async function describeInstances(
  ec2: EC2Client,
  query: { InstanceIds?: string[]; Filters?: Filter[] },
): Promise<OwnedInstance[]> {
  const found: OwnedInstance[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstancesCommand({ ...query, NextToken: nextToken }));
    for (const instance of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
      if (!instance.InstanceId) continue;
      found.push({
        instanceId: instance.InstanceId,
        state: instance.State?.Name ?? 'unknown',
        launchTime: instance.LaunchTime,
        tags: tagsOf(instance.Tags),
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

function toOwnedAddress(address: Address): OwnedAddress[] {
  if (!address.AllocationId) return [];
  return [
    {
      allocationId: address.AllocationId,
      publicIp: address.PublicIp,
      associationId: address.AssociationId,
      instanceId: address.InstanceId,
      tags: tagsOf(address.Tags),
    },
  ];
}

function tagsOf(tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key) out[tag.Key] = tag.Value ?? '';
  return out;
}
