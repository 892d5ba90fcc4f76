import { backupClient } from '@shared/clients/backup';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { pollRestoreJob } from './poll-restore-job';

export const step = defineStep({
  id: 'poll-restore-job',
  input: stateSchema({ required: ['restoreJob'], optional: ['plan', 'source'] }),
  clients: { backup: backupClient },
  run: (state, { clients, env, now, logger }) =>
    pollRestoreJob(state, {
      backup: clients.backup,
      now,
      logger,
      pollMinSeconds: env.POLL_MIN_SECONDS,
      pollMaxSeconds: env.POLL_MAX_SECONDS,
    }),
});

export const handler = createHandler(step);
