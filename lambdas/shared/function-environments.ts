/**
 * Each step Lambda's environment, typed from its schema (lambdas/shared/env.ts). The CDK
 * construct deploys exactly this, and the emulator gives the in-process handlers the same, so a
 * variable that differs between AWS and the emulator cannot exist.
 */
import type { FunctionEnvironment, FunctionId } from '@shared/env';
import type { SshProbeRefInput } from '@shared/ssh-probes';

export interface FunctionEnvironmentSettings {
  /** The role AWS Backup assumes to restore (it may iam:PassRole the instance roles to EC2). */
  readonly restoreRoleArn: string;
  /** @default '/ec2/keypair/' */
  readonly keyPairParameterPrefix?: string;
  /** @default none */
  readonly notificationTopicArn?: string;
  /** What validate-input refuses, for every caller. @default none: today's behaviour */
  readonly guardrails?: RestoreGuardrails;
  /** The in-VPC SSH probes, one per VPC (infra context sshProbeNetworks). @default none */
  readonly sshProbes?: readonly SshProbeRefInput[];
}

export type PublicIpChoice = 'auto' | 'always' | 'never';

/**
 * Deployment guardrails, enforced by the workflow's first step for every caller (CLI, schedules,
 * fleets, API): a request that breaks one fails with InvalidInputError before any AWS call.
 */
export interface RestoreGuardrails {
  /** publicIp values a request may ask for, per mode. @default all three in both modes */
  readonly publicIp?: {
    readonly test?: readonly PublicIpChoice[];
    readonly recovery?: readonly PublicIpChoice[];
  };
  /** Whether `instanceProfile: passrole` is allowed. @default true */
  readonly allowPassRole?: boolean;
  /**
   * Force IMDSv2: a request with `overrides.requireImdsV2: false` is refused, one without it gets
   * true. @default false (a DR restore keeps what the source had, IMDSv1 included)
   */
  readonly requireImdsV2?: boolean;
  /** Subnets `overrides.subnetId` may name; empty = any. @default [] */
  readonly subnetIds?: readonly string[];
  /** Security groups `overrides.securityGroupIds` may name; empty = any. @default [] */
  readonly securityGroupIds?: readonly string[];
}

/**
 * The CDK context key behind each guardrail, so that a refusal names the setting to change
 * (infra/app-context.ts reads exactly these keys; a test keeps the two in step).
 */
export const GUARDRAIL_CONTEXT_KEYS = {
  publicIpTest: 'guardrailPublicIpTest',
  publicIpRecovery: 'guardrailPublicIpRecovery',
  allowPassRole: 'guardrailAllowPassRole',
  requireImdsV2: 'guardrailRequireImdsV2',
  subnetIds: 'guardrailSubnetIds',
  securityGroupIds: 'guardrailSecurityGroupIds',
} as const;

const ALL_PUBLIC_IP: readonly PublicIpChoice[] = ['auto', 'always', 'never'];

/**
 * validate-input's environment: every guardrail spelt out, so the function's configuration shows
 * what is in force. An empty subnet or security group list (any) is left unset rather than set to
 * an empty value.
 */
export function guardrailEnvironment(
  guardrails: RestoreGuardrails = {},
): FunctionEnvironment<'validate-input'> {
  const subnetIds = guardrails.subnetIds ?? [];
  const securityGroupIds = guardrails.securityGroupIds ?? [];
  return {
    GUARDRAIL_PUBLIC_IP_TEST: (guardrails.publicIp?.test ?? ALL_PUBLIC_IP).join(','),
    GUARDRAIL_PUBLIC_IP_RECOVERY: (guardrails.publicIp?.recovery ?? ALL_PUBLIC_IP).join(','),
    GUARDRAIL_ALLOW_PASSROLE: String(guardrails.allowPassRole ?? true),
    GUARDRAIL_REQUIRE_IMDSV2: String(guardrails.requireImdsV2 ?? false),
    ...(subnetIds.length > 0 && { GUARDRAIL_SUBNET_IDS: subnetIds.join(',') }),
    ...(securityGroupIds.length > 0 && { GUARDRAIL_SECURITY_GROUP_IDS: securityGroupIds.join(',') }),
  };
}

export type FunctionEnvironments = { readonly [F in FunctionId]: FunctionEnvironment<F> };

export function functionEnvironments(settings: FunctionEnvironmentSettings): FunctionEnvironments {
  const prefix = settings.keyPairParameterPrefix ?? '/ec2/keypair/';
  const probes = JSON.stringify(settings.sshProbes ?? []);
  return {
    'validate-input': guardrailEnvironment(settings.guardrails),
    'select-recovery-point': {},
    'resolve-source': {},
    'plan-restore': {
      RESTORE_ROLE_ARN: settings.restoreRoleArn,
      KEY_PAIR_PARAMETER_PREFIX: prefix,
      SSH_PROBES: probes,
    },
    'start-restore-job': { RESTORE_ROLE_ARN: settings.restoreRoleArn },
    'poll-restore-job': {},
    'wait-instance': {},
    'tag-resources': {},
    'reattach-instance-profile': {},
    'ensure-public-address': {},
    'check-ssh': { SSH_PROBES: probes },
    cleanup: {},
    'handle-failure': {},
    report: settings.notificationTopicArn ? { NOTIFICATION_TOPIC_ARN: settings.notificationTopicArn } : {},
  };
}
