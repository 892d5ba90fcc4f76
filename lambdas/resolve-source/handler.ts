import { createHandler, defineStep } from '@shared/handler';
import { resolveSource } from './resolve-source';

export const step = defineStep({
  id: 'resolve-source',
  run: (state, { clients, logger }) =>
    resolveSource(state, { ec2: clients.ec2, backup: clients.backup, logger }),
});

export const handler = createHandler(step);
