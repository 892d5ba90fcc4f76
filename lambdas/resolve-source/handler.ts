import { backupClient } from '@shared/clients/backup';
import { ec2Client } from '@shared/clients/ec2';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { resolveSource } from './resolve-source';

export const step = defineStep({
  id: 'resolve-source',
  input: stateSchema({ required: ['selection'] }),
  clients: { ec2: ec2Client, backup: backupClient },
  run: (state, { clients, logger }) =>
    resolveSource(state, { ec2: clients.ec2, backup: clients.backup, logger }),
});

export const handler = createHandler(step);
