/**
 * What invokes the janitor: the two EventBridge events its rules match (shapes: docs/aws-facts.md
 * I.5 and A.11) and the scheduled sweep's input. Anything else is refused with a clear error
 * rather than guessed at.
 */
import * as z from '@shared/zod';

/** The statuses the janitor's Step Functions rule matches: every way an execution ends but success. */
export const ENDED_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

export const SFN_EVENT_SOURCE = 'aws.states';
export const SFN_STATUS_CHANGE = 'Step Functions Execution Status Change';
export const BACKUP_EVENT_SOURCE = 'aws.backup';
export const RESTORE_JOB_STATE_CHANGE = 'Restore Job State Change';
/** The Scheduler target's input for the sweep. */
export const SWEEP_INPUT = { janitor: 'sweep' } as const;

const ExecutionStatusChange = z.object({
  source: z.literal(SFN_EVENT_SOURCE),
  'detail-type': z.literal(SFN_STATUS_CHANGE),
  time: z.optional(z.string()),
  detail: z.looseObject({
    executionArn: z.string().check(z.startsWith('arn:')),
    stateMachineArn: z.string().check(z.startsWith('arn:')),
    status: z.string(),
    // Epoch milliseconds (I.5); null while running.
    stopDate: z.optional(z.nullable(z.number())),
  }),
});

const RestoreJobStateChange = z.object({
  source: z.literal(BACKUP_EVENT_SOURCE),
  'detail-type': z.literal(RESTORE_JOB_STATE_CHANGE),
  time: z.optional(z.string()),
  detail: z.looseObject({
    restoreJobId: z.string().check(z.minLength(1)),
    // CREATED events say `state`, every other one `status` (A.11): the rule matches `status` only.
    status: z.optional(z.string()),
    createdResourceArn: z.optional(z.string()),
    creationDate: z.optional(z.string()),
    iamRoleArn: z.optional(z.string()),
  }),
});

const SweepRequest = z.object({ janitor: z.literal('sweep') });

export type ExecutionStatusChangeEvent = z.infer<typeof ExecutionStatusChange>;
export type RestoreJobStateChangeEvent = z.infer<typeof RestoreJobStateChange>;

export type JanitorInvocation =
  | { readonly kind: 'execution-ended'; readonly event: ExecutionStatusChangeEvent }
  | { readonly kind: 'restore-job-changed'; readonly event: RestoreJobStateChangeEvent }
  | { readonly kind: 'sweep' };

export function parseInvocation(event: unknown): JanitorInvocation {
  const execution = ExecutionStatusChange.safeParse(event);
  if (execution.success) return { kind: 'execution-ended', event: execution.data };
  const job = RestoreJobStateChange.safeParse(event);
  if (job.success) return { kind: 'restore-job-changed', event: job.data };
  if (SweepRequest.safeParse(event).success) return { kind: 'sweep' };
  const source = (event as { source?: unknown } | null)?.source;
  throw new TypeError(
    `The janitor cannot handle this event (source ${JSON.stringify(source ?? null)}): it takes "${SFN_STATUS_CHANGE}" ` +
      `events from aws.states, "${RESTORE_JOB_STATE_CHANGE}" events from aws.backup, and ${JSON.stringify(SWEEP_INPUT)} from its schedule.`,
  );
}

/** `arn:aws:ec2:<region>:<account>:instance/i-…` → `i-…`; undefined for anything else. */
export function instanceIdOfArn(arn: string | undefined): string | undefined {
  const match = /^arn:aws[a-z-]*:ec2:[^:]*:[^:]*:instance\/(i-[0-9a-f]+)$/.exec(arn ?? '');
  return match?.[1];
}
