/** The fleet's own steps: target resolution (ids or recovery-point tags) and the summary. */
import {
  ListBackupVaultsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListTagsCommand,
  type RecoveryPointByBackupVault,
} from '@aws-sdk/client-backup';
import {
  childExecutionName,
  resolveFleetTargets,
} from '@lambdas/resolve-fleet-targets/resolve-fleet-targets';
import { summariseFleet } from '@lambdas/summarise-fleet/summarise-fleet';
import { InvalidInputError } from '@shared/errors';
import { rejection } from '@test/helpers/failure';
import { mockAws } from '@test/helpers/sdk-mocks';

const { clients, mocks } = mockAws();
const deps = () => ({ backup: clients.backup });
const arn = (id: string) => `arn:aws:ec2:us-east-1:123456789012:instance/${id}`;
const A = 'i-0000000000000000a';
const B = 'i-0000000000000000b';
const C = 'i-0000000000000000c';
const D = 'i-0000000000000000d';

function point(
  instanceId: string,
  day: number,
  status = 'COMPLETED',
  vault = 'EC2',
): RecoveryPointByBackupVault {
  return {
    RecoveryPointArn: `arn:aws:ec2:us-east-1::image/ami-${instanceId.slice(-1)}${day}${vault.length}0000000000000`,
    ResourceArn: arn(instanceId),
    ResourceType: 'EC2',
    BackupVaultName: vault,
    Status: status as RecoveryPointByBackupVault['Status'],
    CreationDate: new Date(Date.UTC(2026, 10, day, 21)),
  };
}

describe('resolve-fleet-targets', () => {
  it('turns explicit ids into one child input each, with the defaults and the vault, and calls no AWS API', async () => {
    const plan = await resolveFleetTargets(
      {
        instanceIds: [A, B],
        backupVaultName: 'EC2',
        maxConcurrency: 3,
        defaults: { mode: 'test', publicIp: 'never' },
      },
      'dr-2026-11-29',
      deps(),
    );

    expect(plan.targets).toEqual([
      {
        instanceId: A,
        executionName: childExecutionName('dr-2026-11-29', A),
        input: { mode: 'test', publicIp: 'never', instanceId: A, backupVaultName: 'EC2' },
      },
      expect.objectContaining({ instanceId: B }),
    ]);
    expect(plan.request.maxConcurrency).toBe(3);
    expect(mocks.backup.calls()).toHaveLength(0);
  });

  it('matches a tag on the newest point of each resource, de-duplicated across vaults, and reports matches with nothing restorable', async () => {
    mocks.backup.on(ListBackupVaultsCommand).resolves({
      BackupVaultList: [{ BackupVaultName: 'EC2' }, { BackupVaultName: 'Copies' }],
    });
    const aNewest = point(A, 28);
    const cNewest = point(C, 28, 'PARTIAL');
    mocks.backup
      .on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: 'EC2' })
      .resolves({ RecoveryPoints: [point(A, 27), aNewest, point(B, 28), cNewest, point(C, 27, 'EXPIRED')] })
      .on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: 'Copies' })
      .resolves({ RecoveryPoints: [point(A, 26, 'COMPLETED', 'Copies')] });
    mocks.backup
      .on(ListTagsCommand)
      .resolves({ Tags: { AWSBackup: 'other' } })
      .on(ListTagsCommand, { ResourceArn: aNewest.RecoveryPointArn })
      .resolves({ Tags: { AWSBackup: 'EC2' } })
      .on(ListTagsCommand, { ResourceArn: cNewest.RecoveryPointArn })
      .resolves({ Tags: { AWSBackup: 'EC2' } });

    const plan = await resolveFleetTargets({ tag: { key: 'AWSBackup', value: 'EC2' } }, 'fleet-1', deps());

    expect(plan.targets.map((t) => t.instanceId)).toEqual([A]);
    expect(plan.unusable).toEqual([
      expect.objectContaining({
        instanceId: C,
        status: 'FAILED',
        error: 'NoRecoveryPointError',
        cause: expect.stringMatching(/2 recovery point\(s\).*none COMPLETED; latest PARTIAL/),
      }),
    ]);
    // One ListTags per resource (A, B, C), not per point.
    expect(mocks.backup.commandCalls(ListTagsCommand)).toHaveLength(3);
    expect(plan.note).toBeNull();
  });

  it('explains an empty fleet instead of failing', async () => {
    mocks.backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [point(A, 28)] });
    mocks.backup.on(ListTagsCommand).resolves({ Tags: {} });

    const plan = await resolveFleetTargets(
      { tag: { key: 'Team', value: 'nobody' }, backupVaultName: 'EC2' },
      'fleet-2',
      deps(),
    );

    expect(plan).toMatchObject({ targets: [], unusable: [] });
    expect(plan.note).toMatch(/No recovery point in vault\(s\) EC2 carries the tag Team=nobody/);
  });

  it.each([
    [{}, 'instanceIds'],
    [{ instanceIds: [A], tag: { key: 'k', value: 'v' } }, 'instanceIds'],
    [{ instanceIds: [A, A] }, 'instanceIds'],
    [{ instanceIds: ['i-bad'] }, 'instanceIds.0'],
    [{ instanceIds: [A], maxConcurrency: 41 }, 'maxConcurrency'],
    [{ instanceIds: [A], defaults: { instanceId: B } }, 'defaults.instanceId'],
    [{ instanceIds: [A], defaults: { publicIp: 'sometimes' } }, 'defaults.publicIp'],
  ])('rejects %j with InvalidInputError naming %s', async (input, field) => {
    const error = await rejection(resolveFleetTargets(input, 'fleet', deps()));

    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).fields).toContain(field);
  });

  it('names children within 80 characters, the same for the same fleet execution', () => {
    const long = 'x'.repeat(80);

    expect(childExecutionName(long, A).length).toBeLessThanOrEqual(80);
    expect(childExecutionName(long, A)).toBe(childExecutionName(long, A));
    expect(childExecutionName(`${long.slice(0, 79)}y`, A)).not.toBe(childExecutionName(long, A));
  });
});

describe('summarise-fleet', () => {
  it('counts and sorts every result, children and unusable sources alike, marking those without a child', () => {
    const output = summariseFleet({
      results: [
        { instanceId: B, executionArn: 'arn:b', status: 'RESTORED' },
        {
          instanceId: A,
          status: 'FAILED',
          executionArn: 'arn:a',
          error: 'PublicAddressError',
          cause: 'quota',
        },
        {
          instanceId: D,
          status: 'FAILED',
          error: 'StepFunctions.ExecutionLimitExceededException',
          cause: 'too many',
        },
      ],
      unusable: [{ instanceId: C, status: 'FAILED', error: 'NoRecoveryPointError', cause: 'none COMPLETED' }],
      note: null,
    });

    expect(output).toMatchObject({ total: 4, succeeded: 1, failed: 3 });
    expect(output.results.map((r) => r.instanceId)).toEqual([A, B, C, D]);
    expect(output.results[0]).toEqual({
      instanceId: A,
      status: 'FAILED',
      executionArn: 'arn:a',
      error: 'PublicAddressError',
      cause: 'quota',
    });
    expect(output.results[2]).toMatchObject({ error: 'NoRecoveryPointError', executionArn: null });
    expect(output.results[3]).toMatchObject({
      error: expect.stringMatching(/ExecutionLimit/),
      executionArn: null,
    });
  });
});
