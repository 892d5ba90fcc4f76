import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StepPolicies, stepPolicies } from '@infra/step-policies';
import { TagKeys } from '@shared/tags';
import { allowsOn, evaluate } from './iam-match';
import type { Statement } from './synth';

/**
 * docs/aws-facts.md I.7 (Service Authorization Reference, via iam-data 0.21.202609261): the
 * resource types of the EC2 actions there. Where none is marked required, which of them EC2
 * checks depends on the request's parameters and the exact mapping is unconfirmed (I.7), so a
 * step must be allowed on every one. CreateTags lists every taggable type: it is checked on the
 * resources tagged, given per call below.
 */
const I7_RESOURCE_TYPES: Readonly<Record<string, readonly string[]>> = {
  'ec2:AssociateAddress': ['elastic-ip', 'instance', 'network-interface'],
  'ec2:DisassociateAddress': ['elastic-ip', 'network-interface'],
  'ec2:TerminateInstances': ['instance'],
  'ec2:GetConsoleOutput': ['instance'],
};

/**
 * The I.7 actions each step's code sends (lambdas/<step>/<step>.ts; handle-failure runs cleanup's
 * code too), and for CreateTags the types of what it tags: ensure-public-address tags its Elastic
 * IP on creation (AllocateAddress TagSpecifications), handle-failure tags the kept instance.
 */
const STEP_CALLS = {
  'ensure-public-address': { 'ec2:AssociateAddress': [], 'ec2:CreateTags': ['elastic-ip'] },
  cleanup: { 'ec2:DisassociateAddress': [], 'ec2:TerminateInstances': [] },
  'handle-failure': {
    'ec2:DisassociateAddress': [],
    'ec2:TerminateInstances': [],
    'ec2:CreateTags': ['instance'],
  },
  'check-ssh': { 'ec2:GetConsoleOutput': [] },
} as const satisfies Partial<Record<keyof StepPolicies, Record<string, readonly string[]>>>;
type Step = keyof typeof STEP_CALLS;

const SOURCES: Record<Step, readonly string[]> = {
  'ensure-public-address': ['ensure-public-address/ensure-public-address.ts'],
  cleanup: ['cleanup/cleanup.ts'],
  'handle-failure': ['handle-failure/handle-failure.ts', 'cleanup/cleanup.ts'],
  'check-ssh': ['check-ssh/check-ssh.ts', 'check-ssh/console-fingerprints.ts', 'check-ssh/probe-ingress.ts'],
};

const CONTEXT = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  keyPairParameterPrefix: '/ec2/keypair/',
  restoreRoleArn: 'arn:aws:iam::123456789012:role/restore',
  instanceRoleArns: ['arn:aws:iam::123456789012:role/app-instance-role'],
  notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:outcomes',
};
const policies = stepPolicies(CONTEXT);
const statementsOf = (step: Step) =>
  policies[step].map((statement) => statement.toStatementJson() as Statement);
const sampleArn = (type: string) => `arn:aws:ec2:us-east-1:123456789012:${type}/${type}-0123456789abcdef0`;

/** What a step must be allowed on: [step, action, resource type], one row each. */
const REQUIRED = Object.entries(STEP_CALLS).flatMap(([step, calls]) =>
  Object.entries(calls).flatMap(([action, tagged]) =>
    [...(tagged.length > 0 ? tagged : (I7_RESOURCE_TYPES[action] ?? []))].map(
      (type) => [step as Step, action, type] as const,
    ),
  ),
);

describe('step policies against the resource types of docs/aws-facts.md I.7', () => {
  it.each(Object.keys(STEP_CALLS) as Step[])('the table lists the EC2 calls that %s makes', (step) => {
    const sources = SOURCES[step].map((file) =>
      readFileSync(join(__dirname, '..', '..', 'lambdas', file), 'utf8'),
    );
    const called = new Set(
      sources.flatMap((source) => [
        ...[...source.matchAll(/new (\w+)Command\(/g)].map((match) => `ec2:${match[1]}`),
        // Tags given on creation are authorised as ec2:CreateTags too (I.7, tag on create).
        ...(source.includes('TagSpecifications:') ? ['ec2:CreateTags'] : []),
      ]),
    );
    const listed = [...Object.keys(I7_RESOURCE_TYPES), 'ec2:CreateTags'].filter((action) =>
      called.has(action),
    );

    expect(Object.keys(STEP_CALLS[step]).sort()).toEqual(listed.sort());
  });

  it.each(REQUIRED)('%s may call %s on a %s', (step, action, type) => {
    expect(allowsOn(statementsOf(step), action, sampleArn(type), {})).toBe(true);
  });

  it.each(['cleanup', 'handle-failure'] as const)(
    '%s is not granted DisassociateAddress on instances, which it has no resource type for',
    (step) => {
      expect(allowsOn(statementsOf(step), 'ec2:DisassociateAddress', sampleArn('instance'), {})).toBe(false);
    },
  );
});

/**
 * Issue 13 item 3: what the steps that write to the restored instance may do to which instance,
 * decided with conditions (iam-match.ts evaluate). An instance is known by its tags only; the
 * restore job's instance carries none of ours until the first write (the claim), only AWS Backup's.
 */
describe('writes to instances: this execution’s test restore, and nothing else', () => {
  const THIS = 'arn:aws:states:us-east-1:123456789012:execution:restore-instance:run-1';
  const OTHER = 'arn:aws:states:us-east-1:123456789012:execution:restore-instance:run-2';
  const backup = { 'aws:backup:source-resource': 'i-0123456789abcdef0:ami-0123456789abcdef0' };
  const tagged = (execution: string, mode: string) => ({
    ...backup,
    [TagKeys.Execution]: execution,
    [TagKeys.Mode]: mode,
  });
  const INSTANCES = {
    'this execution’s restore, just restored and untagged': backup,
    'this execution’s test restore': tagged(THIS, 'test'),
    'this execution’s recovery restore': tagged(THIS, 'recovery'),
    'another execution’s test restore': tagged(OTHER, 'test'),
    'another execution’s recovery restore': tagged(OTHER, 'recovery'),
    'another execution’s restore, just restored and untagged': backup,
    'an instance the workflow did not restore': { Name: 'app-server' },
  } as const;
  type Instance = keyof typeof INSTANCES;
  const ALL = Object.keys(INSTANCES) as Instance[];
  const decide = (
    step: keyof StepPolicies,
    action: string,
    instance: Instance,
    requestTags?: Record<string, string>,
  ) =>
    evaluate(
      policies[step].map((statement) => statement.toStatementJson() as Statement),
      action,
      sampleArn('instance'),
      { resourceTags: INSTANCES[instance], ...(requestTags && { requestTags }) },
    );
  const claim = (mode: string, extra: Record<string, string> = {}) => ({
    [TagKeys.Execution]: THIS,
    [TagKeys.Mode]: mode,
    ...extra,
  });
  // What the policy can tell apart is tags: an untagged restore is this execution's or another's
  // only in the code (the restore job's id), and so is a test restore of another execution (below).
  const UNTAGGED_RESTORES: Instance[] = [
    'this execution’s restore, just restored and untagged',
    'another execution’s restore, just restored and untagged',
  ];
  const TEST_RESTORES: Instance[] = ['this execution’s test restore', 'another execution’s test restore'];

  describe.each(['cleanup', 'handle-failure'] as const)('%s', (step) => {
    // Another execution's test restore is allowed too: every execution runs as the same roles, so
    // only the code (which compares the execution tag) keeps them apart (residual risk,
    // docs/architecture.md "Who may write to a restored instance").
    it.each(['ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute'])(
      'may %s a tagged test restore of an execution, and nothing else',
      (action) => {
        const allowed = ALL.filter((instance) => decide(step, action, instance) === 'Allowed');
        expect(allowed).toEqual(TEST_RESTORES);
      },
    );

    it.each(['ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute'])(
      'is explicitly denied %s on a recovery restore, whatever else were allowed',
      (action) => {
        const withAdmin = [
          ...policies[step].map((statement) => statement.toStatementJson() as Statement),
          { Effect: 'Allow', Action: '*', Resource: '*' } satisfies Statement,
        ];
        for (const instance of [
          'this execution’s recovery restore',
          'another execution’s recovery restore',
        ] as const) {
          const resourceTags = INSTANCES[instance];
          expect(evaluate(withAdmin, action, sampleArn('instance'), { resourceTags })).toBe(
            'ExplicitlyDenied',
          );
        }
      },
    );

    it('may claim an untagged Backup restore as a test restore of an execution, and nothing else', () => {
      const allowed = ALL.filter(
        (instance) => decide(step, 'ec2:CreateTags', instance, claim('test')) === 'Allowed',
      );
      expect(allowed).toEqual(UNTAGGED_RESTORES);
    });

    it('may not claim with other tags, a value that is not an execution ARN, or a second time', () => {
      const untagged = 'this execution’s restore, just restored and untagged';
      expect(decide(step, 'ec2:CreateTags', untagged, claim('test', { Name: 'x' }))).not.toBe('Allowed');
      expect(
        decide(step, 'ec2:CreateTags', untagged, { ...claim('test'), [TagKeys.Execution]: 'mine' }),
      ).not.toBe('Allowed');
      expect(decide(step, 'ec2:CreateTags', untagged, { [TagKeys.Mode]: 'test' })).not.toBe('Allowed');
      expect(decide(step, 'ec2:CreateTags', 'this execution’s test restore', claim('test'))).not.toBe(
        'Allowed',
      );
    });
  });

  it('cleanup may not claim a restore as a recovery', () => {
    const untagged = 'this execution’s restore, just restored and untagged';
    expect(decide('cleanup', 'ec2:CreateTags', untagged, claim('recovery'))).toBe('ImplicitlyDenied');
  });

  it('handle-failure may claim an untagged Backup restore as a recovery with its failed step', () => {
    const request = claim('recovery', { [TagKeys.FailedStep]: 'WaitForInstance' });
    const allowed = ALL.filter(
      (instance) => decide('handle-failure', 'ec2:CreateTags', instance, request) === 'Allowed',
    );
    expect(allowed).toEqual(UNTAGGED_RESTORES);
  });

  it('handle-failure may tag the failed step on a recovery restore only, and no other tag', () => {
    const failedStep = { [TagKeys.FailedStep]: 'CheckSsh' };
    const allowed = ALL.filter(
      (instance) => decide('handle-failure', 'ec2:CreateTags', instance, failedStep) === 'Allowed',
    );
    expect(allowed).toEqual(['this execution’s recovery restore', 'another execution’s recovery restore']);
    expect(
      decide('handle-failure', 'ec2:CreateTags', 'this execution’s recovery restore', { Name: 'x' }),
    ).toBe('ImplicitlyDenied');
  });

  describe('tag-resources', () => {
    const identity = (mode: string) =>
      claim(mode, {
        [TagKeys.SourceInstance]: 'i-0123456789abcdef0',
        [TagKeys.RecoveryPoint]: 'arn:aws:ec2:us-east-1::image/ami-0',
      });

    it.each(['test', 'recovery'])(
      'may claim an untagged Backup restore as a %s restore, and nothing else',
      (mode) => {
        const allowed = ALL.filter(
          (instance) => decide('tag-resources', 'ec2:CreateTags', instance, identity(mode)) === 'Allowed',
        );
        expect(allowed).toEqual(UNTAGGED_RESTORES);
      },
    );

    it('may add the request’s tags and a Name only once an execution has claimed the instance', () => {
      const allowed = ALL.filter(
        (instance) =>
          decide('tag-resources', 'ec2:CreateTags', instance, { Ticket: 'OPS-1', Name: 'restored' }) ===
          'Allowed',
      );
      expect(allowed).toEqual(ALL.filter((instance) => TagKeys.Execution in INSTANCES[instance]));
    });

    it('may never change whose an instance is, nor claim one with other tags', () => {
      for (const instance of ALL) {
        expect(decide('tag-resources', 'ec2:CreateTags', instance, { [TagKeys.Execution]: OTHER })).not.toBe(
          'Allowed',
        );
        expect(decide('tag-resources', 'ec2:CreateTags', instance, { [TagKeys.Mode]: 'test' })).not.toBe(
          'Allowed',
        );
      }
      expect(
        decide('tag-resources', 'ec2:CreateTags', 'this execution’s restore, just restored and untagged', {
          ...identity('test'),
          Name: 'x',
        }),
      ).toBe('ImplicitlyDenied');
    });

    it.each(['ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute'])(
      'may not %s any instance',
      (action) => {
        expect(
          ALL.filter((instance) => decide('tag-resources', action, instance) !== 'ImplicitlyDenied'),
        ).toEqual([]);
      },
    );
  });
});
