import { renderSummary } from '@cli/summary';
import type { RestoreOutput } from '@shared/workflow-state';

const base: RestoreOutput = {
  status: 'RESTORED',
  mode: 'recovery',
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:restore-instance:run-1',
  source: { instanceId: 'i-0123456789abcdef0', instanceProfileArn: null, keyName: 'app-key' },
  recoveryPoint: {
    arn: 'arn:aws:ec2:us-east-1::image/ami-0aaaaaaaaaaaaaaaa',
    backupVaultName: 'EC2',
    creationDate: '2026-11-28T10:00:00.000Z',
    ageSeconds: 3600,
  },
  restoreJob: null,
  instance: null,
  elasticIp: null,
  publicAddress: null,
  instanceProfile: null,
  ssh: {
    reachable: true,
    host: '10.0.3.11',
    port: 22,
    username: 'ec2-user',
    attempts: 2,
    hostKeyFingerprint: 'SHA256:abc',
    from: 'probe',
    probeFunction: 'ec2-restore-ssh-probe-vpc-0aaaaaaaaaaaaaaaa',
    hostKeyVerified: true,
    hostKeyVerification: 'the offered host key SHA256:abc is one of the fingerprints …',
    checks: [
      {
        command: 'systemctl is-active nginx',
        exitCode: 0,
        timedOut: false,
        output: 'active\n',
        truncated: false,
      },
    ],
    securityGroups: {
      original: ['sg-0aaaaaaaaaaaaaaaa'],
      added: ['sg-0eeeeeeeeeeeeeeee'],
      removed: ['sg-0eeeeeeeeeeeeeeee'],
      restored: true,
    },
  },
  plan: null,
  timings: {
    selectSeconds: 1,
    restoreJobSeconds: null,
    bootSeconds: null,
    profileSeconds: null,
    addressSeconds: null,
    sshReadySeconds: null,
    totalSeconds: 10,
  },
  cleanup: null,
  validationReported: null,
};

describe('the summary of the SSH check (issue 12)', () => {
  it('shows the probe, the verified host key, the groups set back and each check', () => {
    const text = renderSummary(base);

    expect(text).toMatch(/ssh from\s+in-VPC probe ec2-restore-ssh-probe-vpc-0aaaaaaaaaaaaaaaa/);
    expect(text).toMatch(/host key\s+verified: SHA256:abc is on the instance console/);
    expect(text).toMatch(
      /security groups\s+added sg-0eeeeeeeeeeeeeeee for the check, removed sg-0eeeeeeeeeeeeeeee; restored to sg-0aaaaaaaaaaaaaaaa/,
    );
    expect(text).toMatch(/check\s+"systemctl is-active nginx" exit 0/);
  });

  it('says plainly when the host key was not verified, and why', () => {
    const text = renderSummary({
      ...base,
      ssh: {
        ...(base.ssh as NonNullable<RestoreOutput['ssh']>),
        from: 'internet',
        hostKeyVerified: false,
        hostKeyVerification: 'not verified: no SSH HOST KEY FINGERPRINTS block appeared',
        securityGroups: null,
        checks: [],
      },
    });

    expect(text).toMatch(/ssh from\s+the internet \(the non-VPC check-ssh function\)/);
    expect(text).toMatch(
      /host key\s+NOT verified \(not verified: no SSH HOST KEY FINGERPRINTS block appeared\)/,
    );
    expect(text).not.toContain('security groups');
  });
});
