import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface Ec2BackupPlanProps {
  /** @default 'EC2' */
  readonly vaultName?: string;
  /** @default 'EC2' */
  readonly planName?: string;
  /** @default 'EC2' */
  readonly ruleName?: string;
  /** When backups start. @default 'cron(0 21 * * ? *)' (21:00 UTC, 06:00 JST) */
  readonly scheduleExpression?: string;
  /** IANA zone the schedule is read in. @default UTC */
  readonly scheduleTimeZone?: string;
  /** How long after the scheduled time a job may start (AWS minimum: 60). @default 60 */
  readonly startWindowMinutes?: number;
  /** @default 30 */
  readonly deleteAfterDays?: number;
  /** @default 'Tag-AWSBackup-EC2' */
  readonly selectionName?: string;
  /** Resources with this tag key and value are backed up. @default 'AWSBackup' */
  readonly tagKey?: string;
  /** @default 'EC2' */
  readonly tagValue?: string;
  /**
   * A vault access policy that denies backup:DeleteRecoveryPoint and
   * backup:UpdateRecoveryPointLifecycle to every principal but the break-glass role, this plan's
   * backup role (AWS Backup expires recovery points by their lifecycle with it) and AWS Backup's
   * service-linked role (its fallback for that), or `false` for no policy.
   * `breakGlassRoleArn` null: `ec2-restore-backup-break-glass` in this account, which this app
   * does not create: creating it is the break-glass act.
   * @default { breakGlassRoleArn: null }
   */
  readonly deletionProtection?: { readonly breakGlassRoleArn: string | null } | false;
}

/** The role that may delete recovery points when `breakGlassRoleArn` is not given. */
export const DEFAULT_BREAK_GLASS_ROLE_NAME = 'ec2-restore-backup-break-glass';

/**
 * The backup setup this product grew out of: one vault (default `aws/backup` key), one plan with
 * one daily rule (no cold storage, no cross-region copy), and a selection of everything tagged
 * `AWSBackup=EC2`, backed up by a role with the AWS-managed backup policy.
 */
export class Ec2BackupPlan extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: Ec2BackupPlanProps = {}) {
    super(scope, id);
    // No encryptionKey: the vault then uses the AWS-managed aws/backup key, as the original did.
    // The vault is retained on delete: AWS refuses to delete a vault holding recovery points,
    // and those are the backups this whole product restores from.
    this.vault = new backup.BackupVault(this, 'Vault', { backupVaultName: props.vaultName ?? 'EC2' });
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: props.planName ?? 'EC2',
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: props.ruleName ?? 'EC2',
          backupVault: this.vault,
          scheduleExpression: events.Schedule.expression(props.scheduleExpression ?? 'cron(0 21 * * ? *)'),
          scheduleExpressionTimezone: props.scheduleTimeZone
            ? TimeZone.of(props.scheduleTimeZone)
            : undefined,
          startWindow: Duration.minutes(props.startWindowMinutes ?? 60),
          deleteAfter: Duration.days(props.deleteAfterDays ?? 30),
        }),
      ],
    });
    const { account, partition } = Stack.of(this);
    this.role = new iam.Role(this, 'BackupRole', {
      // No aws:SourceAccount/aws:SourceArn condition: unconfirmed that AWS Backup sends either when
      // it assumes its service role (see the restore role), and a condition it does not meet would
      // stop every backup.
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'Assumed by AWS Backup to back up the EC2 instances of the selection',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForBackup'),
      ],
    });
    const protection = props.deletionProtection ?? { breakGlassRoleArn: null };
    if (protection) {
      const breakGlass =
        protection.breakGlassRoleArn ??
        `arn:${partition}:iam::${account}:role/${DEFAULT_BREAK_GLASS_ROLE_NAME}`;
      // The backups are what this product restores from: a compromised or careless principal must
      // not be able to delete them or shorten their retention. Deny wins over every Allow,
      // administrators' included; AWS Backup's own lifecycle deletions run as the roles exempted.
      this.vault.addToAccessPolicy(
        new iam.PolicyStatement({
          sid: 'OnlyBreakGlassDeletesRecoveryPoints',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'],
          resources: ['*'],
          conditions: {
            ArnNotLike: {
              'aws:PrincipalArn': [
                breakGlass,
                this.role.roleArn,
                `arn:${partition}:iam::${account}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup`,
              ],
            },
          },
        }),
      );
    }
    this.plan.addSelection('Selection', {
      backupSelectionName: props.selectionName ?? 'Tag-AWSBackup-EC2',
      resources: [backup.BackupResource.fromTag(props.tagKey ?? 'AWSBackup', props.tagValue ?? 'EC2')],
      role: this.role,
      disableDefaultBackupPolicy: true, // attached above, explicitly
    });
    NagSuppressions.addResourceSuppressions(this.role, [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          'AWSBackupServiceRolePolicyForBackup is the policy AWS Backup documents for its service role; AWS keeps it current as Backup gains features.',
        appliesTo: [
          'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
        ],
      },
    ]);
  }
}
