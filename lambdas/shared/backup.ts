/** AWS Backup lookups that more than one step makes. */
import {
  type BackupClient,
  ListBackupVaultsCommand,
  ListRecoveryPointsByResourceCommand,
  type RecoveryPointByResource,
} from '@aws-sdk/client-backup';
import { awsErrorCode } from './errors';

/** PARTIAL, CREATING, EXPIRED … cannot be restored (aws-facts A.2). */
export const USABLE_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'AVAILABLE']);

export async function listVaultNames(backup: BackupClient): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backup.send(new ListBackupVaultsCommand({ NextToken: nextToken }));
    for (const vault of page.BackupVaultList ?? []) {
      if (vault.BackupVaultName) names.push(vault.BackupVaultName);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return names;
}

/** Every recovery point of the resource, all pages. A resource Backup does not know has none. */
export async function listRecoveryPoints(
  backup: BackupClient,
  resourceArn: string,
): Promise<RecoveryPointByResource[]> {
  const points: RecoveryPointByResource[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const page = await backup.send(
        new ListRecoveryPointsByResourceCommand({ ResourceArn: resourceArn, NextToken: nextToken }),
      );
      points.push(...(page.RecoveryPoints ?? []));
      nextToken = page.NextToken || undefined;
    } catch (error) {
      if (nextToken === undefined && awsErrorCode(error) === 'ResourceNotFoundException') return [];
      throw error;
    }
  } while (nextToken);
  return points;
}
