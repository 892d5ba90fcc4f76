import { ec2Client } from '@shared/clients/ec2';
import { createHandler, defineStep } from '@shared/handler';
import { checkWithinCall } from '@shared/in-call-wait';
import { stateSchema } from '@shared/workflow-state-schema';
import { waitInstance } from './wait-instance';

export const step = defineStep({
  id: 'wait-instance',
  input: stateSchema({ required: ['restoreJob'], optional: ['instance'] }),
  clients: { ec2: ec2Client },
  run: (state, { clients, env, now, sleep, logger }) =>
    checkWithinCall(
      state,
      'instance',
      (current) =>
        waitInstance(current, {
          ec2: clients.ec2,
          now,
          logger,
          pollSeconds: env.INSTANCE_POLL_SECONDS,
          timeoutSeconds: env.INSTANCE_TIMEOUT_SECONDS,
        }),
      (instance) => instance.ready,
      { budgetSeconds: env.IN_CALL_WAIT_SECONDS, now, sleep },
    ),
});

export const handler = createHandler(step);
