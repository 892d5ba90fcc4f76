/**
 * "What do I do now?" for each way a restore can fail (docs/contract.md §2 error names). Written for the
 * person running the runbook: the first line is the likely fix, then how to look closer.
 */
import { ErrorNames } from '@shared/errors';

export interface FailureContext {
  readonly error: string;
  readonly executionArn: string;
  /** The source instance, when the request named one. */
  readonly instanceId?: string | null;
}

export function nextSteps({ error, executionArn, instanceId }: FailureContext): string[] {
  const id = instanceId ?? 'ID';
  const points = `ec2-restore recovery-points --instance-id ${id}`;
  const specific: Readonly<Record<string, string[]>> = {
    [ErrorNames.InvalidInput]: ['Fix the field the cause names and start again.'],
    [ErrorNames.NoRecoveryPoint]: [
      `See what exists: ${points}`,
      'Then start again with --recovery-point ARN, another --vault, or a later --before.',
    ],
    [ErrorNames.Preflight]: [
      'Fix the failed pre-flight checks listed in the cause (nothing was created), then start again.',
    ],
    [ErrorNames.RestoreJobFailed]: [
      'Look up the restore job in the AWS Backup console (Jobs → Restore jobs) for what was refused.',
      `Or restore an older point: ${points}, then --recovery-point ARN.`,
    ],
    [ErrorNames.RestoreTimeout]: [
      'The restore job may still finish: check it in the AWS Backup console (Jobs → Restore jobs).',
      'A large volume needs a longer wait: start again with a larger --restore-timeout-minutes.',
    ],
    [ErrorNames.InstanceNotRunning]: [
      'Read the instance state reason and console output: aws ec2 get-console-output --instance-id <restored id>.',
    ],
    [ErrorNames.InstanceProfile]: [
      'Give the restore role iam:PassRole on the instance role, or start again with --instance-profile none and attach it by hand.',
    ],
    [ErrorNames.PublicAddress]: [
      'Release unused Elastic IPs (or raise the quota), or start again with --public-ip never and connect privately.',
    ],
    [ErrorNames.SshUnreachable]: [
      'Check the security group and network ACL allow the SSH port from where the check runs; --ssh-port if sshd listens elsewhere.',
      'To restore without the check: --no-ssh.',
    ],
    [ErrorNames.SshAuthentication]: [
      'If the AMI logs in as another user, start again with --ssh-user USER (ubuntu for Ubuntu, admin for Debian, ec2-user for Amazon Linux and RHEL).',
      "Otherwise put the private key of the source instance's key pair in the SSM parameter the cause names (/ec2/keypair/<KeyPairId>), then start again.",
    ],
    [ErrorNames.ValidationCheck]: [
      'SSH with the original key works; the check command named in the cause failed on the restored instance: look at that service (the instance was kept in recovery mode).',
      'To restore without that check, start again without it in ssh.commands.',
    ],
    [ErrorNames.Cleanup]: [
      'Terminate the rehearsal instance and release its Elastic IP by hand: both carry the tag ec2-restore:execution.',
    ],
  };
  return (
    specific[error] ?? [
      `Read the cause; the execution history has every step: ec2-restore report ${executionArn}`,
    ]
  );
}
