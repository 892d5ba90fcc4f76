import { backupClient } from '@shared/clients/backup';
import { snsClient } from '@shared/clients/sns';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { report } from './report';

export const step = defineStep({
  id: 'report',
  input: stateSchema({
    required: ['request', 'selection', 'source', 'plan'],
    optional: ['restoreJob', 'instance', 'tagging', 'profile', 'address', 'ssh', 'cleanup'],
  }),
  clients: { backup: backupClient, sns: snsClient },
  run: (state, { clients, env, now, logger }) =>
    report(state, {
      backup: clients.backup,
      sns: clients.sns,
      now,
      logger,
      notificationTopicArn: env.NOTIFICATION_TOPIC_ARN,
    }),
});

export const handler = createHandler(step);
