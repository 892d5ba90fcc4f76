import { createHandler, defineStep } from '@shared/handler';
import { reattachInstanceProfile } from './reattach-instance-profile';

export const step = defineStep({
  id: 'reattach-instance-profile',
  run: (state, { clients, env, now, logger }) =>
    reattachInstanceProfile(state, {
      ec2: clients.ec2,
      now,
      logger,
      pollSeconds: env.PROFILE_POLL_SECONDS,
      timeoutSeconds: env.PROFILE_TIMEOUT_SECONDS,
    }),
});

export const handler = createHandler(step);
