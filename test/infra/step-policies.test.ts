import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StepPolicies, stepPolicies } from '@infra/step-policies';
import { allowsOn } from './iam-match';
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
