/**
 * Whose a restored instance is, and the first write on it. The steps' roles are shared by every
 * execution and may write to an instance only once it says whose it is (infra/step-policies.ts):
 * terminate and modify only where `ec2-restore:mode` is `test` and an execution tag is present;
 * the identity tags themselves only on an instance that has no execution tag yet and that AWS
 * Backup restored (`aws:backup:source-resource`). So every step that may be first to write on the
 * restore job's instance (TagResources, or cleanup when the run failed before it) claims it here.
 */
import { CreateTagsCommand, type EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { tagOf } from '@shared/ec2';
import { BACKUP_SOURCE_TAG, TagKeys, tagValue } from '@shared/tags';

export type Ownership =
  /** No execution has tagged it: the restore job's instance before TagResources. */
  | { readonly kind: 'unclaimed'; readonly restoredByBackup: boolean }
  /** This execution's, in the mode it was tagged with (null if the mode tag is missing). */
  | { readonly kind: 'ours'; readonly mode: string | null }
  /** Another execution's: never written to. */
  | { readonly kind: 'foreign'; readonly execution: string };

export function ownershipOf(tags: readonly Tag[] | undefined, executionArn: string): Ownership {
  const execution = tagOf(tags, TagKeys.Execution);
  if (execution === null) {
    return { kind: 'unclaimed', restoredByBackup: tagOf(tags, BACKUP_SOURCE_TAG) !== null };
  }
  if (execution !== tagValue(executionArn)) return { kind: 'foreign', execution };
  return { kind: 'ours', mode: tagOf(tags, TagKeys.Mode) };
}

export interface Claim {
  readonly executionArn: string;
  readonly mode: 'test' | 'recovery';
  readonly sourceInstanceId?: string;
  readonly recoveryPointArn?: string;
  readonly failedStep?: string;
}

/** The identity tags of a claim, in the order tag-resources has always written them. */
export function claimTags(claim: Claim): Record<string, string> {
  return {
    [TagKeys.Execution]: tagValue(claim.executionArn),
    ...(claim.sourceInstanceId && { [TagKeys.SourceInstance]: tagValue(claim.sourceInstanceId) }),
    [TagKeys.Mode]: claim.mode,
    ...(claim.recoveryPointArn && { [TagKeys.RecoveryPoint]: tagValue(claim.recoveryPointArn) }),
    ...(claim.failedStep && { [TagKeys.FailedStep]: tagValue(claim.failedStep) }),
  };
}

/**
 * Writes the identity tags on an unclaimed instance, in one call: the step policies allow this
 * call only with these keys, on an instance without an execution tag and with AWS Backup's tag.
 * An instance without that tag is refused here with the reason, rather than by AWS with a bare
 * UnauthorizedOperation.
 */
export async function claimInstance(
  ec2: EC2Client,
  instanceId: string,
  ownership: Extract<Ownership, { kind: 'unclaimed' }>,
  claim: Claim,
): Promise<void> {
  if (!ownership.restoredByBackup) {
    throw new Error(
      `Instance ${instanceId} carries no ${BACKUP_SOURCE_TAG} tag, so this workflow's roles may not tag it: the first ` +
        'write on a restored instance is allowed only where AWS Backup tagged it as restored (docs/aws-facts.md H.8). ' +
        `Check its tags with \`aws ec2 describe-tags --filters Name=resource-id,Values=${instanceId}\`.`,
    );
  }
  await ec2.send(
    new CreateTagsCommand({
      Resources: [instanceId],
      Tags: Object.entries(claimTags(claim)).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}
