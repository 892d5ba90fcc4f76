import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { validateInput } from './validate-input';

export const step = defineStep({
  id: 'validate-input',
  input: stateSchema({}),
  clients: {},
  run: async (state, { env }) => validateInput(state, env),
});

export const handler = createHandler(step);
