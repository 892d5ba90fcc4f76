/**
 * What each step Lambda may do, and nothing more, as data keyed by function id: a step's whole
 * permission set reads in one place, and a step without an entry does not compile. The cdk-nag
 * reasons for the wildcards these statements hold live here too, next to the statements.
 */
import type { AnyFunctionId } from '@shared/env';
import { BACKUP_SOURCE_TAG, TagKeys } from '@shared/tags';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NagPackSuppression } from 'cdk-nag';
import { instanceRolePatternSuppressions, passRoleTo } from './pass-role';

export interface StepPolicyContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** Parameter Store path of the key pairs' private keys, such as '/ec2/keypair/'. */
  readonly keyPairParameterPrefix: string;
  /** The role AWS Backup assumes to restore: start-restore-job passes it to Backup. */
  readonly restoreRoleArn: string;
  /** The roles reattach-instance-profile may pass to EC2 (ARNs or ARN patterns). */
  readonly instanceRoleArns: readonly string[];
  /** Accept instance-role patterns that match every role (infra/pass-role.ts). @default false */
  readonly allowAccountWidePassRole?: boolean;
  /** Where the report step publishes outcomes. */
  readonly notificationTopicArn: string;
  /** The in-VPC SSH probe functions check-ssh may invoke (infra/constructs/ssh-probes.ts). @default none */
  readonly sshProbeFunctionArns?: readonly string[];
}

export type StepPolicies = { readonly [F in AnyFunctionId]: readonly iam.PolicyStatement[] };

/**
 * The first write on a restored instance (lambdas/tag-resources/claim-instance.ts), for the steps
 * and the janitor alike: the identity tags `keys`, nothing else, with an execution ARN (one that
 * `executionArns` matches) and one of `modes`, and only on an instance that no execution has
 * tagged and that AWS Backup restored (only AWS writes `aws:` tags; that it tags restored
 * instances is unconfirmed, docs/aws-facts.md H.8: without the tag this is denied and the run
 * fails at TagResources, rather than letting a step claim any instance).
 */
export function claimStatement(
  instances: string,
  executionArns: string,
  modes: readonly string[],
  keys: readonly string[],
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['ec2:CreateTags'],
    resources: [instances],
    conditions: {
      Null: {
        [`aws:ResourceTag/${TagKeys.Execution}`]: 'true',
        [`aws:ResourceTag/${BACKUP_SOURCE_TAG}`]: 'false',
      },
      StringLike: { [`aws:RequestTag/${TagKeys.Execution}`]: executionArns },
      StringEquals: { [`aws:RequestTag/${TagKeys.Mode}`]: [...modes] },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [...keys] },
    },
  });
}

/** The statements each step's role gets on top of logging and tracing. */
export function stepPolicies(ctx: StepPolicyContext): StepPolicies {
  const arn = (service: string, resource: string, regional = true) =>
    `arn:${ctx.partition}:${service}:${regional ? ctx.region : ''}:${ctx.account}:${resource}`;
  const instances = arn('ec2', 'instance/*');
  const addresses = arn('ec2', 'elastic-ip/*');
  // AssociateAddress and DisassociateAddress are also authorised on the network interface the
  // address is (to be) on (docs/aws-facts.md I.7; which resources EC2 checks per parameter is
  // unconfirmed, so each listed type is covered). The restored instance's interface carries no tag
  // of ours and no condition key could name it in advance; every resource of a request must be
  // allowed, so the Elastic IP's tag condition still limits these calls to addresses we allocated.
  const interfaces = arn('ec2', 'network-interface/*');
  // EC2 Describe* and the Backup read calls used here do not support resource-level permissions
  // (EC2 recovery points are AMI ARNs, not Backup ARNs), so they are granted on "*".
  const read = (...actions: string[]) => new iam.PolicyStatement({ actions, resources: ['*'] });
  const keyParameters = arn('ssm', `parameter/${ctx.keyPairParameterPrefix.replace(/^\//, '')}*`);
  // Writes to instances and addresses are limited to what the workflow tagged as its own.
  const ownedBy = { StringLike: { [`aws:ResourceTag/${TagKeys.Execution}`]: '*' } };
  // The value every execution tag holds: an execution ARN of this account and Region.
  const executionArns = arn('states', 'execution:*');
  const modeTag = `aws:ResourceTag/${TagKeys.Mode}`;
  const executionTag = `aws:ResourceTag/${TagKeys.Execution}`;
  const claim = (modes: readonly string[], keys: readonly string[]) =>
    claimStatement(instances, executionArns, modes, keys);
  const instanceWrites = ['ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute'];
  const cleanup = (claimStatement: iam.PolicyStatement) => [
    read('ec2:DescribeInstances', 'ec2:DescribeAddresses', 'ec2:DescribeInstanceAttribute'),
    claimStatement,
    // Only a test-mode restore of some execution: never a recovery, never an instance we did not tag.
    new iam.PolicyStatement({
      actions: instanceWrites,
      resources: [instances],
      conditions: { StringEquals: { [modeTag]: 'test' }, StringLike: { [executionTag]: executionArns } },
    }),
    // Whatever another statement may come to allow, a recovered instance is never cleaned up.
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      actions: instanceWrites,
      resources: [instances],
      conditions: { StringEquals: { [modeTag]: 'recovery' } },
    }),
    new iam.PolicyStatement({
      actions: ['ec2:DisassociateAddress', 'ec2:ReleaseAddress'],
      resources: [addresses],
      conditions: ownedBy,
    }),
    // It has no instance resource type (I.7): the network interface, not the instance, is checked.
    new iam.PolicyStatement({ actions: ['ec2:DisassociateAddress'], resources: [interfaces] }),
  ];

  return {
    'validate-input': [],
    'select-recovery-point': [
      read('backup:ListRecoveryPointsByResource', 'backup:ListBackupVaults', 'backup:DescribeRecoveryPoint'),
    ],
    'resolve-source': [read('ec2:DescribeInstances', 'backup:GetRecoveryPointRestoreMetadata')],
    'plan-restore': [
      read(
        'backup:GetRecoveryPointRestoreMetadata',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeKeyPairs',
        'ec2:DescribeRouteTables',
      ),
      new iam.PolicyStatement({
        actions: ['iam:GetInstanceProfile'],
        resources: [arn('iam', 'instance-profile/*', false)],
      }),
      new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [keyParameters] }),
      // The PassRole pre-flight of instanceProfile "passrole" asks IAM about the restore role only.
      new iam.PolicyStatement({ actions: ['iam:SimulatePrincipalPolicy'], resources: [ctx.restoreRoleArn] }),
    ],
    // It reads the restore metadata itself for the fields the plan may not hold (user data).
    'start-restore-job': [
      read('backup:StartRestoreJob', 'backup:GetRecoveryPointRestoreMetadata'),
      passRoleTo('backup.amazonaws.com', [ctx.restoreRoleArn]),
    ],
    'poll-restore-job': [read('backup:DescribeRestoreJob')],
    'wait-instance': [read('ec2:DescribeInstances')],
    // The restored instance carries no tag of ours yet: this step claims it, then adds the
    // request's tags and a Name to it (never changing whose it is) and tags its volumes.
    'tag-resources': [
      read('ec2:DescribeInstances'),
      claim(
        ['test', 'recovery'],
        [TagKeys.Execution, TagKeys.Mode, TagKeys.SourceInstance, TagKeys.RecoveryPoint],
      ),
      new iam.PolicyStatement({
        actions: ['ec2:CreateTags'],
        resources: [instances],
        conditions: {
          StringLike: { [executionTag]: executionArns },
          'ForAllValues:StringNotLike': { 'aws:TagKeys': ['ec2-restore:*'] },
        },
      }),
      new iam.PolicyStatement({ actions: ['ec2:CreateTags'], resources: [arn('ec2', 'volume/*')] }),
    ],
    'reattach-instance-profile': [
      read('ec2:DescribeIamInstanceProfileAssociations'),
      new iam.PolicyStatement({
        actions: ['ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation'],
        resources: [instances],
        conditions: ownedBy,
      }),
      passRoleTo('ec2.amazonaws.com', ctx.instanceRoleArns, {
        allowAccountWidePassRole: ctx.allowAccountWidePassRole,
      }),
    ],
    'ensure-public-address': [
      read(
        'ec2:DescribeAddresses',
        'ec2:DescribeInstances',
        'ec2:DescribeSubnets',
        'ec2:DescribeRouteTables',
      ),
      new iam.PolicyStatement({
        actions: ['ec2:AllocateAddress'],
        resources: [addresses],
        conditions: { StringLike: { [`aws:RequestTag/${TagKeys.Execution}`]: '*' } },
      }),
      new iam.PolicyStatement({
        actions: ['ec2:CreateTags'],
        resources: [addresses],
        conditions: { StringEquals: { 'ec2:CreateAction': 'AllocateAddress' } },
      }),
      new iam.PolicyStatement({
        actions: ['ec2:AssociateAddress', 'ec2:ReleaseAddress'],
        resources: [addresses],
        conditions: ownedBy,
      }),
      new iam.PolicyStatement({
        actions: ['ec2:AssociateAddress'],
        resources: [instances],
        conditions: ownedBy,
      }),
      new iam.PolicyStatement({ actions: ['ec2:AssociateAddress'], resources: [interfaces] }),
    ],
    'check-ssh': [
      new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [keyParameters] }),
      // The host-key fingerprints on the console of the instance this workflow restored and tagged.
      new iam.PolicyStatement({
        actions: ['ec2:GetConsoleOutput'],
        resources: [instances],
        conditions: ownedBy,
      }),
      ...probeStatements(ctx, instances, arn('ec2', 'security-group/*'), ownedBy),
    ],
    cleanup: cleanup(claim(['test'], [TagKeys.Execution, TagKeys.Mode])),
    // Cleans up (test mode) or tags the kept instance with the failed step (recovery mode),
    // claiming it first in either mode when the run failed before TagResources.
    'handle-failure': [
      ...cleanup(claim(['test', 'recovery'], [TagKeys.Execution, TagKeys.Mode, TagKeys.FailedStep])),
      new iam.PolicyStatement({
        actions: ['ec2:CreateTags'],
        resources: [instances],
        conditions: {
          StringEquals: { [modeTag]: 'recovery' },
          StringLike: { [executionTag]: executionArns },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [TagKeys.FailedStep] },
        },
      }),
      // Test mode: a failed ssh.commands check is reported FAILED on the restore job.
      read('backup:PutRestoreValidationResult'),
    ],
    report: [
      read('backup:PutRestoreValidationResult'),
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [ctx.notificationTopicArn] }),
    ],
    // Read-only. ListBackupVaults and ListTags take no vault ARN (ListTags is asked about EC2
    // recovery points, whose ARNs are AMI ARNs), so they are on "*"; listing points is per vault.
    'resolve-fleet-targets': [
      read('backup:ListBackupVaults', 'backup:ListTags'),
      new iam.PolicyStatement({
        actions: ['backup:ListRecoveryPointsByBackupVault'],
        resources: [arn('backup', 'backup-vault:*')],
      }),
    ],
    'summarise-fleet': [],
  };
}

/**
 * check-ssh's rights for the in-VPC check, only when probes are deployed: invoke exactly the probe
 * functions, and set the groups of an instance this workflow tagged (ModifyInstanceAttribute is
 * authorised on the instance and on every group it names, I.2; the customer's groups carry no tag
 * of ours, so the group resource cannot be narrowed, but every resource of a request must be
 * allowed, so the instance's tag condition limits the call to restored instances).
 */
function probeStatements(
  ctx: StepPolicyContext,
  instances: string,
  securityGroups: string,
  ownedBy: Record<string, Record<string, string>>,
): iam.PolicyStatement[] {
  const probes = ctx.sshProbeFunctionArns ?? [];
  if (probes.length === 0) return [];
  return [
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...probes] }),
    // Reads the groups (groupSet) and sets them: only on the instance this workflow restored and tagged.
    new iam.PolicyStatement({
      actions: ['ec2:DescribeInstanceAttribute', 'ec2:ModifyInstanceAttribute'],
      resources: [instances],
      conditions: ownedBy,
    }),
    new iam.PolicyStatement({ actions: ['ec2:ModifyInstanceAttribute'], resources: [securityGroups] }),
  ];
}

/**
 * Why a step's policy may hold a wildcard resource. Only the reasons whose pattern occurs in the
 * step's own statements are attached to it, so a new wildcard elsewhere is still reported. Each
 * reason ends with what the step's statements on that resource actually allow, written from the
 * statements themselves (stepPolicySuppressions), so that it cannot claim a condition that is not
 * there.
 */
const WILDCARD_REASONS: readonly { resource: RegExp; finding: string; reason: string }[] = [
  {
    resource: /^\*$/,
    finding: '/^Resource::\\*$/',
    reason:
      'None of these can be scoped in advance: EC2 Describe* calls support no resource-level permissions, and the AWS Backup calls act on vaults, recovery points and restore jobs chosen at run time (EC2 recovery points are AMI ARNs).',
  },
  {
    resource: /:instance\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:instance\\/\\*$/',
    reason: 'Restored instance ids are unknown until the restore job ends.',
  },
  {
    resource: /:elastic-ip\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:elastic-ip\\/\\*$/',
    reason: 'Allocation ids are unknown until the address is allocated.',
  },
  {
    resource: /:network-interface\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:network-interface\\/\\*$/',
    reason:
      "The restored instance's network interface is unknown in advance and carries no tag of ours; each call is also checked on its Elastic IP, which must carry this workflow's tag.",
  },
  {
    resource: /:security-group\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:security-group\\/\\*$/',
    reason:
      "The restored instance's groups are the customer's and carry no tag of ours; the same call is also checked on the instance, which must carry this workflow's tag.",
  },
  {
    resource: /:volume\/\*$/,
    finding: '/^Resource::arn:.*:ec2:.*:volume\\/\\*$/',
    reason: 'The volume ids of the instance just restored are unknown in advance.',
  },
  {
    resource: /:parameter\/.*\*$/,
    finding: '/^Resource::arn:.*:ssm:.*:parameter\\/.*\\*$/',
    reason: 'One private key parameter per key pair id, named under the configured key-pair prefix only.',
  },
  {
    resource: /:backup-vault:\*$/,
    finding: '/^Resource::arn:.*:backup:.*:backup-vault:\\*$/',
    reason: 'The fleet lists recovery points in every vault when no vault is named.',
  },
  {
    resource: /:instance-profile\/\*$/,
    finding: '/^Resource::arn:.*:iam::.*:instance-profile\\/\\*$/',
    reason: 'The source instance profile is discovered at run time.',
  },
];

/** Resource::* of a step's own statements: the reason StepFunction merges with X-Ray's. */
export const ANY_RESOURCE_FINDING = '/^Resource::\\*$/';

/**
 * A condition value as text: in an env-agnostic stack the execution ARN pattern holds the
 * partition, Region and account as tokens, which a cdk-nag reason cannot carry.
 */
function readable(text: string): string {
  return text.replace(/\$\{Token\[(?:AWS\.)?([A-Za-z]+)\.\d+\]\}/g, '<$1>');
}

/** "a, b only where …; c with no condition": what these statements allow on one resource. */
function allowedOn(resource: RegExp, statements: readonly iam.PolicyStatement[]): string {
  const on = statements.filter((statement) => statement.resources.some((r) => resource.test(r)));
  const describe = (statement: iam.PolicyStatement, where: string) => {
    const actions = statement.actions.join(', ');
    const conditions = statement.toStatementJson().Condition as
      | Record<string, Record<string, unknown>>
      | undefined;
    if (!conditions) return `${actions} with no condition`;
    const said = Object.entries(conditions).flatMap(([operator, keys]) =>
      Object.entries(keys).map(([key, value]) => `${key} ${operator} ${readable(JSON.stringify(value))}`),
    );
    return `${actions} ${where} ${said.join(' and ')}`;
  };
  const allowed = on
    .filter((statement) => statement.effect === iam.Effect.ALLOW)
    .map((statement) => describe(statement, 'only where'));
  const denied = on
    .filter((statement) => statement.effect === iam.Effect.DENY)
    .map((statement) => describe(statement, 'where'));
  const never = denied.length > 0 ? ` It is explicitly denied: ${denied.join('; ')}.` : '';
  return `This function may: ${allowed.join('; ')}.${never}`;
}

/**
 * The cdk-nag reasons for the wildcards in these statements: the resource wildcards above, and
 * PassRole on instance roles configured as ARN patterns.
 */
export function stepPolicySuppressions(statements: readonly iam.PolicyStatement[]): NagPackSuppression[] {
  const resources = statements.flatMap((statement) => statement.resources);
  const passedRoles = statements
    .filter((statement) => statement.actions.includes('iam:PassRole'))
    .flatMap((statement) => statement.resources);
  return [
    ...WILDCARD_REASONS.filter((w) => resources.some((r) => w.resource.test(r))).map((w) => ({
      id: 'AwsSolutions-IAM5',
      reason: `${w.reason} ${allowedOn(w.resource, statements)}`,
      appliesTo: [{ regex: w.finding }],
    })),
    ...instanceRolePatternSuppressions(passedRoles),
  ];
}
