import { step } from '@lambdas/validate-input/handler';
import { validateInput } from '@lambdas/validate-input/validate-input';
import { InvalidInputError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { IDS, initialState } from '@test/helpers/workflow-state';

function rejection(input: unknown): InvalidInputError {
  try {
    validateInput({ input });
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected InvalidInputError, but the input was accepted');
}

describe('validate-input', () => {
  it('fills in the contract defaults for a minimal request', () => {
    const request = validateInput({ input: { instanceId: IDS.sourceInstance } });

    expect(request).toEqual({
      instanceId: IDS.sourceInstance,
      overrides: {},
      instanceProfile: 'reattach',
      publicIp: 'auto',
      ssh: {
        enabled: true,
        username: 'ec2-user',
        port: 22,
        target: 'auto',
        timeoutSeconds: 600,
        privateKeyParameter: null,
      },
      mode: 'recovery',
      dryRun: false,
      restoreTimeoutMinutes: 240,
      tags: {},
    });
  });

  it('keeps every field of a full request', () => {
    const input = {
      resourceArn: `arn:aws:ec2:us-east-1:123456789012:instance/${IDS.sourceInstance}`,
      instanceId: IDS.sourceInstance,
      restorePointBefore: '2026-11-20T00:00:00Z',
      backupVaultName: 'EC2',
      overrides: {
        subnetId: IDS.subnet,
        securityGroupIds: [IDS.securityGroup],
        instanceType: 't3.small',
        requireImdsV2: true,
      },
      instanceProfile: 'passrole',
      publicIp: 'never',
      ssh: {
        enabled: false,
        username: 'ubuntu',
        port: 2222,
        target: 'private',
        timeoutSeconds: 120,
        privateKeyParameter: '/keys/app',
      },
      mode: 'test',
      dryRun: true,
      tags: { Ticket: 'OPS-123' },
    };

    expect(validateInput({ input })).toMatchObject(input);
  });

  it.each([
    ['a malformed instance id', { instanceId: 'i-123' }, 'instanceId'],
    ['no instance, resource or recovery point', { mode: 'test' }, 'instanceId'],
    ['an unknown enum value', { instanceId: IDS.sourceInstance, publicIp: 'sometimes' }, 'publicIp'],
    [
      'a restorePointBefore that is not ISO-8601',
      { instanceId: IDS.sourceInstance, restorePointBefore: '20 Nov 2026' },
      'restorePointBefore',
    ],
    [
      'a malformed security group id',
      { instanceId: IDS.sourceInstance, overrides: { securityGroupIds: ['sg-x'] } },
      'overrides.securityGroupIds.0',
    ],
    ['a misspelt field', { instanceId: IDS.sourceInstance, dryrun: true }, 'dryrun'],
    ['a port of the wrong type', { instanceId: IDS.sourceInstance, ssh: { port: '22' } }, 'ssh.port'],
    [
      'a reserved tag key',
      { instanceId: IDS.sourceInstance, tags: { 'ec2-restore:execution': 'x' } },
      'tags',
    ],
    [
      'a resourceArn naming another instance',
      {
        instanceId: IDS.sourceInstance,
        resourceArn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0aaaaaaaaaaaaaaaa',
      },
      'resourceArn',
    ],
    [
      'a recovery point ARN that is not an AMI',
      { recoveryPointArn: 'arn:aws:backup:us-east-1:123456789012:recovery-point:abc' },
      'recoveryPointArn',
    ],
  ])('rejects %s and names the field', (_what, input, field) => {
    const error = rejection(input);

    expect(error.name).toBe('InvalidInputError');
    expect(error.fields).toContain(field);
    expect(error.message).toContain(field);
  });

  it('rejects input that is not an object without echoing a huge value', () => {
    const error = rejection('x'.repeat(100_000));

    expect(error.message.length).toBeLessThan(200);
  });

  it('surfaces InvalidInputError through the Lambda handler unchanged', async () => {
    const handler = createHandler(step, { env: {} });

    await expect(handler(initialState({ instanceId: 'nope' }))).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
  });
});
