import { createHandler, defineStep } from '@shared/handler';
import { pollRestoreJob } from './poll-restore-job';

export const step = defineStep({
  id: 'poll-restore-job',
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
