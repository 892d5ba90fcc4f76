import { ec2Client } from '@shared/clients/ec2';
import { createHandler, defineStep } from '@shared/handler';
import { checkWithinCall } from '@shared/in-call-wait';
import { stateSchema } from '@shared/workflow-state-schema';
import { reattachInstanceProfile } from './reattach-instance-profile';

export const step = defineStep({
  id: 'reattach-instance-profile',
  input: stateSchema({ required: ['request', 'plan', 'instance'], optional: ['profile'] }),
  clients: { ec2: ec2Client },
  run: (state, { clients, env, now, sleep, logger }) =>
    checkWithinCall(
      state,
      'profile',
      (current) =>
        reattachInstanceProfile(current, {
          ec2: clients.ec2,
          now,
          logger,
          pollSeconds: env.PROFILE_POLL_SECONDS,
          timeoutSeconds: env.PROFILE_TIMEOUT_SECONDS,
        }),
      (profile) => profile.done,
      { budgetSeconds: env.IN_CALL_WAIT_SECONDS, now, sleep },
    ),
});

export const handler = createHandler(step);
