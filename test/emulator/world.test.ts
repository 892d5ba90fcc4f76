import { SimulatedClock } from '@local/clock';
import { parseScenario, ScenarioError, type ScenarioInput } from '@local/scenario';
import { World } from '@local/world';
import { pollUntil } from '@test/helpers/poll-until';
import { DEMO, demoScenario } from '@test/helpers/scenarios';

function worldOf(input: ScenarioInput): World {
  const scenario = parseScenario(input);
  return new World(scenario, new SimulatedClock(scenario.clock.speed));
}

/** Ticks the world until the job ends, on a clock fast enough that this takes milliseconds. */
function finish(world: World, jobId: string) {
  return pollUntil(
    () => {
      world.tick();
      return world.backup.describeRestoreJob(jobId);
    },
    {
      describe: `restore job ${jobId} to end`,
      until: (job) => ['COMPLETED', 'FAILED', 'ABORTED'].includes(job.status),
      intervalMs: 5,
    },
  );
}

function latestPoint(world: World) {
  return [...world.recoveryPoints.values()].sort(
    (a, b) => b.creationDate.getTime() - a.creationDate.getTime(),
  )[0]!;
}

function restore(world: World, metadata: Record<string, string>, role = world.restoreRoleArn) {
  return world.backup.startRestoreJob({
    recoveryPointArn: latestPoint(world).arn,
    metadata,
    iamRoleArn: role,
    idempotencyToken: undefined,
    resourceType: 'EC2',
    copySourceTags: false,
  });
}

const fast = (overrides: Partial<ScenarioInput> = {}) =>
  demoScenario({ clock: { speed: 100_000 }, faults: { restoreJob: { durationMinutes: 1 } }, ...overrides });

const plain = {
  SubnetId: DEMO.subnet,
  SecurityGroupIds: JSON.stringify([DEMO.securityGroup]),
  InstanceType: 't3.micro',
};

describe('emulated world', () => {
  it('names the path of every bad field in a scenario', () => {
    const bad = { ...demoScenario(), clock: { speed: -1 }, subnets: [{ id: 'subnet-1', vpcId: DEMO.vpc }] };

    expect(() => parseScenario(bad)).toThrow(ScenarioError);
    expect(() => parseScenario(bad)).toThrow(/clock\.speed[\s\S]*subnets\.0\.id/);
  });

  it('rejects a scenario whose references do not resolve', () => {
    const input = demoScenario({
      securityGroups: [{ id: DEMO.securityGroup, name: 'x', vpcId: 'vpc-0aaaaaaaaaaaaaaaa' }],
    });

    expect(() => parseScenario(input)).toThrow(/securityGroups\.0\.vpcId: no VPC vpc-0aaaaaaaaaaaaaaaa/);
  });

  it('rejects a scenario that repeats an id, mixes VPCs, or aims a fault at nothing, naming each', () => {
    const base = demoScenario();
    const subnet = base.subnets?.[0] as NonNullable<ScenarioInput['subnets']>[number];
    const input: ScenarioInput = {
      ...base,
      vpcs: [
        { id: DEMO.vpc, cidrBlock: '127.30.0.0/16' },
        { id: 'vpc-0de0000000000000f', cidrBlock: '127.31.0.0/16' },
      ],
      subnets: [
        ...(base.subnets ?? []),
        subnet,
        { id: 'subnet-0de0000000000000f', vpcId: DEMO.vpc, cidrBlock: '127.99.1.0/24' },
      ],
      securityGroups: [
        ...(base.securityGroups ?? []),
        { id: 'sg-0de0000000000000f', name: 'other', vpcId: 'vpc-0de0000000000000f' },
      ],
      instances: (base.instances ?? []).map((i) => ({
        ...i,
        securityGroupIds: [...(i.securityGroupIds ?? []), 'sg-0de0000000000000f'],
      })),
      faults: { restoreJobsBySource: { 'i-0de0000000000000f': { outcome: 'FAILED' } } },
    };

    const message = (() => {
      try {
        parseScenario(input);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    })();

    expect(message).toContain(`is already defined`);
    expect(message).toContain(
      "cidrBlock: 127.99.1.0/24 is outside VPC vpc-0de00000000000001's 127.30.0.0/16",
    );
    expect(message).toContain(
      'sg-0de0000000000000f is in vpc-0de0000000000000f, the subnet in vpc-0de00000000000001',
    );
    expect(message).toContain(
      'faults.restoreJobsBySource.i-0de0000000000000f: no instance or recovery point',
    );
  });

  it('refuses a VPC range holding 127.0.0.1, where the emulated internet connects from', () => {
    const input = demoScenario({ vpcs: [{ id: DEMO.vpc, cidrBlock: '127.0.0.0/8' }] });

    expect(() => parseScenario(input)).toThrow(/vpcs\.0\.cidrBlock: must not contain 127\.0\.0\.1/);
  });

  it('makes daily recovery points for the tagged instance and stores the key at /ec2/keypair/<id>', () => {
    const world = worldOf(demoScenario());

    expect(
      world.backup.listRecoveryPointsByResource(world.ec2.instances.instanceArn(DEMO.instance)),
    ).toHaveLength(3);
    expect(world.ssm.getParameter(`/ec2/keypair/${DEMO.keyPairId}`).value).toContain('PRIVATE KEY');
  });

  it('restores a new instance with the original key, a private IP from the subnet and no public IP', async () => {
    const world = worldOf(fast());

    const job = await finish(world, restore(world, plain).id);

    expect(job.status).toBe('COMPLETED');
    const [instance] = world.ec2.instances.describeInstances([job.createdInstanceId!], []);
    expect(instance).toMatchObject({ keyName: DEMO.keyName, subnetId: DEMO.subnet, autoPublicIp: null });
    expect(instance!.privateIp).toMatch(/^127\.\d+\.1\.\d+$/);
    expect(world.ec2.associations.instanceProfileOf(instance!.id)).toBeNull();
  });

  it('fails a restore that sends NetworkInterfaces together with an instance-level subnet', async () => {
    const world = worldOf(fast());
    const metadata = {
      ...plain,
      NetworkInterfaces: JSON.stringify([{ DeviceIndex: 0, SubnetId: DEMO.subnet }]),
    };

    const job = await finish(world, restore(world, metadata).id);

    expect(job.status).toBe('FAILED');
    expect(job.statusMessage).toMatch(/Network interfaces and an instance-level subnet/);
  });

  it('fails a restore with the original profile when the restore role may not pass its role, with an encoded PassRole message', async () => {
    const world = worldOf(
      fast({
        iam: {
          roles: [{ name: DEMO.instanceRole }, { name: DEMO.restoreRole }],
          restoreRoleName: DEMO.restoreRole,
        },
      }),
    );

    const job = await finish(
      world,
      restore(world, { ...plain, IamInstanceProfileName: DEMO.profileName }).id,
    );

    expect(job.status).toBe('FAILED');
    const encoded = /Encoded authorization failure message: (\S+)/.exec(job.statusMessage ?? '')?.[1];
    expect(Buffer.from(encoded ?? '', 'base64').toString()).toContain('iam:PassRole');
  });

  it('fails a restore that asks for a profile other than the backed-up one', async () => {
    const world = worldOf(
      fast({
        instanceProfiles: [
          { name: DEMO.profileName, roleName: DEMO.instanceRole },
          { name: 'other', roleName: DEMO.instanceRole },
        ],
      }),
    );

    const job = await finish(world, restore(world, { ...plain, IamInstanceProfileName: 'other' }).id);

    expect(job.statusMessage).toBe(
      'AWS Backup does not permit attaching a new instance profile to an EC2 instance. Please restore using the backed up instance profile.',
    );
  });

  it('restores with the original profile when the restore role may pass it, unless the fault drops it', async () => {
    const ok = worldOf(fast());
    const dropped = worldOf(
      fast({ faults: { restoreJob: { durationMinutes: 1, dropInstanceProfile: true } } }),
    );

    const okJob = await finish(ok, restore(ok, { ...plain, IamInstanceProfileName: DEMO.profileName }).id);
    const droppedJob = await finish(
      dropped,
      restore(dropped, { ...plain, IamInstanceProfileName: DEMO.profileName }).id,
    );

    expect(ok.ec2.associations.instanceProfileOf(okJob.createdInstanceId!)?.arn).toMatch(
      /instance-profile\/app-profile$/,
    );
    expect(dropped.ec2.associations.instanceProfileOf(droppedJob.createdInstanceId!)).toBeNull();
  });

  it('returns the same job for the same idempotency token', () => {
    const world = worldOf(fast());
    const request = {
      recoveryPointArn: latestPoint(world).arn,
      metadata: plain,
      iamRoleArn: world.restoreRoleArn,
      idempotencyToken: 'token-1',
      resourceType: 'EC2',
      copySourceTags: false,
    };

    expect(world.backup.startRestoreJob(request).id).toBe(world.backup.startRestoreJob(request).id);
    expect(world.restoreJobs.size).toBe(1);
  });

  it('enforces the Elastic IP quota', () => {
    const world = worldOf(demoScenario({ faults: { elasticIpQuota: 1 } }));
    world.ec2.addresses.allocateAddress({});

    expect(() => world.ec2.addresses.allocateAddress({})).toThrow(
      expect.objectContaining({ code: 'AddressLimitExceeded' }),
    );
  });

  it('refuses to terminate a protected instance until the attribute is changed', () => {
    const world = worldOf(demoScenario());
    world.ec2.instances.setDisableApiTermination(DEMO.instance, true);

    expect(() => world.ec2.instances.terminateInstances([DEMO.instance])).toThrow(
      expect.objectContaining({ code: 'OperationNotPermitted' }),
    );
    world.ec2.instances.setDisableApiTermination(DEMO.instance, false);
    expect(world.ec2.instances.terminateInstances([DEMO.instance])[0]).toMatchObject({
      previous: 'running',
      current: 'shutting-down',
    });
  });
});
