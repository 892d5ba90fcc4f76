/**
 * The `restore-fleet` input contract (docs/contract.md §3). Targets are explicit instance ids or a tag
 * evaluated on the recovery points' tags; `defaults` are restore-instance fields applied to every
 * instance and validated with the same field schemas as a single restore.
 */
import { BACKUP_VAULT_NAME, INSTANCE_ID, parseRequest, RestoreRequestSchema } from './restore-request';
import * as z from './zod';

/** Iterations the fleet runs at once; an inline Map allows up to 40 in parallel. */
export const MAX_FLEET_CONCURRENCY = 40;
/**
 * Instances one fleet execution takes, whichever Map runs it. Items and results travel in the
 * execution's state (no S3 ItemReader/ResultWriter, which the local engine cannot run), so the
 * whole fleet must fit Step Functions' 256 KiB payload: about 700 bytes per instance at the
 * largest point (an id list, a long execution name, every child failed with a long cause),
 * which a test checks against this number with a tenth to spare.
 */
export const MAX_FLEET_TARGETS = 300;

const field = RestoreRequestSchema.shape;

/** What every instance of the fleet gets; the target fields come from the fleet itself. */
export const FleetDefaultsSchema = z._default(
  z.strictObject({
    restorePointBefore: field.restorePointBefore,
    overrides: z.optional(field.overrides),
    instanceProfile: z.optional(field.instanceProfile),
    publicIp: z.optional(field.publicIp),
    ssh: z.optional(field.ssh),
    mode: z.optional(field.mode),
    dryRun: z.optional(field.dryRun),
    restoreTimeoutMinutes: z.optional(field.restoreTimeoutMinutes),
    tags: z.optional(field.tags),
  }),
  {},
);

const TAG_PART = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

export const FleetRequestSchema = z
  .strictObject({
    instanceIds: z.optional(
      z
        .array(z.string().check(z.regex(INSTANCE_ID, { message: 'must look like i-0123456789abcdef0' })))
        .check(
          z.minLength(1),
          z.maxLength(MAX_FLEET_TARGETS),
          z.refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat an instance id' }),
        ),
    ),
    tag: z.optional(
      z.strictObject({
        key: z
          .string()
          .check(z.regex(TAG_PART, { message: 'must be a tag key of 1-256 letters, digits or _.:/=+-@' })),
        value: z.string().check(
          z.maxLength(256),
          z.regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, {
            message: 'must be a tag value of letters, digits, spaces or _.:/=+-@',
          }),
        ),
      }),
    ),
    backupVaultName: z.optional(
      z
        .string()
        .check(z.regex(BACKUP_VAULT_NAME, { message: 'must look like EC2 (2-50 letters, digits, - or _)' })),
    ),
    maxConcurrency: z._default(z.int().check(z.minimum(1), z.maximum(MAX_FLEET_CONCURRENCY)), 10),
    defaults: FleetDefaultsSchema,
  })
  .check(
    z.superRefine((req, ctx) => {
      if ((req.instanceIds === undefined) === (req.tag === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['instanceIds'],
          message: 'give exactly one of instanceIds or tag',
        });
      }
    }),
  );

export type FleetRequest = z.output<typeof FleetRequestSchema>;

export function parseFleetRequest(raw: unknown): FleetRequest {
  return parseRequest(FleetRequestSchema, raw, 'fleet request');
}
