/**
 * Tags the workflow writes on what it creates. They are how a re-run finds its own resources
 * (idempotency) and how cleanup proves a resource is its own before deleting it.
 */
export const TagKeys = {
  Execution: 'ec2-restore:execution',
  SourceInstance: 'ec2-restore:source-instance',
  Mode: 'ec2-restore:mode',
  RecoveryPoint: 'ec2-restore:recovery-point',
  FailedStep: 'ec2-restore:failed-step',
  /** Written by the janitor (lambdas/janitor) on what an execution that ended outside its own path left. */
  Outcome: 'ec2-restore:outcome',
} as const;

/**
 * The tag AWS Backup writes on what it restores (docs/aws-facts.md C; that restored EC2 instances
 * carry it is unconfirmed, H.8). Only AWS can write `aws:` keys, so its presence is what tells a
 * Backup-restored instance from any other untagged one before the workflow has tagged it.
 */
export const BACKUP_SOURCE_TAG = 'aws:backup:source-resource';

/** EC2 tag values are at most 256 characters. */
export function tagValue(value: string): string {
  return value.length <= 256 ? value : value.slice(0, 256);
}
