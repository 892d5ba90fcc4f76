/**
 * One environment schema per step Lambda. The CDK construct types each function's `environment`
 * from these schemas (a variable the infra forgets is a compile error), and the emulator builds
 * the same environment for the in-process handlers.
 */
import * as z from 'zod';
import { SECURITY_GROUP_ID, SUBNET_ID } from './restore-request';
import { sshProbesEnv } from './ssh-probes';

const seconds = (fallback: number) => z.coerce.number().int().min(1).max(86_400).default(fallback);
const roleArn = z.string().regex(/^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
  message: 'must be an IAM role ARN',
});
/** A Parameter Store path: `/…/`. Also what infra's `keyPairParameterPrefix` context key accepts. */
export const parameterPrefix = z
  .string()
  .regex(/^\/[a-zA-Z0-9_.\-/]*\/$/, { message: 'must start and end with /' })
  .default('/ec2/keypair/');

/**
 * How long a step that waits for something quick (instance running, profile associated, sshd up)
 * keeps checking inside one call before handing the wait to a Wait state (shared/in-call-wait.ts).
 * At most 40 s, so that the call plus one last check stays inside the functions' 60 s timeout.
 */
const inCallWait = z.coerce.number().int().min(0).max(40).default(30);

const common = { LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).optional() };

/** A comma-separated list; empty (or unset) is the empty list. */
const commaList = (item: z.ZodString) =>
  z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');
const publicIpChoices = z
  .string()
  .default('auto,always,never')
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(z.enum(['auto', 'always', 'never'])).min(1));

/**
 * The deployment's guardrails (infra context keys guardrail*, infra/README.md), which
 * validate-input applies to every request, whoever starts it. Unset means today's behaviour:
 * every publicIp choice in both modes, passrole allowed, IMDSv2 as the request or the source
 * has it, any subnet and security group.
 */
const guardrails = {
  GUARDRAIL_PUBLIC_IP_TEST: publicIpChoices,
  GUARDRAIL_PUBLIC_IP_RECOVERY: publicIpChoices,
  GUARDRAIL_ALLOW_PASSROLE: flag(true),
  GUARDRAIL_REQUIRE_IMDSV2: flag(false),
  GUARDRAIL_SUBNET_IDS: commaList(z.string().regex(SUBNET_ID, { message: 'must be subnet ids' })),
  GUARDRAIL_SECURITY_GROUP_IDS: commaList(
    z.string().regex(SECURITY_GROUP_ID, { message: 'must be security group ids' }),
  ),
};

export const EnvSchemas = {
  'validate-input': z.object({ ...common, ...guardrails }),
  'select-recovery-point': z.object({ ...common }),
  'resolve-source': z.object({ ...common }),
  'plan-restore': z.object({
    ...common,
    RESTORE_ROLE_ARN: roleArn,
    KEY_PAIR_PARAMETER_PREFIX: parameterPrefix,
    /** The in-VPC SSH probes (JSON, shared/ssh-probes.ts): which VPC has one decides the check's path. */
    SSH_PROBES: sshProbesEnv,
  }),
  'start-restore-job': z.object({ ...common, RESTORE_ROLE_ARN: roleArn }),
  'poll-restore-job': z.object({
    ...common,
    /** Never poll more often than this. */
    POLL_MIN_SECONDS: seconds(15),
    /**
     * Never sleep longer than this between polls, however far the job is from done: the blind
     * window if AWS's estimate is far too pessimistic. 30 minutes lets a job of up to about half
     * an hour that keeps to its estimate finish in two polls.
     */
    POLL_MAX_SECONDS: seconds(1800),
  }),
  'wait-instance': z.object({
    ...common,
    INSTANCE_POLL_SECONDS: seconds(10),
    INSTANCE_TIMEOUT_SECONDS: seconds(900),
    IN_CALL_WAIT_SECONDS: inCallWait,
  }),
  'tag-resources': z.object({ ...common }),
  'reattach-instance-profile': z.object({
    ...common,
    PROFILE_POLL_SECONDS: seconds(5),
    PROFILE_TIMEOUT_SECONDS: seconds(300),
    IN_CALL_WAIT_SECONDS: inCallWait,
  }),
  'ensure-public-address': z.object({ ...common }),
  'check-ssh': z.object({
    ...common,
    SSH_CONNECT_TIMEOUT_SECONDS: seconds(10),
    SSH_RETRY_SECONDS: seconds(15),
    IN_CALL_WAIT_SECONDS: inCallWait,
    /** The in-VPC SSH probes this step may invoke (JSON, shared/ssh-probes.ts). */
    SSH_PROBES: sshProbesEnv,
  }),
  cleanup: z.object({ ...common }),
  'handle-failure': z.object({ ...common }),
  report: z.object({
    ...common,
    NOTIFICATION_TOPIC_ARN: z
      .string()
      .regex(/^arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, { message: 'must be an SNS topic ARN' })
      .optional(),
  }),
} as const;

/** The restore-fleet workflow's own steps (its children are restore-instance executions). */
export const FleetEnvSchemas = {
  'resolve-fleet-targets': z.object({ ...common }),
  'summarise-fleet': z.object({ ...common }),
} as const;

const AllEnvSchemas = { ...EnvSchemas, ...FleetEnvSchemas };

/** A restore-instance step. */
export type FunctionId = keyof typeof EnvSchemas;
export const FUNCTION_IDS = Object.keys(EnvSchemas) as FunctionId[];
/** A restore-fleet step. */
export type FleetFunctionId = keyof typeof FleetEnvSchemas;
export const FLEET_FUNCTION_IDS = Object.keys(FleetEnvSchemas) as FleetFunctionId[];
export type AnyFunctionId = FunctionId | FleetFunctionId;

/** What a function's environment must contain (before defaults), for the CDK construct. */
export type FunctionEnvironment<F extends AnyFunctionId> = {
  [K in keyof z.input<(typeof AllEnvSchemas)[F]>]: string;
};
export type FunctionEnv<F extends AnyFunctionId> = z.output<(typeof AllEnvSchemas)[F]>;

export function parseEnv<F extends AnyFunctionId>(
  id: F,
  raw: Record<string, string | undefined>,
): FunctionEnv<F> {
  const result = AllEnvSchemas[id].safeParse(raw);
  if (result.success) return result.data as FunctionEnv<F>;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`Lambda ${id} is misconfigured: ${problems}`);
}
