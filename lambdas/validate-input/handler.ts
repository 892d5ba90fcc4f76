import { createHandler, defineStep } from '@shared/handler';
import { validateInput } from './validate-input';

export const step = defineStep({
  id: 'validate-input',
  run: async (state) => validateInput(state),
});

export const handler = createHandler(step);
