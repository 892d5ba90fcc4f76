/**
 * The per-instance restore flags, shared by `start` and `fleet` (a fleet's `defaults` are what
 * `start` would send for one instance): the input they build, holding only what was set so the
 * workflow fills in its own defaults, and the workflow's own schema applied to it, with a rejection
 * naming the flag the person typed rather than the request field.
 */
import { InvalidInputError } from '@shared/errors';
import { usageError } from './errors';

export interface StartFlags {
  readonly instanceId?: string;
  readonly recoveryPoint?: string;
  readonly before?: string;
  readonly vault?: string;
  readonly subnetId?: string;
  readonly securityGroupIds?: string;
  readonly instanceType?: string;
  readonly instanceProfile?: string;
  readonly publicIp?: string;
  readonly sshUser?: string;
  /** Parsed by flag-values.ts, like every numeric flag. */
  readonly sshPort?: number;
  /** False with `--no-ssh`. */
  readonly ssh?: boolean;
  readonly mode?: string;
  readonly dryRun?: boolean;
  readonly restoreTimeoutMinutes?: number;
  readonly name?: string;
  readonly wait?: boolean;
  readonly pollInterval: number;
  /** Start through the REST API at this stage URL instead of Step Functions (contract §6). */
  readonly viaApi?: string;
}

/** Input fields → the flag that sets each, so a schema error names what the person typed. */
export const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  instanceId: '--instance-id',
  resourceArn: '--instance-id',
  recoveryPointArn: '--recovery-point',
  restorePointBefore: '--before',
  backupVaultName: '--vault',
  'overrides.subnetId': '--subnet-id',
  'overrides.securityGroupIds': '--security-group-ids',
  'overrides.instanceType': '--instance-type',
  instanceProfile: '--instance-profile',
  publicIp: '--public-ip',
  'ssh.username': '--ssh-user',
  'ssh.port': '--ssh-port',
  mode: '--mode',
  restoreTimeoutMinutes: '--restore-timeout-minutes',
};

/** A top-level camelCase request field as a word of an error message (`mode` alone is also English). */
const FIELD_WORD = new RegExp(
  `\\b(${Object.keys(FLAG_FOR_FIELD)
    .filter((field) => /^[a-z]+[A-Z]\w*$/.test(field))
    .join('|')})\\b`,
  'g',
);

/** The execution input, holding only what the flags set: the workflow fills in its own defaults. */
export function buildRestoreInput(flags: StartFlags): Record<string, unknown> {
  const overrides = defined({
    subnetId: flags.subnetId,
    securityGroupIds: flags.securityGroupIds?.split(',').map((s) => s.trim()),
    instanceType: flags.instanceType,
  });
  const ssh = defined({
    enabled: flags.ssh === false ? false : undefined,
    username: flags.sshUser,
    port: flags.sshPort,
  });
  const instanceKey = flags.instanceId?.startsWith('arn:') ? 'resourceArn' : 'instanceId';
  return defined({
    [instanceKey]: flags.instanceId,
    recoveryPointArn: flags.recoveryPoint,
    restorePointBefore: flags.before,
    backupVaultName: flags.vault,
    overrides: Object.keys(overrides).length > 0 ? overrides : undefined,
    instanceProfile: flags.instanceProfile,
    publicIp: flags.publicIp,
    ssh: Object.keys(ssh).length > 0 ? ssh : undefined,
    mode: flags.mode,
    dryRun: flags.dryRun ? true : undefined,
    restoreTimeoutMinutes: flags.restoreTimeoutMinutes,
  });
}

/**
 * The workflow's own schema applied to what the flags built; a rejection becomes a usage error
 * (exit 2) that names the flag, not the request field.
 */
export function validateFlags<T>(
  parse: (input: Record<string, unknown>) => T,
  input: Record<string, unknown>,
  command: string,
  flagForField: Readonly<Record<string, string>> = FLAG_FOR_FIELD,
): T {
  try {
    return parse(input);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw usageError(
      flagMessage(error.message, flagForField),
      `See \`ec2-restore ${command} --help\` for each flag and an example.`,
    );
  }
}

/**
 * `start` restores an instance, or a recovery point: asked before the schema, whose own words
 * ("give instanceId, resourceArn or recoveryPointArn") name request fields, not flags.
 */
export function requireRestoreTarget(flags: Pick<StartFlags, 'instanceId' | 'recoveryPoint'>): void {
  if (flags.instanceId === undefined && flags.recoveryPoint === undefined) {
    throw usageError(
      'Nothing to restore: give --instance-id or --recovery-point.',
      'For example: ec2-restore start --instance-id i-0123456789abcdef0 --wait',
    );
  }
}

/**
 * "Invalid restore request: overrides.subnetId: must look like …" → "--subnet-id: must look like …";
 * a request field named inside the text ("cannot be combined with recoveryPointArn") becomes its flag too.
 */
function flagMessage(
  message: string,
  flagForField: Readonly<Record<string, string>> = FLAG_FOR_FIELD,
): string {
  const body = message.replace(/^Invalid [\w ]+ request: /, '').replace(/\.$/, '');
  return body
    .split('; ')
    .map((problem) => {
      const [field = '', ...rest] = problem.split(': ');
      const key = Object.keys(flagForField)
        .filter((k) => field === k || field.startsWith(`${k}.`))
        .sort((a, b) => b.length - a.length)[0];
      const text = rest.join(': ').replace(FIELD_WORD, (word) => FLAG_FOR_FIELD[word] ?? word);
      return key ? [flagForField[key], ...(rest.length > 0 ? [text] : [])].join(': ') : problem;
    })
    .join('; ');
}

export function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
