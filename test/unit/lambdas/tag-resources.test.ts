import { CreateTagsCommand, DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { step } from '@lambdas/tag-resources/handler';
import { restoredName, type TagResourcesDeps, tagResources } from '@lambdas/tag-resources/tag-resources';
import { InstanceNotRunningError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { TagKeys } from '@shared/tags';
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
            Tags: [
              { Key: 'aws:backup:source-resource', Value: `${IDS.sourceInstance}:ami-0aaaaaaaaaaaaaaaa` },
            ],
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: VOLUME } }],
            ...instance,
          },
        ],
      },
    ],
  });
  mocks.ec2.on(CreateTagsCommand).resolves({});
}

function tagsSentTo(resourceId: string): Record<string, string> {
  const call = mocks.ec2
    .commandCalls(CreateTagsCommand)
    .find((c) => c.args[0].input.Resources?.includes(resourceId));
  return Object.fromEntries((call?.args[0].input.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
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
    ec2Shows({ Tags: [{ Key: 'Name', Value: 'named by an operator' }] });

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

  it('makes a single CreateTags call when the instance has no EBS volumes listed', async () => {
    ec2Shows({ BlockDeviceMappings: [] });

    const tagging = await tagResources(stateAfter('instance'), deps());

    expect(mocks.ec2).toHaveReceivedCommandTimes(CreateTagsCommand, 1);
    expect(tagging.taggedResourceIds).toEqual([IDS.restoredInstance]);
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
