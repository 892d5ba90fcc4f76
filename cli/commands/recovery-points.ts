import { listRecoveryPoints, listVaults } from '@shared/backup';
import { BACKUP_VAULT_NAME, INSTANCE_ID } from '@shared/restore-request';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { ExitCodes } from '../exit-codes';
import { duration, secondsBetween, table, utc } from '../format';

export interface RecoveryPointsOptions {
  readonly instanceId: string;
  readonly vault?: string;
}

export async function runRecoveryPoints(options: RecoveryPointsOptions, ctx: CliContext): Promise<number> {
  if (!INSTANCE_ID.test(options.instanceId)) {
    throw usageError(`--instance-id: must look like i-0123456789abcdef0 (got "${options.instanceId}").`);
  }
  if (options.vault !== undefined && !BACKUP_VAULT_NAME.test(options.vault)) {
    throw usageError(`--vault: must be 2-50 letters, digits, - or _ (got "${options.vault}").`);
  }
  const backup = ctx.backup();
  const vaults = await listVaults(backup);
  if (options.vault && !vaults.some((v) => v.name === options.vault)) {
    throw usageError(
      `--vault: there is no backup vault "${options.vault}" in ${ctx.region() ?? 'this Region'}.`,
      `Vaults here: ${vaults.map((v) => v.name).join(', ') || 'none'}.`,
    );
  }
  // Backup files an instance's points under its ARN; a vault's ARN gives the partition and account.
  const home = vaults.find((v) => v.arn)?.arn?.split(':');
  const region = home?.[3] ?? ctx.region() ?? '';
  const resourceArn = home ? `arn:${home[1]}:ec2:${region}:${home[4]}:instance/${options.instanceId}` : null;
  const now = new Date();
  const points = (resourceArn ? await listRecoveryPoints(backup, resourceArn) : [])
    .filter((p) => !options.vault || p.BackupVaultName === options.vault)
    .sort((a, b) => (b.CreationDate?.getTime() ?? 0) - (a.CreationDate?.getTime() ?? 0))
    .map((p) => ({
      recoveryPointArn: p.RecoveryPointArn ?? '',
      backupVaultName: p.BackupVaultName ?? '',
      creationDate: p.CreationDate?.toISOString() ?? null,
      ageSeconds: secondsBetween(p.CreationDate, now),
      status: p.Status ?? '',
    }));

  if (ctx.json) {
    ctx.emit({ instanceId: options.instanceId, resourceArn, region, recoveryPoints: points });
    return ExitCodes.Ok;
  }
  const where = options.vault ? ` in vault ${options.vault}` : '';
  if (points.length === 0) {
    ctx.say(`No recovery points for ${options.instanceId}${where} in ${region}.`);
    return ExitCodes.Ok;
  }
  ctx.say(`Recovery points for ${options.instanceId}${where} in ${region}, newest first:`);
  ctx.say('');
  const rows = points.map((p) => [
    utc(p.creationDate).replace(' UTC', ''),
    duration(p.ageSeconds),
    p.backupVaultName,
    p.status,
    p.recoveryPointArn,
  ]);
  ctx.say(table(['CREATED (UTC)', 'AGE', 'VAULT', 'STATUS', 'RECOVERY POINT'], rows));
  ctx.say('');
  ctx.say(`Restore one: ec2-restore start --instance-id ${options.instanceId} --recovery-point ARN`);
  return ExitCodes.Ok;
}
