import { createHandler, defineStep } from '@shared/handler';
import { tagResources } from './tag-resources';

export const step = defineStep({
  id: 'tag-resources',
  run: (state, { clients, now, logger }) => tagResources(state, { ec2: clients.ec2, now, logger }),
});

export const handler = createHandler(step);
