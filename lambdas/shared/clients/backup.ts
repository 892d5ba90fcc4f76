/** The AWS Backup client, in its own module so that only the steps that call AWS Backup load its SDK package. */
import { BackupClient } from '@aws-sdk/client-backup';
import { type ClientOptions, clientConfig } from './config';

export const backupClient = (options?: ClientOptions): BackupClient =>
  new BackupClient(clientConfig(options));
