import {
  DescribeRecoveryPointCommand,
  type DescribeRecoveryPointCommandOutput,
  ListBackupVaultsCommand,
  ListRecoveryPointsByResourceCommand,
  type RecoveryPointByResource,
  type RecoveryPointStatus,
} from '@aws-sdk/client-backup';
import { step } from '@lambdas/select-recovery-point/handler';
import {
  executionArnParts,
  type SelectRecoveryPointDeps,
  selectRecoveryPoint,
} from '@lambdas/select-recovery-point/select-recovery-point';
import { NoRecoveryPointError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import type { RestoreRequestInput } from '@shared/restore-request';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { IDS, stateAfter, T0 } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const RESOURCE_ARN = `arn:aws:ec2:${IDS.region}:${IDS.account}:instance/${IDS.sourceInstance}`;

function deps(overrides: Partial<SelectRecoveryPointDeps> = {}): SelectRecoveryPointDeps {
  return {
    backup: clients.backup,
    now: () => new Date(T0),
    region: IDS.region,
    accountId: IDS.account,
    logger: captureLogger().logger,
    ...overrides,
  };
}

function state(request: RestoreRequestInput = { instanceId: IDS.sourceInstance }) {
  return stateAfter('validate', { request });
}

function ami(n: number): string {
  return `arn:aws:ec2:${IDS.region}::image/ami-${n.toString(16).padStart(17, '0')}`;
}

function point(
  arn: string,
  creationDate: string,
  status: RecoveryPointStatus = 'COMPLETED',
  vault: string = IDS.vault,
): RecoveryPointByResource {
  return {
    RecoveryPointArn: arn,
    CreationDate: new Date(creationDate),
    Status: status,
    BackupVaultName: vault,
  };
}

/** ListRecoveryPointsByResource answering page by page, keyed by the NextToken sent. */
function listPages(pages: Record<string, { points: RecoveryPointByResource[]; next?: string }>): void {
  mocks.backup.on(ListRecoveryPointsByResourceCommand).callsFake((input: { NextToken?: string }) => {
    const page = pages[input.NextToken ?? 'first'];
    if (!page) throw new Error(`unexpected NextToken ${input.NextToken}`);
    return { RecoveryPoints: page.points, NextToken: page.next };
  });
}

function described(
  overrides: Partial<DescribeRecoveryPointCommandOutput> = {},
): DescribeRecoveryPointCommandOutput {
  return {
    $metadata: {},
    RecoveryPointArn: IDS.recoveryPointArn,
    BackupVaultName: IDS.vault,
    ResourceArn: RESOURCE_ARN,
    ResourceType: 'EC2',
    Status: 'COMPLETED',
    CreationDate: new Date('2026-11-27T21:00:00Z'),
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<NoRecoveryPointError> {
  const error = await promise.then(
    () => new Error('expected NoRecoveryPointError, but a point was selected'),
    (e: unknown) => e,
  );
  if (error instanceof NoRecoveryPointError) return error;
  throw error;
}

describe('select-recovery-point', () => {
  describe('latest', () => {
    it('reads every page and picks the newest COMPLETED point, wherever it is', async () => {
      listPages({
        first: {
          points: [point(ami(1), '2026-11-25T21:00:00Z'), point(ami(2), '2026-11-26T21:00:00Z')],
          next: 'page-2',
        },
        'page-2': { points: [point(ami(3), '2026-11-27T21:00:00Z')], next: 'page-3' },
        'page-3': { points: [point(ami(4), '2026-11-24T21:00:00Z')] },
      });

      const selection = await selectRecoveryPoint(state(), deps());

      expect(mocks.backup).toHaveReceivedCommandTimes(ListRecoveryPointsByResourceCommand, 3);
      expect(mocks.backup).toHaveReceivedNthSpecificCommandWith(2, ListRecoveryPointsByResourceCommand, {
        ResourceArn: RESOURCE_ARN,
        NextToken: 'page-2',
      });
      expect(selection.recoveryPoint.arn).toBe(ami(3));
      expect(selection.candidates.map((c) => c.arn)).toEqual([ami(3), ami(2), ami(1), ami(4)]);
    });

    it('sorts by CreationDate itself when the API returns points out of order', async () => {
      listPages({
        first: {
          points: [
            point(ami(1), '2026-11-26T21:00:00Z'),
            point(ami(2), '2026-11-27T21:00:00Z'),
            point(ami(3), '2026-11-25T21:00:00Z'),
          ],
        },
      });

      const selection = await selectRecoveryPoint(state(), deps());

      expect(selection.recoveryPoint.arn).toBe(ami(2));
      expect(selection.candidates.map((c) => c.creationDate)).toEqual([
        '2026-11-27T21:00:00.000Z',
        '2026-11-26T21:00:00.000Z',
        '2026-11-25T21:00:00.000Z',
      ]);
    });

    it('records the resource, ISO timestamps and the age of the point (the achieved RPO)', async () => {
      listPages({ first: { points: [point(IDS.recoveryPointArn, '2026-11-27T21:00:00Z')] } });

      const selection = await selectRecoveryPoint(state(), deps());

      expect(selection).toEqual({
        strategy: 'latest',
        resourceArn: RESOURCE_ARN,
        sourceInstanceId: IDS.sourceInstance,
        region: IDS.region,
        accountId: IDS.account,
        recoveryPoint: {
          arn: IDS.recoveryPointArn,
          backupVaultName: IDS.vault,
          creationDate: '2026-11-27T21:00:00.000Z',
          status: 'COMPLETED',
          ageSeconds: 13 * 3600,
        },
        candidates: [
          { arn: IDS.recoveryPointArn, backupVaultName: IDS.vault, creationDate: '2026-11-27T21:00:00.000Z' },
        ],
        completedAt: T0,
      });
    });

    it('builds the resource ARN in the partition, Region and account it is given', async () => {
      listPages({ first: { points: [point(ami(1), '2026-11-27T21:00:00Z')] } });

      const selection = await selectRecoveryPoint(
        state(),
        deps({ partition: 'aws-cn', region: 'cn-north-1', accountId: '210987654321' }),
      );

      expect(selection.resourceArn).toBe(
        `arn:aws-cn:ec2:cn-north-1:210987654321:instance/${IDS.sourceInstance}`,
      );
      expect(mocks.backup).toHaveReceivedCommandWith(ListRecoveryPointsByResourceCommand, {
        ResourceArn: selection.resourceArn,
      });
    });

    it('uses the request resourceArn as given, with its own Region and account', async () => {
      const resourceArn = `arn:aws:ec2:eu-west-1:210987654321:instance/${IDS.sourceInstance}`;
      listPages({ first: { points: [point(ami(1), '2026-11-27T21:00:00Z')] } });

      const selection = await selectRecoveryPoint(state({ resourceArn }), deps());

      expect(mocks.backup).toHaveReceivedCommandWith(ListRecoveryPointsByResourceCommand, {
        ResourceArn: resourceArn,
      });
      expect(selection).toMatchObject({ resourceArn, region: 'eu-west-1', accountId: '210987654321' });
    });

    it('skips PARTIAL and EXPIRED points and accepts AVAILABLE ones', async () => {
      listPages({
        first: {
          points: [
            point(ami(1), '2026-11-27T21:00:00Z', 'PARTIAL'),
            point(ami(2), '2026-11-26T21:00:00Z', 'AVAILABLE'),
            point(ami(3), '2026-11-25T21:00:00Z', 'EXPIRED'),
            point(ami(4), '2026-11-24T21:00:00Z'),
          ],
        },
      });

      const selection = await selectRecoveryPoint(state(), deps());

      expect(selection.recoveryPoint).toMatchObject({ arn: ami(2), status: 'AVAILABLE' });
      expect(selection.candidates.map((c) => c.arn)).toEqual([ami(2), ami(4)]);
    });

    it('keeps at most 10 candidates, newest first', async () => {
      const points = Array.from({ length: 14 }, (_, i) =>
        point(ami(i + 1), new Date(Date.parse('2026-11-01T21:00:00Z') + i * 86_400_000).toISOString()),
      );
      listPages({ first: { points } });

      const selection = await selectRecoveryPoint(state(), deps());

      expect(selection.candidates).toHaveLength(10);
      expect(selection.candidates[0]?.arn).toBe(ami(14));
      expect(selection.candidates[9]?.arn).toBe(ami(5));
    });

    it('says how many points there are and the latest status when none is COMPLETED', async () => {
      listPages({
        first: {
          points: [
            point(ami(1), '2026-11-25T21:00:00Z', 'EXPIRED'),
            point(ami(2), '2026-11-27T21:00:00Z', 'PARTIAL'),
            point(ami(3), '2026-11-26T21:00:00Z', 'CREATING'),
          ],
        },
      });

      const error = await rejection(selectRecoveryPoint(state(), deps()));

      expect(error.name).toBe('NoRecoveryPointError');
      expect(error.message).toContain(`3 recovery point(s) for ${IDS.sourceInstance}`);
      expect(error.message).toContain('none COMPLETED; latest PARTIAL at 2026-11-27T21:00:00Z');
    });

    it('asks whether the instance is tagged for backup when it has no recovery points at all', async () => {
      listPages({ first: { points: [] } });

      const error = await rejection(selectRecoveryPoint(state(), deps()));

      expect(error.message).toContain(`No recovery points at all for ${RESOURCE_ARN}`);
      expect(error.message).toContain('tagged for backup');
    });

    it('treats ResourceNotFoundException from AWS Backup as no recovery points', async () => {
      mocks.backup
        .on(ListRecoveryPointsByResourceCommand)
        .rejects(awsError('ResourceNotFoundException', 'Resource not found'));

      const error = await rejection(selectRecoveryPoint(state(), deps()));

      expect(error.message).toContain('No recovery points at all');
    });

    it('lets throttling propagate for the state machine to retry', async () => {
      mocks.backup
        .on(ListRecoveryPointsByResourceCommand)
        .rejects(awsError('ThrottlingException', 'Rate exceeded'));

      await expect(selectRecoveryPoint(state(), deps())).rejects.toMatchObject({
        name: 'ThrottlingException',
      });
    });
  });

  describe('latest at or before', () => {
    it('picks the newest COMPLETED point at or before restorePointBefore, the boundary included', async () => {
      listPages({
        first: {
          points: [
            point(ami(1), '2026-11-21T21:00:00Z'),
            point(ami(2), '2026-11-19T21:00:00Z', 'PARTIAL'),
            point(ami(3), '2026-11-18T21:00:00Z'),
            point(ami(4), '2026-11-20T00:00:00Z'),
            point(ami(5), '2026-11-17T21:00:00Z'),
          ],
        },
      });

      const selection = await selectRecoveryPoint(
        state({ instanceId: IDS.sourceInstance, restorePointBefore: '2026-11-20T00:00:00Z' }),
        deps(),
      );

      expect(selection.strategy).toBe('latest-at-or-before');
      expect(selection.recoveryPoint.arn).toBe(ami(4));
      expect(selection.candidates.map((c) => c.arn)).toEqual([ami(4), ami(3), ami(5)]);
    });

    it('compares instants, not text, when restorePointBefore has a time zone offset', async () => {
      listPages({
        first: { points: [point(ami(1), '2026-11-20T08:00:00Z'), point(ami(2), '2026-11-19T21:00:00Z')] },
      });

      const selection = await selectRecoveryPoint(
        state({ instanceId: IDS.sourceInstance, restorePointBefore: '2026-11-20T09:00:00+09:00' }),
        deps(),
      );

      expect(selection.recoveryPoint.arn).toBe(ami(2));
    });

    it('names the oldest COMPLETED point when every one is after restorePointBefore', async () => {
      listPages({
        first: { points: [point(ami(1), '2026-11-22T21:00:00Z'), point(ami(2), '2026-11-21T21:00:00Z')] },
      });

      const error = await rejection(
        selectRecoveryPoint(
          state({ instanceId: IDS.sourceInstance, restorePointBefore: '2026-11-20T00:00:00Z' }),
          deps(),
        ),
      );

      expect(error.message).toContain('at or before 2026-11-20T00:00:00Z');
      expect(error.message).toContain('the oldest COMPLETED one is from 2026-11-21T21:00:00Z');
    });
  });

  describe('vault filter', () => {
    it('considers only points in the named vault', async () => {
      listPages({
        first: {
          points: [
            point(ami(1), '2026-11-27T21:00:00Z', 'COMPLETED', 'Other'),
            point(ami(2), '2026-11-26T21:00:00Z', 'COMPLETED', IDS.vault),
            point(ami(3), '2026-11-25T21:00:00Z', 'COMPLETED', 'Other'),
          ],
        },
      });

      const selection = await selectRecoveryPoint(
        state({ instanceId: IDS.sourceInstance, backupVaultName: IDS.vault }),
        deps(),
      );

      expect(selection.recoveryPoint).toMatchObject({ arn: ami(2), backupVaultName: IDS.vault });
      expect(selection.candidates.map((c) => c.backupVaultName)).toEqual([IDS.vault]);
    });

    it('says which vaults do hold points when the named one holds none', async () => {
      listPages({ first: { points: [point(ami(1), '2026-11-27T21:00:00Z', 'COMPLETED', 'Other')] } });

      const error = await rejection(
        selectRecoveryPoint(state({ instanceId: IDS.sourceInstance, backupVaultName: IDS.vault }), deps()),
      );

      expect(error.message).toContain(`none in vault ${IDS.vault}`);
      expect(error.message).toContain('they are in: Other');
    });
  });

  describe('explicit recovery point', () => {
    it('describes the point in the named vault and takes the instance from its ResourceArn', async () => {
      mocks.backup.on(DescribeRecoveryPointCommand).resolves(described());

      const selection = await selectRecoveryPoint(
        state({ recoveryPointArn: IDS.recoveryPointArn, backupVaultName: IDS.vault }),
        deps(),
      );

      expect(mocks.backup).toHaveReceivedCommandWith(DescribeRecoveryPointCommand, {
        BackupVaultName: IDS.vault,
        RecoveryPointArn: IDS.recoveryPointArn,
      });
      expect(mocks.backup).not.toHaveReceivedCommand(ListBackupVaultsCommand);
      expect(mocks.backup).not.toHaveReceivedCommand(ListRecoveryPointsByResourceCommand);
      expect(selection).toMatchObject({
        strategy: 'explicit',
        resourceArn: RESOURCE_ARN,
        sourceInstanceId: IDS.sourceInstance,
        recoveryPoint: {
          arn: IDS.recoveryPointArn,
          backupVaultName: IDS.vault,
          status: 'COMPLETED',
          ageSeconds: 46_800,
        },
      });
      expect(selection.candidates).toEqual([
        { arn: IDS.recoveryPointArn, backupVaultName: IDS.vault, creationDate: '2026-11-27T21:00:00.000Z' },
      ]);
    });

    it('searches every vault, across pages, when no vault is named', async () => {
      mocks.backup
        .on(ListBackupVaultsCommand)
        .resolvesOnce({ BackupVaultList: [{ BackupVaultName: 'Default' }], NextToken: 'v2' })
        .resolvesOnce({ BackupVaultList: [{ BackupVaultName: IDS.vault }, { BackupVaultName: 'Later' }] });
      mocks.backup
        .on(DescribeRecoveryPointCommand)
        .rejects(awsError('ResourceNotFoundException'))
        .on(DescribeRecoveryPointCommand, { BackupVaultName: IDS.vault })
        .resolves(described());

      const selection = await selectRecoveryPoint(state({ recoveryPointArn: IDS.recoveryPointArn }), deps());

      expect(mocks.backup).toHaveReceivedNthSpecificCommandWith(2, ListBackupVaultsCommand, {
        NextToken: 'v2',
      });
      const vaultsAsked = mocks.backup
        .commandCalls(DescribeRecoveryPointCommand)
        .map((c) => c.args[0].input.BackupVaultName);
      expect(vaultsAsked).toEqual(['Default', IDS.vault]);
      expect(selection.recoveryPoint.backupVaultName).toBe(IDS.vault);
    });

    it('fails with NoRecoveryPointError naming the vaults searched when none holds the point', async () => {
      mocks.backup
        .on(ListBackupVaultsCommand)
        .resolves({ BackupVaultList: [{ BackupVaultName: 'Default' }] });
      mocks.backup.on(DescribeRecoveryPointCommand).rejects(awsError('ResourceNotFoundException'));

      const error = await rejection(
        selectRecoveryPoint(state({ recoveryPointArn: IDS.recoveryPointArn }), deps()),
      );

      expect(error.message).toContain('in none of the 1 backup vault(s) in us-east-1 (Default)');
    });

    it('fails with NoRecoveryPointError when the point is not in the named vault', async () => {
      mocks.backup.on(DescribeRecoveryPointCommand).rejects(awsError('ResourceNotFoundException'));

      const error = await rejection(
        selectRecoveryPoint(
          state({ recoveryPointArn: IDS.recoveryPointArn, backupVaultName: 'Nope' }),
          deps(),
        ),
      );

      expect(error.message).toContain('is not in backup vault Nope');
    });

    it('rejects a point that is not COMPLETED, saying its status and why', async () => {
      mocks.backup
        .on(DescribeRecoveryPointCommand)
        .resolves(described({ Status: 'PARTIAL', StatusMessage: 'snapshot of vol-1 failed' }));

      const error = await rejection(
        selectRecoveryPoint(
          state({ recoveryPointArn: IDS.recoveryPointArn, backupVaultName: IDS.vault }),
          deps(),
        ),
      );

      expect(error.message).toContain('is PARTIAL, not COMPLETED');
      expect(error.message).toContain('snapshot of vol-1 failed');
    });

    it('rejects a point whose resource is not an EC2 instance', async () => {
      mocks.backup.on(DescribeRecoveryPointCommand).resolves(
        described({
          ResourceType: 'EBS',
          ResourceArn: 'arn:aws:ec2:us-east-1:123456789012:volume/vol-0aaaaaaaaaaaaaaaa',
        }),
      );

      const error = await rejection(
        selectRecoveryPoint(
          state({ recoveryPointArn: IDS.recoveryPointArn, backupVaultName: IDS.vault }),
          deps(),
        ),
      );

      expect(error.message).toContain('is a backup of a resource of type EBS');
      expect(error.message).toContain('not of an EC2 instance');
    });

    it('rejects a point of another instance than the one the request names', async () => {
      mocks.backup
        .on(DescribeRecoveryPointCommand)
        .resolves(
          described({ ResourceArn: `arn:aws:ec2:us-east-1:123456789012:instance/i-0aaaaaaaaaaaaaaaa` }),
        );

      const error = await rejection(
        selectRecoveryPoint(
          state({
            instanceId: IDS.sourceInstance,
            recoveryPointArn: IDS.recoveryPointArn,
            backupVaultName: IDS.vault,
          }),
          deps(),
        ),
      );

      expect(error.message).toContain(
        `is a backup of i-0aaaaaaaaaaaaaaaa, not of the requested ${IDS.sourceInstance}`,
      );
    });
  });

  describe('handler', () => {
    it('takes the Region from the Backup client and the account from the execution ARN', async () => {
      listPages({ first: { points: [point(ami(1), '2026-11-27T21:00:00Z')] } });
      const handler = createHandler(step, {
        env: {},
        clients,
        now: () => new Date(T0),
        logger: captureLogger().logger,
      });

      const selection = await handler(state());

      expect(selection).toMatchObject({
        resourceArn: RESOURCE_ARN,
        region: IDS.region,
        accountId: IDS.account,
      });
    });

    it('reads partition, Region and account from an execution ARN and refuses anything else', () => {
      expect(
        executionArnParts('arn:aws-cn:states:cn-north-1:210987654321:execution:restore-instance:run-1'),
      ).toEqual({
        partition: 'aws-cn',
        region: 'cn-north-1',
        accountId: '210987654321',
      });
      expect(() => executionArnParts('run-1')).toThrow(TypeError);
    });
  });
});
