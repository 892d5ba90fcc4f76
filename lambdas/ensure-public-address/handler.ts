import { ec2Client } from '@shared/clients/ec2';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { ensurePublicAddress } from './ensure-public-address';

export const step = defineStep({
  id: 'ensure-public-address',
  input: stateSchema({ required: ['request', 'plan', 'instance'], optional: ['selection', 'source'] }),
  clients: { ec2: ec2Client },
  run: (state, { clients, now, logger }) => ensurePublicAddress(state, { ec2: clients.ec2, now, logger }),
});

export const handler = createHandler(step);
