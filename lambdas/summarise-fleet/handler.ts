import type { ChildFailure, ChildResult, ChildSuccess, UnusableTarget } from '@shared/fleet-state';
import { createHandler, defineStep } from '@shared/handler';
import * as z from '@shared/zod';
import { summariseFleet } from './summarise-fleet';

const instanceId = z.string().check(z.minLength(1));

// Failure first: a failed child also has the fields of a success, and summariseFleet tells them apart by `error`.
const ChildResultSchema = z.union([
  z.looseObject({
    instanceId,
    status: z.literal('FAILED'),
    executionArn: z.optional(z.string().check(z.minLength(1))),
    error: z.string(),
    cause: z.string(),
  }) satisfies z.ZodMiniType<ChildFailure>,
  z.looseObject({
    instanceId,
    executionArn: z.string().check(z.minLength(1)),
    status: z.string().check(z.minLength(1)),
  }) satisfies z.ZodMiniType<ChildSuccess>,
]) satisfies z.ZodMiniType<ChildResult>;

/** The Summarise task's payload: the Map's results and what ResolveTargets set aside. */
const SummariseInputSchema = z.looseObject({
  results: z.array(ChildResultSchema),
  unusable: z.array(
    z.looseObject({
      instanceId,
      status: z.literal('FAILED'),
      error: z.literal('NoRecoveryPointError'),
      cause: z.string(),
    }) satisfies z.ZodMiniType<UnusableTarget>,
  ),
  note: z.nullable(z.string()),
});

export const step = defineStep({
  id: 'summarise-fleet',
  input: SummariseInputSchema,
  clients: {},
  run: async (input) => summariseFleet(input),
});

export const handler = createHandler(step);
