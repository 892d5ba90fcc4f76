/**
 * The `restore-instance` input contract (docs/contract.md §1) as one zod schema. The workflow's
 * validate-input step, the CLI and the API all validate with this schema, so a request that one
 * accepts the others accept too. Defaults are filled in here and nowhere else.
 */
import { InvalidInputError } from './errors';
import { SSH_COMMANDS_BUDGET_SECONDS } from './ssh-budget';
import * as z from './zod';

export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const SUBNET_ID = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const SECURITY_GROUP_ID = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const INSTANCE_ARN =
  /^arn:aws(?:-[a-z]+)*:ec2:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):instance\/(i-(?:[0-9a-f]{8}|[0-9a-f]{17}))$/;
/** An EC2 recovery point is the AMI that AWS Backup made; its ARN has an empty account field. */
export const EC2_RECOVERY_POINT_ARN =
  /^arn:aws(?:-[a-z]+)*:ec2:([a-z]{2}(?:-[a-z]+)+-\d)::image\/(ami-(?:[0-9a-f]{8}|[0-9a-f]{17}))$/;
export const BACKUP_VAULT_NAME = /^[a-zA-Z0-9\-_]{2,50}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSM_PARAMETER_NAME = /^\/?[a-zA-Z0-9_.\-/]{1,1011}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** Tag keys the workflow writes itself; a request may not set or overwrite them. */
export const RESERVED_TAG_PREFIXES = ['aws:', 'ec2-restore:'] as const;

const pattern = (re: RegExp, example: string) =>
  z.string().check(z.maxLength(2048), z.regex(re, { message: `must look like ${example}` }));

export const SshOptionsSchema = z.prefault(
  z.strictObject({
    enabled: z._default(z.boolean(), true),
    username: z._default(pattern(LINUX_USER, 'ec2-user (a Linux user name)'), 'ec2-user'),
    port: z._default(z.int().check(z.minimum(1), z.maximum(65535)), 22),
    target: z._default(z.enum(['auto', 'public', 'private']), 'auto'),
    timeoutSeconds: z._default(z.int().check(z.minimum(30), z.maximum(3600)), 600),
    privateKeyParameter: z._default(
      z.nullable(pattern(SSM_PARAMETER_NAME, '/ec2/keypair/key-0123456789abcdef0')),
      null,
    ),
    /**
     * Checks run over the authenticated session once the host key is trusted, e.g.
     * `systemctl is-active nginx`; a non-zero exit fails the restore (ValidationCheckError).
     */
    commands: z._default(
      z.array(z.string().check(z.minLength(1), z.maxLength(1024))).check(z.maxLength(10)),
      [],
    ),
    /** How long each command may run. */
    commandTimeoutSeconds: z._default(z.int().check(z.minimum(1), z.maximum(300)), 30),
  }),
  {},
);

export const OverridesSchema = z.prefault(
  z.strictObject({
    subnetId: z.optional(pattern(SUBNET_ID, 'subnet-0123456789abcdef0')),
    securityGroupIds: z.optional(
      z.array(pattern(SECURITY_GROUP_ID, 'sg-0123456789abcdef0')).check(
        z.minLength(1),
        z.maxLength(16),
        z.refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat a security group' }),
      ),
    ),
    instanceType: z.optional(pattern(INSTANCE_TYPE, 't3.small').check(z.maxLength(32))),
    requireImdsV2: z.optional(z.boolean()),
  }),
  {},
);

const TagsSchema = z._default(
  z
    .record(
      pattern(TAG_KEY, 'a tag key of 1-128 letters, digits, spaces or _.:/=+-@'),
      pattern(TAG_VALUE, 'a tag value of up to 256 letters, digits, spaces or _.:/=+-@'),
    )
    .check(
      z.refine((tags) => Object.keys(tags).length <= 20, { message: 'at most 20 extra tags' }),
      z.refine(
        (tags) =>
          Object.keys(tags).every((k) => !RESERVED_TAG_PREFIXES.some((p) => k.toLowerCase().startsWith(p))),
        { message: `tag keys may not start with ${RESERVED_TAG_PREFIXES.join(' or ')}` },
      ),
    ),
  {},
);

export const RestoreRequestSchema = z
  .strictObject({
    instanceId: z.optional(pattern(INSTANCE_ID, 'i-0123456789abcdef0')),
    resourceArn: z.optional(
      pattern(INSTANCE_ARN, 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0'),
    ),
    recoveryPointArn: z.optional(
      pattern(EC2_RECOVERY_POINT_ARN, 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0'),
    ),
    restorePointBefore: z.optional(
      z.iso.datetime({
        offset: true,
        message: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-11-20T00:00:00Z',
      }),
    ),
    backupVaultName: z.optional(pattern(BACKUP_VAULT_NAME, 'EC2 (2-50 letters, digits, - or _)')),
    overrides: OverridesSchema,
    instanceProfile: z._default(z.enum(['reattach', 'passrole', 'none']), 'reattach'),
    publicIp: z._default(z.enum(['auto', 'always', 'never']), 'auto'),
    ssh: SshOptionsSchema,
    mode: z._default(z.enum(['recovery', 'test']), 'recovery'),
    dryRun: z._default(z.boolean(), false),
    /** How long the restore job may take before the workflow gives up (RestoreTimeoutError). */
    restoreTimeoutMinutes: z._default(z.int().check(z.minimum(5), z.maximum(24 * 60)), 240),
    tags: TagsSchema,
  })
  .check(
    z.superRefine((req, ctx) => {
      if (!req.instanceId && !req.resourceArn && !req.recoveryPointArn) {
        ctx.addIssue({
          code: 'custom',
          path: ['instanceId'],
          message: 'is required: give instanceId, resourceArn or recoveryPointArn',
        });
      }
      const arnInstance = req.resourceArn?.match(INSTANCE_ARN)?.[3];
      if (req.instanceId && arnInstance && arnInstance !== req.instanceId) {
        ctx.addIssue({
          code: 'custom',
          path: ['resourceArn'],
          message: `names ${arnInstance}, which is not instanceId ${req.instanceId}`,
        });
      }
      const { commands, commandTimeoutSeconds } = req.ssh;
      if (commands.length * commandTimeoutSeconds > SSH_COMMANDS_BUDGET_SECONDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['ssh', 'commands'],
          message: `${commands.length} commands × ${commandTimeoutSeconds} s (ssh.commandTimeoutSeconds) may take longer than the ${SSH_COMMANDS_BUDGET_SECONDS} s the SSH check has for them; run fewer commands or give each less time`,
        });
      }
      if (req.recoveryPointArn && req.restorePointBefore) {
        ctx.addIssue({
          code: 'custom',
          path: ['restorePointBefore'],
          message: 'cannot be combined with recoveryPointArn (which already names the point)',
        });
      }
    }),
  );

export type RestoreRequestInput = z.input<typeof RestoreRequestSchema>;
export type RestoreRequest = z.output<typeof RestoreRequestSchema>;

const MAX_SHOWN_VALUE = 60;

/** A short, log-safe rendering of a rejected value: hostile or huge input is never echoed whole. */
function showValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE)}… (${text.length} chars)` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): { field: string; text: string } {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(input)';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (issue.path.length ? `${field}.${k}` : k));
    return { field: keys[0] ?? field, text: `unknown field(s) ${keys.join(', ')}` };
  }
  if (issue.code === 'invalid_type') {
    const got = valueAt(raw, issue.path);
    const kind =
      got === undefined ? 'nothing' : Array.isArray(got) ? 'an array' : got === null ? 'null' : typeof got;
    return { field, text: `${field}: expected ${issue.expected}, got ${kind}` };
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
    return {
      field,
      text: `${field}: must be one of ${allowed} (got ${showValue(valueAt(raw, issue.path))})`,
    };
  }
  const got = valueAt(raw, issue.path);
  const suffix = got === undefined || issue.code === 'custom' ? '' : ` (got ${showValue(got)})`;
  return { field, text: `${field}: ${issue.message}${suffix}` };
}

/** Validate and normalise a request, or throw an InvalidInputError naming every bad field. */
export function parseRestoreRequest(raw: unknown): RestoreRequest {
  return parseRequest(RestoreRequestSchema, raw, 'restore request');
}

/** Parse a JSON-object request with a schema; an InvalidInputError names every bad field. */
export function parseRequest<S extends z.ZodMiniType>(schema: S, raw: unknown, what: string): z.output<S> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError(`The input must be a JSON object (got ${showValue(raw)}).`, ['(input)']);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const described = result.error.issues.map((issue) => describeIssue(issue, raw));
  const fields = [...new Set(described.map((d) => d.field))];
  throw new InvalidInputError(`Invalid ${what}: ${described.map((d) => d.text).join('; ')}.`, fields);
}
