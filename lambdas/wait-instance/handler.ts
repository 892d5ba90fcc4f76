import { createHandler, defineStep } from '@shared/handler';
import { waitInstance } from './wait-instance';

export const step = defineStep({
  id: 'wait-instance',
  run: (state, { clients, env, now, logger }) =>
    waitInstance(state, {
      ec2: clients.ec2,
      now,
      logger,
      pollSeconds: env.INSTANCE_POLL_SECONDS,
      timeoutSeconds: env.INSTANCE_TIMEOUT_SECONDS,
    }),
});

export const handler = createHandler(step);
