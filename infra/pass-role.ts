/**
 * iam:PassRole as this project grants it: to one service, on named roles only. Both the restore
 * role (to EC2, during the restore job) and two step Lambdas (the restore role to Backup, the
 * instance roles to EC2) use it.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NagPackSuppression } from 'cdk-nag';

/** The context key (and construct prop) that accepts instance-role patterns covering every role. */
export const ACCOUNT_WIDE_PASS_ROLE_KEY = 'allowAccountWidePassRole';

export interface PassRoleOptions {
  /**
   * Accept role patterns that match every role of the account (`role/*`, `*`). Passing any role
   * to EC2 lets whoever can start a restore boot an instance with an administrator's role.
   * @default false: such a pattern throws
   */
  readonly allowAccountWidePassRole?: boolean;
}

/** iam:PassRole on exactly these roles, and only to this service. */
export function passRoleTo(
  service: string,
  roleArns: readonly string[],
  options: PassRoleOptions = {},
): iam.PolicyStatement {
  assertNoAccountWideRoles(roleArns, options);
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [...roleArns],
    conditions: { StringEquals: { 'iam:PassedToService': service } },
  });
}

/**
 * Role names of every shape a pattern must match to cover the account: at the root path, under
 * one path and under a deeper one, short and long.
 */
const PROBE_ROLE_NAMES = ['r', 'ec2-restore-probe-role', 'service-role/r', 'a/b/ec2-restore-probe-role'];

/**
 * Whether this role ARN pattern matches every role of its account: `*`, a resource of `*` or
 * `role*`, or a role part (path and name after `role/`) of nothing but wildcards (`role/*`,
 * `role/*\/*`, `role/?*`). A pattern with any literal in its path or name (`role/app/*`,
 * `role/*-instance`) is scoped and stays allowed. An ARN that is one unresolved token (a
 * CloudFormation parameter) cannot be read at synth and is not judged.
 */
export function isAccountWideRolePattern(arn: string): boolean {
  const parts = /^arn:([^:]*):iam::([^:]*):(.*)$/.exec(arn);
  // Any value a wildcard field matches will do for the probes.
  const literal = (field: string) => field.replace(/\*/g, '').replace(/\?/g, 'x');
  const partition = parts ? literal(parts[1] ?? '') : 'aws';
  const account = parts ? literal(parts[2] ?? '') : '123456789012';
  const rolePart = /^role\/(.*)$/.exec(parts?.[3] ?? '')?.[1];
  if (rolePart !== undefined && /^[*?/]+$/.test(rolePart) && rolePart.includes('*')) return true;
  const pattern = new RegExp(
    `^${arn
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return PROBE_ROLE_NAMES.every((name) => pattern.test(`arn:${partition}:iam::${account}:role/${name}`));
}

/** Throws, naming the entry and the opt-in, unless every pattern is scoped or the opt-in is given. */
export function assertNoAccountWideRoles(
  roleArns: readonly string[],
  options: PassRoleOptions = {},
  who = 'iam:PassRole',
): void {
  if (options.allowAccountWidePassRole === true) return;
  const wide = roleArns.find(isAccountWideRolePattern);
  if (wide === undefined) return;
  throw new Error(`${who}: ${accountWideRoleMessage(wide)}`);
}

/** Why an instance-role entry is refused, and how to accept it on purpose. */
export function accountWideRoleMessage(arn: string): string {
  return `instanceRoleArns entry "${arn}" matches every IAM role of the account: iam:PassRole on it would let a restore give an instance any role, administrators' included. Name the instance roles, or a path such as arn:aws:iam::<account>:role/app/*; to accept an account-wide PassRole on purpose, set ${ACCOUNT_WIDE_PASS_ROLE_KEY} to true.`;
}

/**
 * Instance roles may be configured as ARN patterns (role/app/*): PassRole then has a wildcard, by
 * design. An account-wide pattern is here only when allowAccountWidePassRole accepted it, and its
 * reason says so.
 */
export function instanceRolePatternSuppressions(roleArns: readonly string[]): NagPackSuppression[] {
  const patterns = roleArns.filter((arn) => arn.includes('*'));
  const scoped = patterns.filter((arn) => !isAccountWideRolePattern(arn));
  const accountWide = patterns.filter(isAccountWideRolePattern);
  return [
    ...(scoped.length === 0
      ? []
      : [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'iam:PassRole on the instance-role ARN patterns configured in instanceRoleArns, only to ec2.amazonaws.com.',
            appliesTo: scoped.map((arn) => `Resource::${arn}`),
          },
        ]),
    ...(accountWide.length === 0
      ? []
      : [
          {
            id: 'AwsSolutions-IAM5',
            reason: `iam:PassRole on every role of the account, only to ec2.amazonaws.com: accepted explicitly with ${ACCOUNT_WIDE_PASS_ROLE_KEY}.`,
            appliesTo: accountWide.map((arn) => `Resource::${arn}`),
          },
        ]),
  ];
}
