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

export interface VaultRef {
  readonly name: string;
  readonly arn: string | null;
}

export async function listVaults(backup: BackupClient): Promise<VaultRef[]> {
  const vaults: VaultRef[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backup.send(new ListBackupVaultsCommand({ NextToken: nextToken }));
    for (const vault of page.BackupVaultList ?? []) {
      if (vault.BackupVaultName)
        vaults.push({ name: vault.BackupVaultName, arn: vault.BackupVaultArn ?? null });
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return vaults;
}

export async function listVaultNames(backup: BackupClient): Promise<string[]> {
  return (await listVaults(backup)).map((vault) => vault.name);
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

/** The recovery point created last (the APIs document no order); undefined for none. */
export function newestPoint<P extends { readonly CreationDate?: Date }>(points: readonly P[]): P | undefined {
  const time = (p: P) =>
    p.CreationDate && !Number.isNaN(p.CreationDate.getTime()) ? p.CreationDate.getTime() : -Infinity;
  return points.reduce<P | undefined>(
    (newest, p) => (newest === undefined || time(p) > time(newest) ? p : newest),
    undefined,
  );
}
