/**
 * Each step Lambda's environment, typed from its schema (lambdas/shared/env.ts). The CDK
 * construct deploys exactly this, and the emulator gives the in-process handlers the same, so a
 * variable that differs between AWS and the emulator cannot exist.
 */
import type { FunctionEnvironment, FunctionId } from '@shared/env';

export interface FunctionEnvironmentSettings {
  /** The role AWS Backup assumes to restore (it may iam:PassRole the instance roles to EC2). */
  readonly restoreRoleArn: string;
  /** @default '/ec2/keypair/' */
  readonly keyPairParameterPrefix?: string;
  /** @default none */
  readonly notificationTopicArn?: string;
}

export type FunctionEnvironments = { readonly [F in FunctionId]: FunctionEnvironment<F> };

export function functionEnvironments(settings: FunctionEnvironmentSettings): FunctionEnvironments {
  const prefix = settings.keyPairParameterPrefix ?? '/ec2/keypair/';
  return {
    'validate-input': {},
    'select-recovery-point': {},
    'resolve-source': {},
    'plan-restore': { RESTORE_ROLE_ARN: settings.restoreRoleArn, KEY_PAIR_PARAMETER_PREFIX: prefix },
    'start-restore-job': { RESTORE_ROLE_ARN: settings.restoreRoleArn },
    'poll-restore-job': {},
    'wait-instance': {},
    'tag-resources': {},
    'reattach-instance-profile': {},
    'ensure-public-address': {},
    'check-ssh': {},
    cleanup: {},
    'handle-failure': {},
    report: settings.notificationTopicArn ? { NOTIFICATION_TOPIC_ARN: settings.notificationTopicArn } : {},
  };
}
