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
  readonly sshPort?: string;
  /** False with `--no-ssh`. */
  readonly ssh?: boolean;
  readonly mode?: string;
  readonly dryRun?: boolean;
  readonly restoreTimeoutMinutes?: string;
  readonly name?: string;
  readonly wait?: boolean;
  readonly pollInterval: number;
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
    port: flags.sshPort === undefined ? undefined : numberOrText(flags.sshPort),
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
    restoreTimeoutMinutes:
      flags.restoreTimeoutMinutes === undefined ? undefined : numberOrText(flags.restoreTimeoutMinutes),
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

/** "Invalid restore request: overrides.subnetId: must look like …" → "--subnet-id: must look like …". */
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
      return key ? [flagForField[key], ...rest].join(': ') : problem;
    })
    .join('; ');
}

/** Numbers stay numbers; anything else goes to the schema as typed, so its error shows the value. */
export function numberOrText(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

export function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
