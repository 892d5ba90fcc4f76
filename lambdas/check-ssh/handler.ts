import { ec2Client } from '@shared/clients/ec2';
import { lambdaClient } from '@shared/clients/lambda';
import { ssmClient } from '@shared/clients/ssm';
import { createHandler, defineStep } from '@shared/handler';
import { checkWithinCall } from '@shared/in-call-wait';
import { stateSchema } from '@shared/workflow-state-schema';
import { checkSsh, type PrivateKey } from './check-ssh';
import { lambdaProbeInvoker } from './probe-invoker';

export const step = defineStep({
  id: 'check-ssh',
  input: stateSchema({ required: ['request', 'plan', 'instance'], optional: ['address', 'ssh'] }),
  clients: { ssm: ssmClient, ec2: ec2Client, lambda: lambdaClient },
  run: (state, { clients, env, now, sleep, logger }) => {
    const keys = new Map<string, PrivateKey>();
    return checkWithinCall(
      state,
      'ssh',
      (current) =>
        checkSsh(current, {
          ssm: clients.ssm,
          ec2: clients.ec2,
          invokeProbe: lambdaProbeInvoker(clients.lambda),
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
