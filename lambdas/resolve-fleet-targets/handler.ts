import { createHandler, defineStep } from '@shared/handler';
import { resolveFleetTargets } from './resolve-fleet-targets';

export const step = defineStep({
  id: 'resolve-fleet-targets',
  run: (state, { clients, logger }) =>
    resolveFleetTargets(state.input, state.execution.name, { backup: clients.backup, logger }),
});

export const handler = createHandler(step);
