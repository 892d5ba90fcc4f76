/**
 * Zod schemas of the workflow state (workflow-state.ts), so each step can check the slices it
 * reads before it reads them. Each slice schema `satisfies` its interface, so a field added to the
 * interface and not here is a compile error; objects are loose, so a field the schema does not
 * name passes through untouched (steps spread earlier slices into their result).
 *
 * A step's schema (`stateSchema`) names only the slices that step reads: an event missing one, or
 * carrying a malformed one, is rejected by the handler with the step and the field, instead of
 * failing somewhere inside the step as "cannot read properties of undefined".
 */
import { ErrorNames } from './errors';
import { RestoreRequestSchema } from './restore-request';
import type {
  AddressState,
  CaughtError,
  CleanupState,
  ExecutionInfo,
  FailureState,
  InstanceState,
  ProfileState,
  RecoveryPointRef,
  RestoreJobState,
  RestorePlan,
  Selection,
  SourceFacts,
  SshState,
  StateWith,
  TaggingState,
} from './workflow-state';
import * as z from './zod';

const text = z.string();
const nonEmpty = z.string().check(z.minLength(1));
const nullableText = z.nullable(z.string());
const count = z.number().check(z.int(), z.minimum(0));
const seconds = z.number().check(z.minimum(0));
const texts = z.array(z.string());

export const ExecutionSchema = z.looseObject({
  id: nonEmpty,
  name: nonEmpty,
  startTime: nonEmpty,
}) satisfies z.ZodMiniType<ExecutionInfo>;

const RecoveryPointRefSchema = z.looseObject({
  arn: nonEmpty,
  backupVaultName: nonEmpty,
  creationDate: nonEmpty,
}) satisfies z.ZodMiniType<RecoveryPointRef>;

const SelectionSchema = z.looseObject({
  strategy: z.enum(['latest', 'latest-at-or-before', 'explicit']),
  resourceArn: nonEmpty,
  sourceInstanceId: nonEmpty,
  region: nonEmpty,
  accountId: nonEmpty,
  recoveryPoint: z.extend(RecoveryPointRefSchema, { status: text, ageSeconds: z.number() }),
  candidates: z.array(RecoveryPointRefSchema),
  completedAt: text,
}) satisfies z.ZodMiniType<Selection>;

const SourceFactsSchema = z.looseObject({
  instanceId: nonEmpty,
  exists: z.boolean(),
  from: z.enum(['live-instance', 'restore-metadata']),
  instanceProfileArn: nullableText,
  instanceProfileName: nullableText,
  keyName: nullableText,
  subnetId: nullableText,
  vpcId: nullableText,
  securityGroupIds: texts,
  instanceType: nullableText,
  name: nullableText,
}) satisfies z.ZodMiniType<SourceFacts>;

const RestorePlanSchema = z.looseObject({
  metadata: z.record(z.string(), z.string()),
  droppedKeys: texts,
  networkInterfaces: z.enum(['absent', 'dropped', 'stripped']),
  subnetId: nonEmpty,
  vpcId: nonEmpty,
  securityGroupIds: texts,
  instanceType: nullableText,
  subnetMapsPublicIp: z.boolean(),
  targetInstanceProfile: z.nullable(z.looseObject({ arn: nonEmpty, name: nonEmpty })),
  keyName: nullableText,
  keyPairId: nullableText,
  privateKeyParameter: nullableText,
  restoreRoleArn: nonEmpty,
  checks: texts,
  sshNetwork: z.optional(
    z.nullable(
      z.looseObject({
        routeTableId: nullableText,
        subnetRoutesToInternetGateway: z.boolean(),
        path: z.nullable(z.enum(['probe', 'internet'])),
        probe: z.nullable(
          z.looseObject({
            vpcId: nonEmpty,
            functionName: nonEmpty,
            ingressGroupId: nonEmpty,
            ports: z.array(z.number().check(z.int())),
          }),
        ),
      }),
    ),
  ),
}) satisfies z.ZodMiniType<RestorePlan>;

const RestoreJobStateSchema = z.looseObject({
  id: nonEmpty,
  status: nonEmpty,
  statusMessage: nullableText,
  percentDone: z.nullable(z.number()),
  expectedCompletionTimeMinutes: z.nullable(z.number()),
  createdInstanceId: nullableText,
  startedAt: text,
  deadline: text,
  polls: count,
  completedAt: nullableText,
  done: z.boolean(),
  nextWaitSeconds: seconds,
}) satisfies z.ZodMiniType<RestoreJobState>;

const InstanceStateSchema = z.looseObject({
  instanceId: nonEmpty,
  state: text,
  privateIp: nullableText,
  publicIp: nullableText,
  subnetId: nullableText,
  vpcId: nullableText,
  instanceProfileArn: nullableText,
  firstCheckedAt: text,
  runningAt: nullableText,
  polls: count,
  ready: z.boolean(),
  nextWaitSeconds: seconds,
}) satisfies z.ZodMiniType<InstanceState>;

const TaggingStateSchema = z.looseObject({
  taggedResourceIds: texts,
  tags: z.record(z.string(), z.string()),
}) satisfies z.ZodMiniType<TaggingState>;

const ProfileStateSchema = z.looseObject({
  action: z.enum(['already-correct', 'associated', 'replaced', 'not-requested']),
  instanceProfileArn: nullableText,
  associationId: nullableText,
  startedAt: text,
  completedAt: nullableText,
  polls: count,
  done: z.boolean(),
  nextWaitSeconds: seconds,
}) satisfies z.ZodMiniType<ProfileState>;

const AddressStateSchema = z.looseObject({
  action: z.enum(['allocated', 'reused', 'not-needed', 'disabled']),
  reason: text,
  allocationId: nullableText,
  associationId: nullableText,
  publicIp: nullableText,
  startedAt: text,
  completedAt: text,
}) satisfies z.ZodMiniType<AddressState>;

const SshStateSchema = z.looseObject({
  enabled: z.boolean(),
  reachable: z.boolean(),
  host: nullableText,
  port: z.number().check(z.int()),
  username: text,
  attempts: count,
  hostKeyFingerprint: nullableText,
  lastError: nullableText,
  startedAt: text,
  deadline: text,
  readyAt: nullableText,
  done: z.boolean(),
  nextWaitSeconds: seconds,
  from: z.optional(z.enum(['probe', 'internet'])),
  probeFunction: z.optional(nullableText),
  hostKeyVerified: z.optional(z.nullable(z.boolean())),
  hostKeyVerification: z.optional(nullableText),
  checks: z.optional(
    z.array(
      z.looseObject({
        command: text,
        exitCode: z.nullable(z.number().check(z.int())),
        timedOut: z.boolean(),
        output: text,
        truncated: z.boolean(),
      }),
    ),
  ),
  securityGroups: z.optional(
    z.nullable(z.looseObject({ original: texts, added: texts, removed: texts, restored: z.boolean() })),
  ),
}) satisfies z.ZodMiniType<SshState>;

const CleanupStateSchema = z.looseObject({
  instanceTerminated: z.boolean(),
  elasticIpReleased: z.boolean(),
  terminatedInstanceIds: texts,
  releasedAllocationIds: texts,
  completedAt: text,
}) satisfies z.ZodMiniType<CleanupState>;

const CaughtErrorSchema = z.looseObject({
  Error: nonEmpty,
  Cause: z.optional(z.string()),
}) satisfies z.ZodMiniType<CaughtError>;

const FailureStateSchema = z.looseObject({
  error: z.enum(ErrorNames),
  cause: text,
  failedStep: text,
  cleanup: z.nullable(CleanupStateSchema),
}) satisfies z.ZodMiniType<FailureState>;

/** The schema of each slice a step may read (`input` and `output` are not read by steps). */
export const SliceSchemas = {
  execution: ExecutionSchema,
  request: RestoreRequestSchema,
  selection: SelectionSchema,
  source: SourceFactsSchema,
  plan: RestorePlanSchema,
  restoreJob: RestoreJobStateSchema,
  instance: InstanceStateSchema,
  tagging: TaggingStateSchema,
  profile: ProfileStateSchema,
  address: AddressStateSchema,
  ssh: SshStateSchema,
  cleanup: CleanupStateSchema,
  error: CaughtErrorSchema,
  failedStep: nonEmpty,
  failure: FailureStateSchema,
} as const;

export type SliceName = keyof typeof SliceSchemas;

/**
 * The workflow state as one step reads it: `required` slices must be there and well-formed,
 * `optional` ones are checked when present, anything else passes through unchecked. The
 * execution's identity is always required (the handler logs it).
 */
export function stateSchema<R extends SliceName = never, O extends SliceName = never>(slices: {
  readonly required?: readonly R[];
  readonly optional?: readonly O[];
}): z.ZodMiniType<StateWith<R | 'execution'>> {
  const shape: Record<string, z.ZodMiniType> = { execution: ExecutionSchema };
  for (const name of slices.optional ?? []) shape[name] = z.optional(SliceSchemas[name] as z.ZodMiniType);
  for (const name of slices.required ?? []) shape[name] = SliceSchemas[name];
  return z.looseObject(shape) as unknown as z.ZodMiniType<StateWith<R | 'execution'>>;
}
