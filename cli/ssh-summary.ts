/**
 * The SSH check's details for the summary (issue 12): where it connected from, whether the host
 * key was verified against the instance's console (and why not), the probe-ingress group it added
 * and took away, and the ssh.commands checks.
 */
import type { RestoreOutput } from '@shared/workflow-state';

type SshOutput = NonNullable<RestoreOutput['ssh']>;

export function sshDetailRows(ssh: SshOutput): [string, string][] {
  const rows: [string, string][] = [];
  if (ssh.from === 'probe') rows.push(['ssh from', `in-VPC probe ${ssh.probeFunction ?? '(unnamed)'}`]);
  else if (ssh.from === 'internet') rows.push(['ssh from', 'the internet (the non-VPC check-ssh function)']);
  if (ssh.hostKeyVerified === true) {
    rows.push(['host key', `verified: ${ssh.hostKeyFingerprint} is on the instance console`]);
  } else if (ssh.hostKeyVerified === false) {
    rows.push(['host key', `NOT verified (${ssh.hostKeyVerification ?? 'no reason recorded'})`]);
  }
  const groups = ssh.securityGroups;
  if (groups) {
    const added = groups.added.join(', ') || 'none';
    rows.push([
      'security groups',
      groups.restored
        ? `added ${added} for the check, removed ${groups.removed.join(', ') || 'none'}; restored to ${groups.original.join(', ')}`
        : `added ${added} for the check; NOT yet restored to ${groups.original.join(', ')}`,
    ]);
  }
  for (const check of ssh.checks ?? []) {
    const result = check.timedOut ? 'timed out' : `exit ${check.exitCode ?? '?'}`;
    rows.push(['check', `${JSON.stringify(check.command)} ${result}`]);
  }
  return rows;
}
