import { createHandler, defineStep } from '@shared/handler';
import { handleFailure } from './handle-failure';

export const step = defineStep({
  id: 'handle-failure',
  run: (state, { clients, now, logger }) => handleFailure(state, { ec2: clients.ec2, now, logger }),
});

export const handler = createHandler(step);
