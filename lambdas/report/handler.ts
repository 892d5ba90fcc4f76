import { createHandler, defineStep } from '@shared/handler';
import { report } from './report';

export const step = defineStep({
  id: 'report',
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
