import { CreateTagsCommand, DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { step } from '@lambdas/tag-resources/handler';
import { restoredName, type TagResourcesDeps, tagResources } from '@lambdas/tag-resources/tag-resources';
import { InstanceNotRunningError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { BACKUP_SOURCE_TAG, TagKeys } from '@shared/tags';
import { captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const NOW = at(1245);
const VOLUME = 'vol-0aaaaaaaaaaaaaaaa';

function deps(): TagResourcesDeps {
  return { ec2: clients.ec2, now: () => NOW, logger: captureLogger().logger };
}

function ec2Shows(instance: Partial<Instance> = {}): void {
  mocks.ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: IDS.restoredInstance,
            State: { Code: 16, Name: 'running' },
            Tags: [BACKUP_TAG],
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: VOLUME } }],
            ...instance,
          },
        ],
      },
    ],
  });
  mocks.ec2.on(CreateTagsCommand).resolves({});
}

const BACKUP_TAG = { Key: BACKUP_SOURCE_TAG, Value: `${IDS.sourceInstance}:ami-0aaaaaaaaaaaaaaaa` };

/** Every tag written to this resource, over all CreateTags calls. */
function tagsSentTo(resourceId: string): Record<string, string> {
  return Object.fromEntries(writesTo(resourceId).flatMap((tags) => Object.entries(tags)));
}

/** The tags of each CreateTags call on this resource, in order. */
function writesTo(resourceId: string): Record<string, string>[] {
  return mocks.ec2
    .commandCalls(CreateTagsCommand)
    .filter((c) => c.args[0].input.Resources?.includes(resourceId))
    .map((c) => Object.fromEntries((c.args[0].input.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
}

describe('tag-resources', () => {
  it('tags the instance with the execution ARN, source, mode, recovery point, request tags and a Name', async () => {
    ec2Shows();
    const state = stateAfter('instance', {
      request: { instanceId: IDS.sourceInstance, mode: 'test', tags: { Ticket: 'OPS-123' } },
    });

    const tagging = await tagResources(state, deps());

    const expected = {
      [TagKeys.Execution]: IDS.executionArn,
      [TagKeys.SourceInstance]: IDS.sourceInstance,
      [TagKeys.Mode]: 'test',
      [TagKeys.RecoveryPoint]: IDS.recoveryPointArn,
      Ticket: 'OPS-123',
      Name: 'app-server (restored 2026-11-28)',
    };
    expect(tagsSentTo(IDS.restoredInstance)).toEqual(expected);
    expect(tagging).toEqual({ taggedResourceIds: [IDS.restoredInstance, VOLUME], tags: expected });
  });

  it('tags the EBS volumes with the same workflow tags but leaves their names alone', async () => {
    ec2Shows();
    const state = stateAfter('instance', {
      request: { instanceId: IDS.sourceInstance, tags: { Ticket: 'OPS-123' } },
    });

    await tagResources(state, deps());

    const volumeTags = tagsSentTo(VOLUME);
    expect(volumeTags).toMatchObject({ [TagKeys.Execution]: IDS.executionArn, Ticket: 'OPS-123' });
    expect(volumeTags).not.toHaveProperty('Name');
  });

  it('does not overwrite a Name the instance already has', async () => {
    ec2Shows({ Tags: [BACKUP_TAG, { Key: 'Name', Value: 'named by an operator' }] });

    const tagging = await tagResources(stateAfter('instance'), deps());

    expect(tagsSentTo(IDS.restoredInstance)).not.toHaveProperty('Name');
    expect(tagsSentTo(IDS.restoredInstance)).toHaveProperty(TagKeys.Execution, IDS.executionArn);
    expect(tagging.tags).not.toHaveProperty('Name');
  });

  it('uses a Name given in the request tags instead of making one up', async () => {
    ec2Shows();
    const state = stateAfter('instance', {
      request: { instanceId: IDS.sourceInstance, tags: { Name: 'dr-drill' } },
    });

    await tagResources(state, deps());

    expect(tagsSentTo(IDS.restoredInstance)).toHaveProperty('Name', 'dr-drill');
  });

  it('names the restore after the source instance id when the source had no Name', () => {
    expect(restoredName(null, IDS.sourceInstance, NOW)).toBe(`${IDS.sourceInstance} (restored 2026-11-28)`);
    expect(restoredName('  ', IDS.sourceInstance, NOW)).toBe(`${IDS.sourceInstance} (restored 2026-11-28)`);
  });

  it('tags no volume when the instance has none listed', async () => {
    ec2Shows({ BlockDeviceMappings: [] });

    const tagging = await tagResources(stateAfter('instance'), deps());

    expect(mocks.ec2).toHaveReceivedCommandTimes(CreateTagsCommand, 2);
    expect(writesTo(VOLUME)).toEqual([]);
    expect(tagging.taggedResourceIds).toEqual([IDS.restoredInstance]);
  });

  it('claims the instance first: the identity tags alone, then the request’s tags and the Name', async () => {
    ec2Shows();
    const state = stateAfter('instance', {
      request: { instanceId: IDS.sourceInstance, mode: 'recovery', tags: { Ticket: 'OPS-123' } },
    });

    await tagResources(state, deps());

    expect(writesTo(IDS.restoredInstance)).toEqual([
      {
        [TagKeys.Execution]: IDS.executionArn,
        [TagKeys.SourceInstance]: IDS.sourceInstance,
        [TagKeys.Mode]: 'recovery',
        [TagKeys.RecoveryPoint]: IDS.recoveryPointArn,
      },
      { Ticket: 'OPS-123', Name: 'app-server (restored 2026-11-28)' },
    ]);
  });

  it('does not claim again an instance this execution already tagged (a retried step)', async () => {
    ec2Shows({
      Tags: [
        BACKUP_TAG,
        { Key: TagKeys.Execution, Value: IDS.executionArn },
        { Key: TagKeys.Mode, Value: 'recovery' },
      ],
    });

    await tagResources(stateAfter('instance'), deps());

    const [first, ...rest] = writesTo(IDS.restoredInstance);
    expect(rest).toEqual([]);
    expect(Object.keys(first ?? {})).toEqual(['Name']);
  });

  it('fails with InstanceNotRunningError, tagging nothing, when the instance carries another execution’s tag', async () => {
    ec2Shows({ Tags: [BACKUP_TAG, { Key: TagKeys.Execution, Value: `${IDS.executionArn}-other` }] });

    const failure = tagResources(stateAfter('instance'), deps());

    await expect(failure).rejects.toBeInstanceOf(InstanceNotRunningError);
    await expect(failure).rejects.toThrow(/another execution's tag/);
    expect(mocks.ec2).toHaveReceivedCommandTimes(CreateTagsCommand, 0);
  });

  it('fails, tagging nothing, when the instance carries no AWS Backup tag (the policies would refuse the claim)', async () => {
    ec2Shows({ Tags: [] });

    const failure = tagResources(stateAfter('instance'), deps());

    await expect(failure).rejects.toThrow(/carries no aws:backup:source-resource tag/);
    expect(mocks.ec2).toHaveReceivedCommandTimes(CreateTagsCommand, 0);
  });

  it('fails with InstanceNotRunningError, tagging nothing, when the instance is gone', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    const failure = tagResources(stateAfter('instance'), deps());

    await expect(failure).rejects.toBeInstanceOf(InstanceNotRunningError);
    expect(mocks.ec2).toHaveReceivedCommandTimes(CreateTagsCommand, 0);
  });

  it('runs through the Lambda handler', async () => {
    ec2Shows();
    const handler = createHandler(step, { env: {}, clients, now: () => NOW, logger: captureLogger().logger });

    const tagging = await handler(stateAfter('instance'));

    expect(tagging.taggedResourceIds).toContain(IDS.restoredInstance);
  });
});
