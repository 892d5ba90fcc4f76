import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { ensurePublicAddress } from '@lambdas/ensure-public-address/ensure-public-address';
import { step } from '@lambdas/ensure-public-address/handler';
import { PublicAddressError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { TagKeys } from '@shared/tags';
import { requireSlices } from '@shared/workflow-state';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const NEW_IP = '127.100.0.77';
const INSTANCE_IP = '127.100.0.55';

function deps() {
  return { ec2: clients.ec2, now: () => at(1260), logger: captureLogger().logger };
}

/** The world as the address step sees it: what EC2 says about our addresses, the instance and its subnet. */
function world(
  options: {
    ownAddresses?: object[];
    instancePublicIp?: string;
    subnetMapsPublicIp?: boolean;
    /** The subnet's default route: an internet gateway (public, the default) or a NAT gateway. */
    defaultRoute?: 'igw' | 'nat';
  } = {},
) {
  // The subnet has no table of its own: the VPC's main table routes it (docs/aws-facts.md I.3).
  mocks.ec2
    .on(DescribeRouteTablesCommand, { Filters: [{ Name: 'association.subnet-id', Values: [IDS.subnet] }] })
    .resolves({ RouteTables: [] });
  mocks.ec2
    .on(DescribeRouteTablesCommand, {
      Filters: [
        { Name: 'vpc-id', Values: [IDS.vpc] },
        { Name: 'association.main', Values: ['true'] },
      ],
    })
    .resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-0aaaaaaaaaaaaaaaa',
          VpcId: IDS.vpc,
          Associations: [{ Main: true }],
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
            options.defaultRoute === 'nat'
              ? { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0aaaaaaaaaaaaaaaa', State: 'active' }
              : { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-0aaaaaaaaaaaaaaaa', State: 'active' },
          ],
        },
      ],
    });
  mocks.ec2.on(DescribeAddressesCommand).resolves({ Addresses: options.ownAddresses ?? [] });
  mocks.ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: IDS.restoredInstance,
            State: { Code: 16, Name: 'running' },
            SubnetId: IDS.subnet,
            PrivateIpAddress: IDS.privateIp,
            ...(options.instancePublicIp ? { PublicIpAddress: options.instancePublicIp } : {}),
          },
        ],
      },
    ],
  });
  mocks.ec2.on(DescribeSubnetsCommand).resolves({
    Subnets: [{ SubnetId: IDS.subnet, MapPublicIpOnLaunch: options.subnetMapsPublicIp ?? false }],
  });
  mocks.ec2
    .on(AllocateAddressCommand)
    .resolves({ AllocationId: IDS.allocationId, PublicIp: NEW_IP, Domain: 'vpc' });
  mocks.ec2.on(AssociateAddressCommand).resolves({ AssociationId: IDS.associationId });
  mocks.ec2.on(ReleaseAddressCommand).resolves({});
}

describe('ensure-public-address', () => {
  it('allocates and associates a tagged Elastic IP when the subnet does not auto-assign and the instance has no public IP', async () => {
    world({ subnetMapsPublicIp: false });
    const state = stateAfter('profile', {
      request: { instanceId: IDS.sourceInstance, tags: { Ticket: 'OPS-123' } },
    });

    const address = await ensurePublicAddress(state, deps());

    expect(address).toEqual({
      action: 'allocated',
      reason: `subnet ${IDS.subnet} does not auto-assign public IPv4 addresses and the instance has none, so an Elastic IP was attached`,
      allocationId: IDS.allocationId,
      associationId: IDS.associationId,
      publicIp: NEW_IP,
      startedAt: at(1260).toISOString(),
      completedAt: at(1260).toISOString(),
    });
    expect(mocks.ec2).toHaveReceivedCommandWith(AllocateAddressCommand, {
      Domain: 'vpc',
      TagSpecifications: [
        {
          ResourceType: 'elastic-ip',
          Tags: expect.arrayContaining([
            { Key: TagKeys.Execution, Value: IDS.executionArn },
            { Key: TagKeys.SourceInstance, Value: IDS.sourceInstance },
            { Key: TagKeys.Mode, Value: 'recovery' },
            { Key: 'Ticket', Value: 'OPS-123' },
          ]),
        },
      ],
    });
    expect(mocks.ec2).toHaveReceivedCommandWith(AssociateAddressCommand, {
      AllocationId: IDS.allocationId,
      InstanceId: IDS.restoredInstance,
    });
  });

  it('attaches no Elastic IP in a private subnet (default route to a NAT gateway) and says why', async () => {
    world({ subnetMapsPublicIp: false, defaultRoute: 'nat' });

    const result = await ensurePublicAddress(stateAfter('profile'), deps());

    expect(result).toMatchObject({
      action: 'not-needed',
      allocationId: null,
      publicIp: null,
      reason: `subnet ${IDS.subnet} has no route to an internet gateway (route table rtb-0aaaaaaaaaaaaaaaa (the VPC’s main table) sends 0.0.0.0/0 to nat-0aaaaaaaaaaaaaaaa), so no Elastic IP was attached: it would be unreachable`,
    });
    expect(mocks.ec2.commandCalls(AllocateAddressCommand)).toHaveLength(0);
    expect(mocks.ec2.commandCalls(AssociateAddressCommand)).toHaveLength(0);
  });

  it('looks for its own address by the execution tag before deciding anything', async () => {
    world();

    await ensurePublicAddress(stateAfter('profile'), deps());

    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeAddressesCommand, {
      Filters: [{ Name: `tag:${TagKeys.Execution}`, Values: [IDS.executionArn] }],
    });
  });

  it('allocates nothing when the subnet auto-assigns and the instance already has a public IP', async () => {
    world({ subnetMapsPublicIp: true, instancePublicIp: INSTANCE_IP });
    const state = stateAfter('profile');

    const address = await ensurePublicAddress(state, deps());

    expect(address).toMatchObject({
      action: 'not-needed',
      reason: `the instance already has public IP ${INSTANCE_IP} (subnet ${IDS.subnet} auto-assigns)`,
      allocationId: null,
      publicIp: INSTANCE_IP,
    });
    expect(mocks.ec2).not.toHaveReceivedCommand(AllocateAddressCommand);
    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeSubnetsCommand, { SubnetIds: [IDS.subnet] });
  });

  it('allocates nothing when the instance got a public IP from its restored network interface although the subnet does not auto-assign', async () => {
    world({ subnetMapsPublicIp: false, instancePublicIp: INSTANCE_IP });

    const address = await ensurePublicAddress(stateAfter('profile'), deps());

    expect(address.action).toBe('not-needed');
    expect(address.publicIp).toBe(INSTANCE_IP);
    expect(mocks.ec2).not.toHaveReceivedCommand(AllocateAddressCommand);
  });

  it('allocates anyway when the subnet auto-assigns but the instance has no public IP (auto-assign works only at launch)', async () => {
    world({ subnetMapsPublicIp: true });
    const base = requireSlices(stateAfter('profile'), 'plan');
    const state = { ...base, plan: { ...base.plan, subnetMapsPublicIp: true } };

    const address = await ensurePublicAddress(state, deps());

    expect(address.action).toBe('allocated');
    expect(address.reason).toBe(
      `subnet ${IDS.subnet} auto-assigns public IPv4 addresses only at launch and the instance has none, so an Elastic IP was attached`,
    );
  });

  it('reuses the tagged Elastic IP of an earlier attempt that is already on the instance, without allocating or associating', async () => {
    world({
      ownAddresses: [
        {
          AllocationId: IDS.allocationId,
          AssociationId: IDS.associationId,
          InstanceId: IDS.restoredInstance,
          PublicIp: NEW_IP,
        },
      ],
    });

    const address = await ensurePublicAddress(stateAfter('profile'), deps());

    expect(address).toMatchObject({
      action: 'reused',
      allocationId: IDS.allocationId,
      associationId: IDS.associationId,
      publicIp: NEW_IP,
    });
    expect(address.reason).toContain('earlier attempt');
    expect(mocks.ec2).not.toHaveReceivedCommand(AllocateAddressCommand);
    expect(mocks.ec2).not.toHaveReceivedCommand(AssociateAddressCommand);
  });

  it('associates the tagged Elastic IP of an earlier attempt that never got associated, without allocating', async () => {
    world({ ownAddresses: [{ AllocationId: IDS.allocationId, PublicIp: NEW_IP }] });

    const address = await ensurePublicAddress(stateAfter('profile'), deps());

    expect(address).toMatchObject({ action: 'reused', associationId: IDS.associationId, publicIp: NEW_IP });
    expect(mocks.ec2).toHaveReceivedCommandWith(AssociateAddressCommand, {
      AllocationId: IDS.allocationId,
      InstanceId: IDS.restoredInstance,
    });
    expect(mocks.ec2).not.toHaveReceivedCommand(AllocateAddressCommand);
  });

  it('allocates with publicIp always even when the instance already has a public IP', async () => {
    world({ subnetMapsPublicIp: true, instancePublicIp: INSTANCE_IP });
    const state = stateAfter('profile', { request: { instanceId: IDS.sourceInstance, publicIp: 'always' } });

    const address = await ensurePublicAddress(state, deps());

    expect(address).toMatchObject({
      action: 'allocated',
      reason: 'publicIp is always, so an Elastic IP was attached',
      publicIp: NEW_IP,
    });
  });

  it('does nothing, and calls no AWS API, with publicIp never', async () => {
    world();
    const state = stateAfter('profile', { request: { instanceId: IDS.sourceInstance, publicIp: 'never' } });

    const address = await ensurePublicAddress(state, deps());

    expect(address).toMatchObject({
      action: 'disabled',
      reason: 'publicIp is never, so no Elastic IP was attached',
    });
    expect(mocks.ec2.calls()).toHaveLength(0);
  });

  it('explains the Elastic IP quota and the ways out when AllocateAddress hits it', async () => {
    world();
    mocks.ec2
      .on(AllocateAddressCommand)
      .rejects(awsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.'));

    const failure = ensurePublicAddress(stateAfter('profile'), deps());

    await expect(failure).rejects.toBeInstanceOf(PublicAddressError);
    await expect(failure).rejects.toThrow(/5 per Region by default/);
    await expect(failure).rejects.toThrow(/publicIp "never"/);
    expect(mocks.ec2).not.toHaveReceivedCommand(AssociateAddressCommand);
  });

  it('releases the address it just allocated when the association fails, then fails with the cause', async () => {
    world();
    const rejection = awsError(
      'Gateway.NotAttached',
      'Network vpc-0aaaaaaaaaaaaaaaa is not attached to any internet gateway',
    );
    mocks.ec2.on(AssociateAddressCommand).rejects(rejection);

    const error = await ensurePublicAddress(stateAfter('profile'), deps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublicAddressError);
    expect((error as PublicAddressError).cause).toBe(rejection);
    expect((error as PublicAddressError).message).toMatch(/Gateway\.NotAttached.*released again/);
    expect(mocks.ec2).toHaveReceivedCommandWith(ReleaseAddressCommand, { AllocationId: IDS.allocationId });
  });

  it('says how to release the address by hand when releasing after a failed association fails too', async () => {
    world();
    mocks.ec2.on(AssociateAddressCommand).rejects(awsError('InvalidInstanceID', 'bad instance'));
    mocks.ec2.on(ReleaseAddressCommand).rejects(awsError('UnauthorizedOperation', 'not allowed'));

    const failure = ensurePublicAddress(stateAfter('profile'), deps());

    await expect(failure).rejects.toThrow(`aws ec2 release-address --allocation-id ${IDS.allocationId}`);
  });

  it('releases, then rethrows a throttled association unchanged so the state machine retries the step', async () => {
    world();
    mocks.ec2
      .on(AssociateAddressCommand)
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));

    const failure = ensurePublicAddress(stateAfter('profile'), deps());

    await expect(failure).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(mocks.ec2).toHaveReceivedCommandTimes(ReleaseAddressCommand, 1);
  });

  it('runs through the Lambda handler with the injected clients and clock', async () => {
    world();
    const handler = createHandler(step, {
      env: {},
      clients,
      now: () => at(1260),
      logger: captureLogger().logger,
    });

    const address = await handler(stateAfter('profile'));

    expect(address.action).toBe('allocated');
  });
});
