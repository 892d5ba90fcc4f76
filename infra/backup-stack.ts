import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Ec2BackupPlan, type Ec2BackupPlanProps } from './constructs/ec2-backup-plan';

export type BackupStackProps = StackProps & { readonly backup?: Ec2BackupPlanProps };

/** Optional: the AWS Backup setup the orchestrator restores from, for accounts that lack one. */
export class BackupStack extends Stack {
  readonly backupPlan: Ec2BackupPlan;

  constructor(scope: Construct, id: string, props: BackupStackProps = {}) {
    super(scope, id, props);
    this.backupPlan = new Ec2BackupPlan(this, 'Ec2Backup', props.backup);
  }
}
