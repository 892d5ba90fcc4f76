import { backupClient } from '@shared/clients/backup';
import { createHandler, defineStep } from '@shared/handler';
import { ExecutionSchema } from '@shared/workflow-state-schema';
import * as z from '@shared/zod';
import { resolveFleetTargets } from './resolve-fleet-targets';

export const step = defineStep({
  id: 'resolve-fleet-targets',
  // The fleet request itself is checked by resolveFleetTargets, which names bad fields in an
  // InvalidInputError (the person's mistake); this schema checks only what the state machine builds.
  input: z.looseObject({ input: z.unknown(), execution: ExecutionSchema }),
  clients: { backup: backupClient },
  run: (state, { clients, logger }) =>
    resolveFleetTargets(state.input, state.execution.name, { backup: clients.backup, logger }),
});

export const handler = createHandler(step);
