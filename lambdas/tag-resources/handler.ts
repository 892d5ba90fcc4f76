import { ec2Client } from '@shared/clients/ec2';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { tagResources } from './tag-resources';

export const step = defineStep({
  id: 'tag-resources',
  input: stateSchema({ required: ['request', 'selection', 'instance'], optional: ['source'] }),
  clients: { ec2: ec2Client },
  run: (state, { clients, now, logger }) => tagResources(state, { ec2: clients.ec2, now, logger }),
});

export const handler = createHandler(step);
