import { backupClient } from '@shared/clients/backup';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { executionArnParts, selectRecoveryPoint } from './select-recovery-point';

export const step = defineStep({
  id: 'select-recovery-point',
  input: stateSchema({ required: ['request'] }),
  clients: { backup: backupClient },
  run: async (state, { clients, now, logger }) => {
    const { partition, accountId } = executionArnParts(state.execution.id);
    return selectRecoveryPoint(state, {
      backup: clients.backup,
      now,
      logger,
      region: await clients.backup.config.region(),
      accountId,
      partition,
    });
  },
});

export const handler = createHandler(step);
