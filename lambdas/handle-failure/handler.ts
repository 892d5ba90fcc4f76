import { backupClient } from '@shared/clients/backup';
import { ec2Client } from '@shared/clients/ec2';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { handleFailure } from './handle-failure';

export const step = defineStep({
  id: 'handle-failure',
  input: stateSchema({ required: ['error', 'failedStep'], optional: ['request', 'restoreJob', 'instance'] }),
  clients: { ec2: ec2Client, backup: backupClient },
  run: (state, { clients, now, logger }) =>
    handleFailure(state, { ec2: clients.ec2, backup: clients.backup, now, logger }),
});

export const handler = createHandler(step);
