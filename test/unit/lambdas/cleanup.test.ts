import {
  type Address,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DisassociateAddressCommand,
  type Instance,
  ModifyInstanceAttributeCommand,
  ReleaseAddressCommand,
  type Tag,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { cleanUp } from '@lambdas/cleanup/cleanup';
import { step } from '@lambdas/cleanup/handler';
import { CleanupError, TransientAwsError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { BACKUP_SOURCE_TAG, TagKeys } from '@shared/tags';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const STRAY_INSTANCE = 'i-0cccccccccccccccc';
const OTHER_ALLOCATION = 'eipalloc-0bbbbbbbbbbbbbbbb';

const testState = () => stateAfter('ssh', { request: { instanceId: IDS.sourceInstance, mode: 'test' } });
const deps = () => ({ ec2: clients.ec2, now: () => at(1300), logger: captureLogger().logger });

const OTHER_EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:restore-instance:run-2';
const ourTestTags: Tag[] = [
  { Key: TagKeys.Execution, Value: IDS.executionArn },
  { Key: TagKeys.Mode, Value: 'test' },
];
/** The restore job's instance before TagResources: AWS Backup's tag only. */
const justRestored: Tag[] = [
  { Key: BACKUP_SOURCE_TAG, Value: `${IDS.sourceInstance}:ami-0aaaaaaaaaaaaaaaa` },
];

/**
 * What EC2 lists under this execution's tag, what it shows for the restore job's instance (by
 * default: tagged as this test execution's; null: gone), and every delete succeeding unless a
 * test says otherwise.
 */
function tagged(options: { instanceIds?: string[]; addresses?: Address[]; created?: Tag[] | null } = {}) {
  const instance = (InstanceId: string, Tags: Tag[]): Instance => ({
    InstanceId,
    State: { Code: 16, Name: 'running' },
    Tags,
  });
  mocks.ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: (options.instanceIds ?? []).map((id) => instance(id, ourTestTags)) }],
  });
  const created = options.created === undefined ? ourTestTags : options.created;
  mocks.ec2
    .on(DescribeInstancesCommand, { InstanceIds: [IDS.restoredInstance] })
    .resolves({ Reservations: created ? [{ Instances: [instance(IDS.restoredInstance, created)] }] : [] });
  mocks.ec2.on(DescribeAddressesCommand).resolves({ Addresses: options.addresses ?? [] });
  mocks.ec2.on(CreateTagsCommand).resolves({});
  mocks.ec2.on(TerminateInstancesCommand).resolves({});
  mocks.ec2.on(DisassociateAddressCommand).resolves({});
  mocks.ec2.on(ReleaseAddressCommand).resolves({});
  mocks.ec2.on(ModifyInstanceAttributeCommand).resolves({});
}

const ourAddress: Address = {
  AllocationId: IDS.allocationId,
  AssociationId: IDS.associationId,
  InstanceId: IDS.restoredInstance,
  PublicIp: IDS.publicIp,
};

describe('cleanup', () => {
  it('releases the execution’s Elastic IP and terminates the restore job’s instance', async () => {
    tagged({ instanceIds: [IDS.restoredInstance], addresses: [ourAddress] });

    const cleanup = await cleanUp(testState(), deps());

    expect(cleanup).toEqual({
      instanceTerminated: true,
      elasticIpReleased: true,
      terminatedInstanceIds: [IDS.restoredInstance],
      releasedAllocationIds: [IDS.allocationId],
      completedAt: at(1300).toISOString(),
    });
    expect(mocks.ec2).toHaveReceivedCommandWith(DisassociateAddressCommand, {
      AssociationId: IDS.associationId,
    });
    expect(mocks.ec2).toHaveReceivedCommandWith(ReleaseAddressCommand, { AllocationId: IDS.allocationId });
    expect(mocks.ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, {
      InstanceIds: [IDS.restoredInstance],
    });
    expect(mocks.ec2).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
  });

  it('finds its resources only by this execution’s tag, and only instances that are not terminated', async () => {
    tagged();

    await cleanUp(testState(), deps());

    const executionFilter = { Name: `tag:${TagKeys.Execution}`, Values: [IDS.executionArn] };
    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeAddressesCommand, { Filters: [executionFilter] });
    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        executionFilter,
        { Name: 'instance-state-name', Values: expect.not.arrayContaining(['terminated']) },
      ],
    });
  });

  it('also terminates any other instance carrying this execution’s tag', async () => {
    tagged({ instanceIds: [IDS.restoredInstance, STRAY_INSTANCE] });

    const cleanup = await cleanUp(testState(), deps());

    expect(cleanup.terminatedInstanceIds).toEqual([IDS.restoredInstance, STRAY_INSTANCE]);
    expect(mocks.ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [STRAY_INSTANCE] });
  });

  it('turns off termination protection on its own instance, then terminates it', async () => {
    tagged({ instanceIds: [IDS.restoredInstance] });
    mocks.ec2
      .on(TerminateInstancesCommand)
      .rejectsOnce(
        awsError(
          'OperationNotPermitted',
          'The instance may not be terminated. Modify its disableApiTermination attribute',
        ),
      )
      .resolves({});

    const cleanup = await cleanUp(testState(), deps());

    expect(mocks.ec2).toHaveReceivedCommandWith(ModifyInstanceAttributeCommand, {
      InstanceId: IDS.restoredInstance,
      DisableApiTermination: { Value: false },
    });
    expect(mocks.ec2).toHaveReceivedCommandTimes(TerminateInstancesCommand, 2);
    expect(cleanup.terminatedInstanceIds).toEqual([IDS.restoredInstance]);
  });

  it('treats resources that are already gone as cleaned up', async () => {
    tagged({ addresses: [ourAddress] });
    mocks.ec2.on(TerminateInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    mocks.ec2.on(DisassociateAddressCommand).rejects(awsError('InvalidAssociationID.NotFound'));
    mocks.ec2.on(ReleaseAddressCommand).rejects(awsError('InvalidAllocationID.NotFound'));

    const cleanup = await cleanUp(testState(), deps());

    expect(cleanup).toMatchObject({
      instanceTerminated: true,
      elasticIpReleased: true,
      terminatedInstanceIds: [IDS.restoredInstance],
      releasedAllocationIds: [IDS.allocationId],
    });
  });

  it('can run twice: the second run finds nothing tagged and succeeds', async () => {
    tagged({ instanceIds: [IDS.restoredInstance], addresses: [ourAddress] });
    await cleanUp(testState(), deps());
    tagged();

    const second = await cleanUp(testState(), deps());

    expect(second).toMatchObject({ elasticIpReleased: false, releasedAllocationIds: [] });
    expect(second.terminatedInstanceIds).toEqual([IDS.restoredInstance]);
  });

  it('touches nothing that is neither the restore job’s instance nor tagged with this execution', async () => {
    tagged();
    const base = testState();
    const state = {
      ...base,
      ...(base.restoreJob && { restoreJob: { ...base.restoreJob, createdInstanceId: null } }),
    };

    const cleanup = await cleanUp(state, deps());

    expect(cleanup).toMatchObject({ instanceTerminated: false, elasticIpReleased: false });
    expect(mocks.ec2).not.toHaveReceivedCommand(TerminateInstancesCommand);
    expect(mocks.ec2).not.toHaveReceivedCommand(ReleaseAddressCommand);
    expect(mocks.ec2).not.toHaveReceivedCommand(DisassociateAddressCommand);
    expect(mocks.ec2).not.toHaveReceivedCommand(ModifyInstanceAttributeCommand);
  });

  it('tries everything, then fails with CleanupError naming exactly what remains and how to remove it', async () => {
    tagged({ addresses: [ourAddress, { AllocationId: OTHER_ALLOCATION, PublicIp: '127.100.0.11' }] });
    mocks.ec2
      .on(ReleaseAddressCommand, { AllocationId: IDS.allocationId })
      .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    const error = await cleanUp(testState(), deps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CleanupError);
    const { message } = error as CleanupError;
    expect(message).toContain(`Still present: ${IDS.allocationId}.`);
    expect(message).toContain('UnauthorizedOperation');
    expect(message).toContain('aws ec2 release-address');
    expect(message).not.toContain(OTHER_ALLOCATION);
    expect(mocks.ec2).toHaveReceivedCommandWith(ReleaseAddressCommand, { AllocationId: OTHER_ALLOCATION });
    expect(mocks.ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, {
      InstanceIds: [IDS.restoredInstance],
    });
  });

  it('fails with CleanupError when termination is refused even with protection off', async () => {
    tagged();
    mocks.ec2.on(TerminateInstancesCommand).rejects(awsError('OperationNotPermitted'));

    const failure = cleanUp(testState(), deps());

    await expect(failure).rejects.toBeInstanceOf(CleanupError);
    await expect(failure).rejects.toThrow(`Still present: ${IDS.restoredInstance}.`);
  });

  it('fails with a retryable TransientAwsError when only throttling got in the way', async () => {
    tagged();
    mocks.ec2.on(TerminateInstancesCommand).rejects(awsError('RequestLimitExceeded'));

    const failure = cleanUp(testState(), deps());

    await expect(failure).rejects.toBeInstanceOf(TransientAwsError);
    await expect(failure).rejects.toThrow(IDS.restoredInstance);
  });

  it('reports what it could not list as a cleanup problem', async () => {
    tagged();
    mocks.ec2.on(DescribeAddressesCommand).rejects(awsError('UnauthorizedOperation'));

    const failure = cleanUp(testState(), deps());

    await expect(failure).rejects.toThrow(/listing the Elastic IPs tagged with this execution failed/);
    expect(mocks.ec2).toHaveReceivedCommand(TerminateInstancesCommand);
  });

  it('claims the restore job’s instance as this test execution’s before terminating it when the run failed before TagResources', async () => {
    tagged({ created: justRestored });

    const cleanup = await cleanUp(testState(), deps());

    expect(mocks.ec2).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [IDS.restoredInstance],
      Tags: [
        { Key: TagKeys.Execution, Value: IDS.executionArn },
        { Key: TagKeys.Mode, Value: 'test' },
      ],
    });
    const calls = mocks.ec2.calls().map((call) => call.args[0].constructor.name);
    expect(calls.indexOf('CreateTagsCommand')).toBeLessThan(calls.indexOf('TerminateInstancesCommand'));
    expect(cleanup.terminatedInstanceIds).toEqual([IDS.restoredInstance]);
  });

  it.each([
    [
      'tagged as a recovery-mode restore',
      [
        { Key: TagKeys.Execution, Value: IDS.executionArn },
        { Key: TagKeys.Mode, Value: 'recovery' },
      ],
      /never terminates anything but a test-mode restore/,
    ],
    [
      'tagged as another execution’s',
      [
        { Key: TagKeys.Execution, Value: OTHER_EXECUTION },
        { Key: TagKeys.Mode, Value: 'test' },
      ],
      /another execution's tag/,
    ],
    ['untagged and without AWS Backup’s tag', [], /carries no aws:backup:source-resource tag/],
  ])(
    'leaves the restore job’s instance alone when it is %s, and says it remains',
    async (_what, tags, reason) => {
      tagged({ created: tags });

      const failure = cleanUp(testState(), deps());

      await expect(failure).rejects.toBeInstanceOf(CleanupError);
      await expect(failure).rejects.toThrow(reason);
      await expect(failure).rejects.toThrow(`Still present: ${IDS.restoredInstance}.`);
      expect(mocks.ec2).not.toHaveReceivedCommand(TerminateInstancesCommand);
      expect(mocks.ec2).not.toHaveReceivedCommand(ModifyInstanceAttributeCommand);
      expect(mocks.ec2).not.toHaveReceivedCommand(CreateTagsCommand);
    },
  );

  it('counts the restore job’s instance as removed when EC2 no longer knows it', async () => {
    tagged({ created: null });

    const cleanup = await cleanUp(testState(), deps());

    expect(cleanup.terminatedInstanceIds).toEqual([IDS.restoredInstance]);
    expect(mocks.ec2).not.toHaveReceivedCommand(TerminateInstancesCommand);
  });

  it('refuses to run in recovery mode', async () => {
    tagged();

    await expect(cleanUp(stateAfter('ssh'), deps())).rejects.toThrow(TypeError);
    expect(mocks.ec2.calls()).toHaveLength(0);
  });

  it('runs through the Lambda handler', async () => {
    tagged({ addresses: [ourAddress] });
    const handler = createHandler(step, {
      env: {},
      clients,
      now: () => at(1300),
      logger: captureLogger().logger,
    });

    const cleanup = await handler(testState());

    expect(cleanup.elasticIpReleased).toBe(true);
  });
});
