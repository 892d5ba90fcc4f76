import { ec2Client } from '@shared/clients/ec2';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { cleanUp } from './cleanup';

export const step = defineStep({
  id: 'cleanup',
  input: stateSchema({ required: ['request'], optional: ['restoreJob'] }),
  clients: { ec2: ec2Client },
  run: (state, { clients, now, logger }) => cleanUp(state, { ec2: clients.ec2, now, logger }),
});

export const handler = createHandler(step);
