/**
 * The janitor Lambda's environment, validated once: infra/constructs/janitor.ts sets it (typed
 * from JanitorEnvironment), and the emulator builds the same from the synthesised template.
 */
import * as z from '@shared/zod';
import type { JanitorConfig } from './janitor';
import { DEFAULT_RESTORE_JOB_LOOKBACK_HOURS, DEFAULT_RETENTION_MINUTES } from './sweep';

const stateMachineArn = z.string().check(
  z.regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w.-]+$/, {
    message: 'must be a state machine ARN',
  }),
);

export const JanitorEnvSchema = z.object({
  LOG_LEVEL: z.optional(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'])),
  RESTORE_STATE_MACHINE_ARN: stateMachineArn,
  FLEET_STATE_MACHINE_ARN: stateMachineArn,
  RESTORE_ROLE_ARN: z.optional(
    z
      .string()
      .check(
        z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, { message: 'must be an IAM role ARN' }),
      ),
  ),
  NOTIFICATION_TOPIC_ARN: z.optional(
    z
      .string()
      .check(
        z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, { message: 'must be an SNS topic ARN' }),
      ),
  ),
  SWEEP_RETENTION_MINUTES: z._default(
    z.coerce.number().check(z.int(), z.minimum(0), z.maximum(10_080)),
    DEFAULT_RETENTION_MINUTES,
  ),
  RESTORE_JOB_LOOKBACK_HOURS: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(720)),
    DEFAULT_RESTORE_JOB_LOOKBACK_HOURS,
  ),
  METRIC_NAMESPACE: z._default(
    z.string().check(z.minLength(1), z.maxLength(255)),
    'Ec2RestoreOrchestrator/Janitor',
  ),
});

/** What infra must set: the optional and defaulted keys may be left out. */
export type JanitorEnvironment = z.input<typeof JanitorEnvSchema>;

export function janitorConfig(env: Record<string, string | undefined>): JanitorConfig {
  const parsed = JanitorEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new TypeError(`The janitor's environment is invalid: ${problems}`);
  }
  const e = parsed.data;
  return {
    restoreStateMachineArn: e.RESTORE_STATE_MACHINE_ARN,
    fleetStateMachineArn: e.FLEET_STATE_MACHINE_ARN,
    restoreRoleArn: e.RESTORE_ROLE_ARN,
    notificationTopicArn: e.NOTIFICATION_TOPIC_ARN,
    retentionMinutes: e.SWEEP_RETENTION_MINUTES,
    restoreJobLookbackHours: e.RESTORE_JOB_LOOKBACK_HOURS,
    metricNamespace: e.METRIC_NAMESPACE,
  };
}
