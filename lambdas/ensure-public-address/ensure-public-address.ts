import {
  type Address,
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  ReleaseAddressCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { findInstance } from '@shared/ec2';
import {
  awsErrorCode,
  errorMessage,
  InstanceNotRunningError,
  isTransientAwsError,
  PublicAddressError,
} from '@shared/errors';
import type { Logger } from '@shared/logger';
import { describeRoute, subnetRoute } from '@shared/route-tables';
import { TagKeys, tagValue } from '@shared/tags';
import type { Clock } from '@shared/time';
import { type AddressState, requireSlices, type WorkflowState } from '@shared/workflow-state';

export interface EnsurePublicAddressDeps {
  readonly ec2: EC2Client;
  readonly now: Clock;
  readonly logger?: Logger;
}

type Decision =
  | { readonly allocate: true; readonly reason: string }
  | { readonly allocate: false; readonly reason: string; readonly publicIp: string | null };

/**
 * Step 10: give the restored instance a public IPv4 address when policy and network call for one.
 * Policy `auto` allocates an Elastic IP only when the instance has no public address now (a subnet
 * that auto-assigns helps only at launch); `always` allocates unless this execution's own address
 * is already in place; `never` does nothing. A re-run finds the address an earlier attempt made by
 * its execution tag instead of allocating a second one.
 */
export async function ensurePublicAddress(
  state: WorkflowState,
  deps: EnsurePublicAddressDeps,
): Promise<AddressState> {
  const { request, plan, instance, execution } = requireSlices(
    state,
    'request',
    'plan',
    'instance',
    'execution',
  );
  const startedAt = deps.now().toISOString();
  const finish = (slice: Omit<AddressState, 'startedAt' | 'completedAt'>): AddressState => ({
    ...slice,
    startedAt,
    completedAt: deps.now().toISOString(),
  });

  if (request.publicIp === 'never') {
    return finish({
      action: 'disabled',
      reason: 'publicIp is never, so no Elastic IP was attached',
      allocationId: null,
      associationId: null,
      publicIp: instance.publicIp,
    });
  }

  const existing = await findOwnAddress(deps, execution.id, instance.instanceId);
  if (existing?.AllocationId) {
    return finish(await reuse(deps, existing, existing.AllocationId, instance.instanceId));
  }

  const decision =
    request.publicIp === 'always'
      ? ({ allocate: true, reason: 'publicIp is always, so an Elastic IP was attached' } as const)
      : await decideAuto(
          deps,
          instance.instanceId,
          instance.subnetId ?? plan.subnetId,
          instance.vpcId ?? plan.vpcId,
          plan.subnetMapsPublicIp,
        );
  if (!decision.allocate) {
    return finish({
      action: 'not-needed',
      reason: decision.reason,
      allocationId: null,
      associationId: null,
      publicIp: decision.publicIp,
    });
  }

  const tags: Tag[] = [
    { Key: TagKeys.Execution, Value: tagValue(execution.id) },
    { Key: TagKeys.Mode, Value: request.mode },
    ...Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
  ];
  const sourceInstanceId =
    state.source?.instanceId ?? state.selection?.sourceInstanceId ?? request.instanceId;
  if (sourceInstanceId) tags.push({ Key: TagKeys.SourceInstance, Value: sourceInstanceId });

  const allocation = await allocate(deps, tags);
  const associationId = await associateOrRelease(
    deps,
    allocation.allocationId,
    instance.instanceId,
    'just allocated',
  );
  deps.logger?.info('Elastic IP allocated and associated', {
    allocationId: allocation.allocationId,
    instanceId: instance.instanceId,
  });
  return finish({
    action: 'allocated',
    reason: decision.reason,
    allocationId: allocation.allocationId,
    associationId,
    publicIp: allocation.publicIp,
  });
}

/** The Elastic IP an earlier attempt of this execution allocated, preferring one already on the instance. */
async function findOwnAddress(
  deps: EnsurePublicAddressDeps,
  executionArn: string,
  instanceId: string,
): Promise<Address | null> {
  const result = await deps.ec2.send(
    new DescribeAddressesCommand({
      Filters: [{ Name: `tag:${TagKeys.Execution}`, Values: [tagValue(executionArn)] }],
    }),
  );
  const addresses = result.Addresses ?? [];
  if (addresses.length > 1) {
    deps.logger?.warn(
      'more than one Elastic IP carries this execution tag; reusing one, cleanup releases all',
      {
        allocationIds: addresses.map((a) => a.AllocationId),
      },
    );
  }
  return addresses.find((a) => a.InstanceId === instanceId) ?? addresses[0] ?? null;
}

async function reuse(
  deps: EnsurePublicAddressDeps,
  address: Address,
  allocationId: string,
  instanceId: string,
): Promise<Omit<AddressState, 'startedAt' | 'completedAt'>> {
  const alreadyAttached = address.InstanceId === instanceId && address.AssociationId !== undefined;
  const associationId = alreadyAttached
    ? (address.AssociationId ?? null)
    : await associateOrRelease(
        deps,
        allocationId,
        instanceId,
        'allocated by an earlier attempt of this execution',
      );
  return {
    action: 'reused',
    reason: alreadyAttached
      ? `Elastic IP ${address.PublicIp ?? allocationId} from an earlier attempt of this execution is already attached to ${instanceId}`
      : `Elastic IP ${address.PublicIp ?? allocationId} from an earlier attempt of this execution was attached to ${instanceId} instead of allocating another`,
    allocationId,
    associationId,
    publicIp: address.PublicIp ?? null,
  };
}

/**
 * Policy `auto`: the instance's current address decides (an address from the restore metadata's
 * network interface can exist even when the subnet does not auto-assign, aws-facts A.6); the
 * subnet setting, read fresh, only explains the decision. An address is attached only where it
 * helps: in a subnet whose route table sends 0.0.0.0/0 to an internet gateway. In a private subnet
 * it would be unreachable, and in recovery mode it would expose a copy of a production server.
 */
async function decideAuto(
  deps: EnsurePublicAddressDeps,
  instanceId: string,
  subnetId: string,
  vpcId: string,
  plannedMapsPublicIp: boolean,
): Promise<Decision> {
  const live = await findInstance(deps.ec2, instanceId);
  if (!live) {
    throw new InstanceNotRunningError(
      `Instance ${instanceId} no longer exists, so no public address can be attached. It was terminated after it started running; look at its state transition reason in the EC2 console.`,
    );
  }
  const mapsPublicIp = await subnetMapsPublicIp(deps, subnetId, plannedMapsPublicIp);
  const current = live.PublicIpAddress;
  if (current) {
    return {
      allocate: false,
      publicIp: current,
      reason: mapsPublicIp
        ? `the instance already has public IP ${current} (subnet ${subnetId} auto-assigns)`
        : `the instance already has public IP ${current}, so no Elastic IP was needed`,
    };
  }
  const route = await subnetRoute(deps.ec2, subnetId, vpcId);
  if (!route.internetGatewayId) {
    return {
      allocate: false,
      publicIp: null,
      reason: `subnet ${subnetId} has no route to an internet gateway (${describeRoute(subnetId, route)}), so no Elastic IP was attached: it would be unreachable`,
    };
  }
  return {
    allocate: true,
    reason: mapsPublicIp
      ? `subnet ${subnetId} auto-assigns public IPv4 addresses only at launch and the instance has none, so an Elastic IP was attached`
      : `subnet ${subnetId} does not auto-assign public IPv4 addresses and the instance has none, so an Elastic IP was attached`,
  };
}

async function subnetMapsPublicIp(
  deps: EnsurePublicAddressDeps,
  subnetId: string,
  planned: boolean,
): Promise<boolean> {
  try {
    const result = await deps.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    return result.Subnets?.find((s) => s.SubnetId === subnetId)?.MapPublicIpOnLaunch ?? planned;
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    // The subnet setting only words the reason; the instance's own address already decided.
    deps.logger?.warn('DescribeSubnets failed; using the subnet setting read at planning', {
      subnetId,
      errorName: awsErrorCode(error),
    });
    return planned;
  }
}

async function allocate(
  deps: EnsurePublicAddressDeps,
  tags: Tag[],
): Promise<{ allocationId: string; publicIp: string | null }> {
  try {
    const result = await deps.ec2.send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tags }],
      }),
    );
    if (!result.AllocationId) {
      throw new PublicAddressError('AllocateAddress returned no AllocationId; nothing was attached.');
    }
    return { allocationId: result.AllocationId, publicIp: result.PublicIp ?? null };
  } catch (error) {
    if (error instanceof PublicAddressError || isTransientAwsError(error)) throw error;
    if (awsErrorCode(error) === 'AddressLimitExceeded') {
      throw new PublicAddressError(
        'The Elastic IP quota of this Region is reached (5 per Region by default), so no public address could be attached. ' +
          'Release an unused Elastic IP (EC2 console → Elastic IPs, or `aws ec2 release-address --allocation-id eipalloc-…`), ' +
          'request a higher "EC2-VPC Elastic IPs" quota in Service Quotas, or rerun with publicIp "never" and ssh.target "private".',
        { cause: error },
      );
    }
    throw new PublicAddressError(
      `AllocateAddress failed: ${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Associate, or release the address again so that a failed attempt leaves no idle Elastic IP behind. */
async function associateOrRelease(
  deps: EnsurePublicAddressDeps,
  allocationId: string,
  instanceId: string,
  origin: string,
): Promise<string | null> {
  try {
    const result = await deps.ec2.send(
      new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId }),
    );
    return result.AssociationId ?? null;
  } catch (error) {
    const released = await release(deps, allocationId);
    // A throttled association is retried by the state machine; having released, the retry starts clean.
    if (isTransientAwsError(error)) throw error;
    const leftover = released
      ? `The Elastic IP ${allocationId} (${origin}) was released again, so nothing was left behind.`
      : `Releasing the Elastic IP ${allocationId} (${origin}) failed too: release it with \`aws ec2 release-address --allocation-id ${allocationId}\`.`;
    throw new PublicAddressError(
      `Could not associate Elastic IP ${allocationId} with ${instanceId}: ${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}. ` +
        `Check that the instance has a single network interface and that the VPC has an internet gateway attached. ${leftover}`,
      { cause: error },
    );
  }
}

async function release(deps: EnsurePublicAddressDeps, allocationId: string): Promise<boolean> {
  try {
    await deps.ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
    return true;
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidAllocationID.NotFound') return true;
    deps.logger?.error('could not release the Elastic IP after a failed association', {
      allocationId,
      errorName: awsErrorCode(error),
      errorMessage: errorMessage(error),
    });
    return false;
  }
}
