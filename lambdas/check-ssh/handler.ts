import { createHandler, defineStep } from '@shared/handler';
import { checkWithinCall } from '@shared/in-call-wait';
import { checkSsh } from './check-ssh';

export const step = defineStep({
  id: 'check-ssh',
  run: (state, { clients, env, now, sleep, logger }) =>
    checkWithinCall(
      state,
      'ssh',
      (current) =>
        checkSsh(current, {
          ec2: clients.ec2,
          ssm: clients.ssm,
          now,
          logger,
          keyPairParameterPrefix: env.KEY_PAIR_PARAMETER_PREFIX,
          connectTimeoutSeconds: env.SSH_CONNECT_TIMEOUT_SECONDS,
          retrySeconds: env.SSH_RETRY_SECONDS,
        }),
      (ssh) => ssh.done,
      { budgetSeconds: env.IN_CALL_WAIT_SECONDS, now, sleep },
    ),
});

export const handler = createHandler(step);
