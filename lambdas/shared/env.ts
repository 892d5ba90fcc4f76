/**
 * One environment schema per step Lambda. The CDK construct types each function's `environment`
 * from these schemas (a variable the infra forgets is a compile error), and the emulator builds
 * the same environment for the in-process handlers.
 */
import { SECURITY_GROUP_ID, SUBNET_ID } from './restore-request';
import { sshProbesEnv } from './ssh-probes';
import * as z from './zod';

const seconds = (fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(86_400)), fallback);
const roleArn = z.string().check(
  z.regex(/^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
    message: 'must be an IAM role ARN',
  }),
);
/** A Parameter Store path: `/…/`. Also what infra's `keyPairParameterPrefix` context key accepts. */
export const parameterPrefix = z._default(
  z.string().check(z.regex(/^\/[a-zA-Z0-9_.\-/]*\/$/, { message: 'must start and end with /' })),
  '/ec2/keypair/',
);

/**
 * How long a step that waits for something quick (instance running, profile associated, sshd up)
 * keeps checking inside one call before handing the wait to a Wait state (shared/in-call-wait.ts).
 * At most 40 s, so that the call plus one last check stays inside the functions' 60 s timeout.
 */
const inCallWait = z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(40)), 30);

const common = { LOG_LEVEL: z.optional(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'])) };

/** A comma-separated list; empty (or unset) is the empty list. */
const commaList = (item: z.ZodMiniString<string>) =>
  z.pipe(
    z.pipe(
      z._default(z.string(), ''),
      z.transform((text: string) =>
        text
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      ),
    ),
    z.array(item),
  );
const flag = (fallback: boolean) =>
  z.pipe(
    z._default(z.enum(['true', 'false'], { message: 'must be true or false' }), fallback ? 'true' : 'false'),
    z.transform((v: 'true' | 'false') => v === 'true'),
  );
const publicIpChoices = z.pipe(
  z.pipe(
    z._default(z.string(), 'auto,always,never'),
    z.transform((text: string) => text.split(',').map((part) => part.trim())),
  ),
  z.array(z.enum(['auto', 'always', 'never'])).check(z.minLength(1)),
);

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
  GUARDRAIL_SUBNET_IDS: commaList(z.string().check(z.regex(SUBNET_ID, { message: 'must be subnet ids' }))),
  GUARDRAIL_SECURITY_GROUP_IDS: commaList(
    z.string().check(z.regex(SECURITY_GROUP_ID, { message: 'must be security group ids' })),
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
    NOTIFICATION_TOPIC_ARN: z.optional(
      z.string().check(
        z.regex(/^arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, {
          message: 'must be an SNS topic ARN',
        }),
      ),
    ),
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
