import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { synthApp } from './synth';

/** Unsuppressed AwsSolutions findings (errors and warnings) of a stack, as "rule at path" lines. */
function findings(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  const rule = Match.stringLikeRegexp('^AwsSolutions-');
  return [...annotations.findError('*', rule), ...annotations.findWarning('*', rule)].map(
    (finding) => `${String(finding.entry.data).split(':')[0]} at ${finding.id}`,
  );
}

/** Every cdk-nag suppression written into a stack's template. */
function suppressions(stack: Stack): { id: string; reason: string }[] {
  const resources: { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }[] =
    Object.values(Template.fromStack(stack).toJSON().Resources);
  return resources.flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
}

describe('cdk-nag AwsSolutions checks', () => {
  it('finds nothing unsuppressed in the example app', () => {
    const { backup, orchestrator } = synthApp();

    expect(findings(backup!)).toEqual([]);
    expect(findings(orchestrator)).toEqual([]);
  });

  it('finds nothing unsuppressed with schedules on, the API off and instance roles given as a pattern', () => {
    const { orchestrator } = synthApp({
      instanceRoleArns: 'arn:aws:iam::123456789012:role/app/*',
      deployApi: false,
      notificationEmails: ['ops@example.com'],
      restoreTestSchedules: [
        { name: 'nightly', expression: 'rate(1 day)', input: { instanceId: 'i-0123456789abcdef0' } },
      ],
    });

    expect(findings(orchestrator)).toEqual([]);
  });

  it('finds nothing unsuppressed with an account-wide instance-role pattern explicitly allowed', () => {
    const { orchestrator } = synthApp({
      instanceRoleArns: 'arn:aws:iam::123456789012:role/*',
      allowAccountWidePassRole: true,
    });

    expect(findings(orchestrator)).toEqual([]);
  });

  // Suppressions that match ARNs must match both forms: with the account and region unknown the
  // partition stays a token (arn:<AWS::Partition>:…), with them known it is a literal (arn:aws:…).
  it('finds nothing unsuppressed in env-agnostic stacks (an offline `npx cdk synth`)', () => {
    const { backup, orchestrator } = synthApp({}, {});

    expect(findings(backup!)).toEqual([]);
    expect(findings(orchestrator)).toEqual([]);
  });

  it('gives every suppression a plain-text reason of a sentence or more', () => {
    const { backup, orchestrator } = synthApp();
    const all = [...suppressions(backup!), ...suppressions(orchestrator)];

    expect(all.length).toBeGreaterThan(0);
    for (const { id, reason } of all) {
      expect({ id, reason, long: reason.length >= 40 }).toEqual({ id, reason, long: true });
    }
  });
});
