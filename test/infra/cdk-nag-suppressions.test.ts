/**
 * A cdk-nag suppression is a claim that a finding is acceptable. One whose rule no longer fires
 * where it is attached (or one of whose `appliesTo` entries matches no finding) claims something
 * about a statement that is not there: it must go, or it would silently cover a later finding
 * that its reason does not describe. cdk-nag tells a logger about every finding it suppressed,
 * with the reason of the suppression that did it; every suppression must appear there.
 */
import type { Stack } from 'aws-cdk-lib';
import { Aspects } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  AwsSolutionsChecks,
  type INagLogger,
  type NagLoggerNonComplianceData,
  type NagLoggerSuppressedData,
  NagSuppressions,
} from 'cdk-nag';
import { synthApp } from './synth';

interface Suppressed {
  readonly ruleId: string;
  readonly reason: string;
  readonly findingId: string;
}

type AppliesTo = string | { regex: string };

class SuppressedFindings implements INagLogger {
  readonly findings: Suppressed[] = [];
  onSuppressed(data: NagLoggerSuppressedData): void {
    // cdk-nag prefixes the reason of an appliesTo suppression with the finding it covered.
    const prefix = `[${data.findingId}] `;
    const reason = data.suppressionReason.startsWith(prefix)
      ? data.suppressionReason.slice(prefix.length)
      : data.suppressionReason;
    this.findings.push({ ruleId: data.ruleId, reason, findingId: data.findingId });
  }
  onCompliance(): void {}
  onNonCompliance(_data: NagLoggerNonComplianceData): void {}
  onError(): void {}
  onSuppressedError(): void {}
  onNotApplicable(): void {}
}

function suppressionsOf(stack: Stack): { id: string; reason: string; applies_to?: AppliesTo[] }[] {
  const resources: {
    Metadata?: {
      cdk_nag?: { rules_to_suppress: { id: string; reason: string; applies_to?: AppliesTo[] }[] };
    };
  }[] = Object.values(Template.fromStack(stack).toJSON().Resources);
  return resources.flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
}

function matches(entry: AppliesTo, findingId: string): boolean {
  if (typeof entry === 'string') return entry === findingId;
  const body = entry.regex.replace(/^\/(.*)\/[a-z]*$/, '$1');
  return new RegExp(body).test(findingId);
}

/** The suppressions (and their appliesTo entries) that no suppressed finding used. */
function unused(
  context: Record<string, unknown>,
  env?: Record<string, never>,
  tamper?: (built: ReturnType<typeof synthApp>) => void,
): string[] {
  const logger = new SuppressedFindings();
  const built = env ? synthApp(context, env) : synthApp(context);
  tamper?.(built);
  const { app, backup, orchestrator } = built;
  Aspects.of(app).add(new AwsSolutionsChecks({ additionalLoggers: [logger] }));
  const stacks = [orchestrator, ...(backup ? [backup] : [])];
  const suppressions = stacks.flatMap(suppressionsOf);

  const stale = new Set<string>();
  for (const { id, reason, applies_to } of suppressions) {
    const used = logger.findings.filter((f) => f.ruleId === id && f.reason === reason);
    if (used.length === 0) stale.add(`${id}: "${reason}"`);
    for (const entry of applies_to ?? []) {
      if (!used.some((f) => matches(entry, f.findingId))) {
        stale.add(`${id} appliesTo ${JSON.stringify(entry)}: "${reason}"`);
      }
    }
  }
  return [...stale];
}

describe('cdk-nag suppressions', () => {
  it.each<[string, Record<string, unknown>]>([
    ['the example app', {}],
    ['kmsKey none', { kmsKey: 'none' }],
    [
      'schedules on, the API off and instance roles given as a pattern',
      {
        instanceRoleArns: 'arn:aws:iam::123456789012:role/app/*',
        deployApi: false,
        restoreTestSchedules: [
          { name: 'nightly', expression: 'rate(1 day)', input: { instanceId: 'i-0123456789abcdef0' } },
        ],
      },
    ],
    [
      'an account-wide instance-role pattern, explicitly allowed',
      { instanceRoleArns: 'arn:aws:iam::123456789012:role/*', allowAccountWidePassRole: true },
    ],
  ])('each suppresses a finding that fires, in %s', (_name, context) => {
    expect(unused(context)).toEqual([]);
  });

  it('each suppresses a finding that fires in env-agnostic stacks (an offline `npx cdk synth`)', () => {
    expect(unused({}, {})).toEqual([]);
  });

  it('reports a suppression whose rule does not fire, and an appliesTo entry that matches nothing', () => {
    const found = unused({}, undefined, ({ orchestrator }) => {
      NagSuppressions.addResourceSuppressions(orchestrator.orchestrator.restoreRole, [
        { id: 'AwsSolutions-SQS3', reason: 'A planted suppression for a rule that never fires on a role.' },
        {
          id: 'AwsSolutions-IAM4',
          reason: 'A planted suppression whose appliesTo names a managed policy the role does not have.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess'],
        },
      ]);
    });

    expect(found).toEqual([
      'AwsSolutions-SQS3: "A planted suppression for a rule that never fires on a role."',
      'AwsSolutions-IAM4: "A planted suppression whose appliesTo names a managed policy the role does not have."',
      'AwsSolutions-IAM4 appliesTo "Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess": "A planted suppression whose appliesTo names a managed policy the role does not have."',
    ]);
  });
});
