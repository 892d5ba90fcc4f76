/**
 * The CDK context this app reads (cdk.json "context" or `-c key=value`), validated in one place.
 * Values given with `-c` always arrive as strings, so numbers, booleans and lists are accepted
 * both typed (cdk.json) and as text; structured values (the schedules) also as JSON text. Every
 * error names the context key, so a typo or a bad value fails synth instead of deploying a default.
 */
import { applyGuardrails } from '@lambdas/validate-input/guardrails';
import { parameterPrefix, parseEnv } from '@shared/env';
import { InvalidInputError } from '@shared/errors';
import {
  GUARDRAIL_CONTEXT_KEYS,
  guardrailEnvironment,
  type RestoreGuardrails,
} from '@shared/function-environments';
import {
  BACKUP_VAULT_NAME,
  parseRestoreRequest,
  SECURITY_GROUP_ID,
  SUBNET_ID,
} from '@shared/restore-request';
import { z } from 'zod';
import type { Ec2BackupPlanProps } from './constructs/ec2-backup-plan';
import type { RestoreTestSchedule } from './constructs/restore-test-schedules';
import { ACCOUNT_WIDE_PASS_ROLE_KEY, accountWideRoleMessage, isAccountWideRolePattern } from './pass-role';

const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
  error: 'must be true or false',
});
const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
/** A list, or a comma-separated string (what `-c key=a,b` gives). */
const list = z.union(
  [
    z.array(z.string().trim().min(1)),
    z.string().transform((s) =>
      s
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ],
  {
    error: (issue) =>
      issue.input === undefined ? 'is required' : 'must be a list or a comma-separated string',
  },
);
/** Structured context given on the command line arrives as JSON text. */
const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is a string but not valid JSON' });
      return z.NEVER;
    }
  }, schema);
const name = (max: number) =>
  z
    .string()
    .regex(/^[a-zA-Z0-9\-_.]+$/, { error: 'may contain only letters, digits, -, _ and .' })
    .max(max);
const timeZone = z.string().refine(isTimeZone, { error: 'must be an IANA time zone such as Asia/Tokyo' });
const roleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, { error: 'must be an IAM role ARN' });
/** `create` (a new customer-managed key), `none`, or the ARN of a KMS key to use. */
const kmsKey = z.union(
  [
    z.enum(['create', 'none']),
    z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, {
      error: 'must be create, none or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)',
    }),
  ],
  { error: 'must be create, none or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)' },
);

const PUBLIC_IP_CHOICES = ['auto', 'always', 'never'] as const;
/** The publicIp values a mode allows: at least one, since every request has one (default auto). */
const publicIpChoices = list.pipe(
  z
    .array(z.enum(PUBLIC_IP_CHOICES, { error: 'may contain only auto, always and never' }))
    .min(1, { error: 'must allow at least one of auto, always and never' }),
);
const ids = (re: RegExp, what: string) =>
  list.pipe(z.array(z.string().regex(re, { error: `must be ${what}` }))).default([]);

const ScheduleSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9\-_]{1,64}$/, { error: 'must be 1-64 letters, digits, - or _' }),
  expression: z
    .string()
    .regex(/^(cron|rate)\(.+\)$/, { error: 'must be a cron(...) or rate(...) expression' }),
  timeZone: timeZone.optional(),
  // Shape only: the RestoreTestSchedules construct checks the request against the contract schema.
  input: z.record(z.string(), z.unknown()),
  flexibleWindowMinutes: z.int().min(0).max(1440).optional(),
  enabled: z.boolean().optional(),
});

/** One VPC to probe SSH from (infra/constructs/ssh-probes.ts). */
const SshProbeNetworkSchema = z.strictObject({
  vpcId: z.string().regex(/^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'must be a VPC id (vpc-…)' }),
  subnetIds: z
    .array(z.string().regex(SUBNET_ID, { error: 'must be subnet ids (subnet-…)' }))
    .min(1, { error: 'must name at least one subnet of the VPC for the probe' })
    .max(16),
  ports: z.array(z.int().min(1).max(65535)).min(1).optional(),
});

/** Every key, its type and its default. The README's context table mirrors this. */
const ContextSchema = z.object({
  instanceRoleArns: list.pipe(
    z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, { error: 'must be IAM role ARNs' }))
      .min(1, { error: 'must name at least one instance role (PassRole is never granted on *)' }),
  ),
  // Off: an instanceRoleArns entry that matches every role (role/*) is refused (infra/pass-role.ts).
  [ACCOUNT_WIDE_PASS_ROLE_KEY]: bool.default(false),
  // The Lambdas' own schemas: a value the functions would reject must not deploy.
  keyPairParameterPrefix: parameterPrefix,
  notificationEmails: list.pipe(z.array(z.email({ error: 'must be e-mail addresses' }))).default([]),
  restoreTestSchedules: json(z.array(ScheduleSchema)).default([]),
  // The VPCs the SSH check reaches from inside: JSON [{"vpcId","subnetIds",["ports"]}], one probe each.
  sshProbeNetworks: json(z.array(SshProbeNetworkSchema))
    .default([])
    .refine((networks) => new Set(networks.map((n) => n.vpcId)).size === networks.length, {
      error: 'must name each VPC once (one probe per VPC)',
    }),
  deployApi: bool.default(true),
  apiThrottlingRateLimit: int(1, 10_000).default(5),
  apiThrottlingBurstLimit: int(1, 5_000).default(10),
  apiGatewayCloudWatchRole: bool.default(true),
  kmsKey: kmsKey.default('create'),
  deployBackupStack: bool.default(true),
  backupVaultName: z
    .string()
    .regex(BACKUP_VAULT_NAME, { error: 'must be 2-50 letters, digits, - or _' })
    .default('EC2'),
  backupPlanName: name(50).default('EC2'),
  backupRuleName: name(50).default('EC2'),
  backupSchedule: z
    .string()
    .regex(/^cron\(.+\)$/, { error: 'must be a cron(...) expression' })
    .default('cron(0 21 * * ? *)'),
  backupScheduleTimeZone: timeZone.optional(),
  backupStartWindowMinutes: int(60, 10_080).default(60),
  backupDeleteAfterDays: int(1, 36_500).default(30),
  backupSelectionName: name(50).default('Tag-AWSBackup-EC2'),
  backupTagKey: z.string().min(1).max(128).default('AWSBackup'),
  backupTagValue: z.string().max(256).default('EC2'),
  protectRecoveryPoints: bool.default(true),
  breakGlassRoleArn: roleArn.optional(),
  // Guardrails: what validate-input refuses, for every caller (infra/README.md, Guardrails).
  [GUARDRAIL_CONTEXT_KEYS.publicIpTest]: publicIpChoices.default([...PUBLIC_IP_CHOICES]),
  [GUARDRAIL_CONTEXT_KEYS.publicIpRecovery]: publicIpChoices.default([...PUBLIC_IP_CHOICES]),
  [GUARDRAIL_CONTEXT_KEYS.allowPassRole]: bool.default(true),
  [GUARDRAIL_CONTEXT_KEYS.requireImdsV2]: bool.default(false),
  [GUARDRAIL_CONTEXT_KEYS.subnetIds]: ids(SUBNET_ID, 'subnet ids (subnet-…)'),
  [GUARDRAIL_CONTEXT_KEYS.securityGroupIds]: ids(SECURITY_GROUP_ID, 'security group ids (sg-…)'),
  // The janitor (infra/README.md, Janitor): how often it sweeps, and how long after an execution
  // ended its test-mode leftovers may stay before the sweep removes them.
  janitorSweepSchedule: z
    .string()
    .regex(/^(cron|rate)\(.+\)$/, { error: 'must be a cron(...) or rate(...) expression' })
    .default('rate(1 hour)'),
  janitorRetentionMinutes: int(0, 10_080).default(30),
});

/**
 * RestoreRole and passRoleTo refuse account-wide instance-role patterns too; here the error names
 * the context key's entry.
 */
const CheckedContextSchema = ContextSchema.superRefine((c, ctx) => {
  if (c[ACCOUNT_WIDE_PASS_ROLE_KEY]) return;
  for (const [index, arn] of c.instanceRoleArns.entries()) {
    if (isAccountWideRolePattern(arn)) {
      ctx.addIssue({
        code: 'custom',
        path: ['instanceRoleArns', index],
        message: accountWideRoleMessage(arn),
      });
    }
  }
});

export type ContextKey = keyof typeof ContextSchema.shape;
export const CONTEXT_KEYS = Object.keys(ContextSchema.shape) as ContextKey[];

export interface AppContext {
  readonly orchestrator: {
    readonly instanceRoleArns: string[];
    /** Whether instanceRoleArns may hold a pattern matching every role. */
    readonly allowAccountWidePassRole: boolean;
    readonly keyPairParameterPrefix: string;
    readonly notificationEmails: string[];
    readonly schedules: RestoreTestSchedule[];
    readonly api:
      | false
      | { throttlingRateLimit: number; throttlingBurstLimit: number; cloudWatchRole: boolean };
    /** Customer-managed KMS key for the topic, the state machines and their logs. */
    readonly encryptionKey: 'create' | 'none' | { readonly keyArn: string };
    /** What validate-input refuses, for every caller. */
    readonly guardrails: Required<RestoreGuardrails>;
    readonly janitor: { readonly sweepSchedule: string; readonly retentionMinutes: number };
    /** The VPCs with an in-VPC SSH probe. */
    readonly sshProbeNetworks: { vpcId: string; subnetIds: string[]; ports?: number[] }[];
  };
  /** `undefined` when deployBackupStack is false. */
  readonly backup: Ec2BackupPlanProps | undefined;
}

/**
 * Read and validate this app's context. `context` is everything the CDK passes
 * (`app.node.getAllContext()`): CDK's own keys contain `:` or start with `@` and are ignored;
 * any other key this app does not know is rejected as a likely typo.
 */
export function readAppContext(context: Record<string, unknown>): AppContext {
  const ours = Object.fromEntries(
    Object.entries(context).filter(([key]) => !key.includes(':') && !key.startsWith('@')),
  );
  const unknown = Object.keys(ours).filter((key) => !(CONTEXT_KEYS as string[]).includes(key));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown context key(s): ${unknown.join(', ')}. Known keys: ${CONTEXT_KEYS.join(', ')} (see infra/README.md).`,
    );
  }
  const result = CheckedContextSchema.safeParse(ours);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const [key, ...rest] = issue.path.map(String);
      if (rest.length > 0) return `context key ${key}, at ${rest.join('.')}: ${issue.message}`;
      const got = key === undefined ? undefined : ours[key];
      return `context key ${key}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
    });
    throw new Error(
      `Invalid CDK context:\n  ${problems.join('\n  ')}\nSet keys in cdk.json or with -c key=value.`,
    );
  }
  const c = result.data;
  const guardrails: Required<RestoreGuardrails> = {
    publicIp: { test: c.guardrailPublicIpTest, recovery: c.guardrailPublicIpRecovery },
    allowPassRole: c.guardrailAllowPassRole,
    requireImdsV2: c.guardrailRequireImdsV2,
    subnetIds: c.guardrailSubnetIds,
    securityGroupIds: c.guardrailSecurityGroupIds,
  };
  checkSchedulesAgainstGuardrails(c.restoreTestSchedules, guardrails);
  return {
    orchestrator: {
      instanceRoleArns: c.instanceRoleArns,
      allowAccountWidePassRole: c.allowAccountWidePassRole,
      keyPairParameterPrefix: c.keyPairParameterPrefix,
      notificationEmails: c.notificationEmails,
      schedules: c.restoreTestSchedules,
      api: c.deployApi && {
        throttlingRateLimit: c.apiThrottlingRateLimit,
        throttlingBurstLimit: c.apiThrottlingBurstLimit,
        cloudWatchRole: c.apiGatewayCloudWatchRole,
      },
      encryptionKey: c.kmsKey === 'create' || c.kmsKey === 'none' ? c.kmsKey : { keyArn: c.kmsKey },
      guardrails,
      janitor: { sweepSchedule: c.janitorSweepSchedule, retentionMinutes: c.janitorRetentionMinutes },
      sshProbeNetworks: c.sshProbeNetworks,
    },
    backup: c.deployBackupStack
      ? {
          vaultName: c.backupVaultName,
          planName: c.backupPlanName,
          ruleName: c.backupRuleName,
          scheduleExpression: c.backupSchedule,
          scheduleTimeZone: c.backupScheduleTimeZone,
          startWindowMinutes: c.backupStartWindowMinutes,
          deleteAfterDays: c.backupDeleteAfterDays,
          selectionName: c.backupSelectionName,
          tagKey: c.backupTagKey,
          tagValue: c.backupTagValue,
          deletionProtection: c.protectRecoveryPoints
            ? { breakGlassRoleArn: c.breakGlassRoleArn ?? null }
            : false,
        }
      : undefined,
  };
}

/**
 * A scheduled restore test that the guardrails would refuse would fail every time it fires: fail
 * synth instead. The schedules construct checks the input against the contract; this checks it
 * against the guardrails, as the deployed validate-input will (test mode unless the input sets one).
 */
function checkSchedulesAgainstGuardrails(
  schedules: readonly RestoreTestSchedule[],
  guardrails: RestoreGuardrails,
): void {
  const env = parseEnv('validate-input', guardrailEnvironment(guardrails));
  for (const [index, schedule] of schedules.entries()) {
    let request: ReturnType<typeof parseRestoreRequest>;
    try {
      request = parseRestoreRequest({ mode: 'test', ...schedule.input });
    } catch {
      continue; // the contract check in RestoreTestSchedules names the problem
    }
    try {
      applyGuardrails(request, env);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      throw new Error(
        `Invalid CDK context:\n  context key restoreTestSchedules, at ${index}.input (${schedule.name}): ${error.message}`,
      );
    }
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
