import { createHandler, defineStep } from '@shared/handler';
import { checkSsh } from './check-ssh';

export const step = defineStep({
  id: 'check-ssh',
  run: (state, { clients, env, now, logger }) =>
    checkSsh(state, {
      ec2: clients.ec2,
      ssm: clients.ssm,
      now,
      logger,
      keyPairParameterPrefix: env.KEY_PAIR_PARAMETER_PREFIX,
      connectTimeoutSeconds: env.SSH_CONNECT_TIMEOUT_SECONDS,
      retrySeconds: env.SSH_RETRY_SECONDS,
    }),
});

export const handler = createHandler(step);
