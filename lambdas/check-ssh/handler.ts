import { ssmClient } from '@shared/clients/ssm';
import { createHandler, defineStep } from '@shared/handler';
import { checkWithinCall } from '@shared/in-call-wait';
import { stateSchema } from '@shared/workflow-state-schema';
import { checkSsh, type PrivateKey } from './check-ssh';

export const step = defineStep({
  id: 'check-ssh',
  input: stateSchema({ required: ['request', 'plan', 'instance'], optional: ['address', 'ssh'] }),
  clients: { ssm: ssmClient },
  run: (state, { clients, env, now, sleep, logger }) => {
    const keys = new Map<string, PrivateKey>();
    return checkWithinCall(
      state,
      'ssh',
      (current) =>
        checkSsh(current, {
          ssm: clients.ssm,
          now,
          logger,
          keys,
          connectTimeoutSeconds: env.SSH_CONNECT_TIMEOUT_SECONDS,
          retrySeconds: env.SSH_RETRY_SECONDS,
        }),
      (ssh) => ssh.done,
      { budgetSeconds: env.IN_CALL_WAIT_SECONDS, now, sleep },
    );
  },
});

export const handler = createHandler(step);
