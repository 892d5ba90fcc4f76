import { backupClient } from '@shared/clients/backup';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { INITIAL_POLL_WAIT_SECONDS, startRestoreJob } from './start-restore-job';

export const step = defineStep({
  id: 'start-restore-job',
  input: stateSchema({ required: ['request', 'plan', 'selection'], optional: ['restoreJob'] }),
  clients: { backup: backupClient },
  run: (state, { clients, env, now, logger }) =>
    startRestoreJob(state, {
      backup: clients.backup,
      now,
      logger,
      restoreRoleArn: env.RESTORE_ROLE_ARN,
      initialWaitSeconds: INITIAL_POLL_WAIT_SECONDS,
    }),
});

export const handler = createHandler(step);
