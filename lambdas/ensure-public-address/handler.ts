import { createHandler, defineStep } from '@shared/handler';
import { ensurePublicAddress } from './ensure-public-address';

export const step = defineStep({
  id: 'ensure-public-address',
  run: (state, { clients, now, logger }) => ensurePublicAddress(state, { ec2: clients.ec2, now, logger }),
});

export const handler = createHandler(step);
