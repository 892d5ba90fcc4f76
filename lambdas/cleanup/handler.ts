import { createHandler, defineStep } from '@shared/handler';
import { cleanUp } from './cleanup';

export const step = defineStep({
  id: 'cleanup',
  run: (state, { clients, now, logger }) => cleanUp(state, { ec2: clients.ec2, now, logger }),
});

export const handler = createHandler(step);
