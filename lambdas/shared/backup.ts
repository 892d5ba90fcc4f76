/** AWS Backup lookups that more than one step makes. */
import { type BackupClient, ListBackupVaultsCommand } from '@aws-sdk/client-backup';

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
