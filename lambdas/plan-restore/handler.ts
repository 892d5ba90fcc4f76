import { createHandler, defineStep } from '@shared/handler';
import { planRestore } from './plan-restore';

export const step = defineStep({
  id: 'plan-restore',
  run: (state, { clients, env, logger }) =>
    planRestore(state, {
      backup: clients.backup,
      ec2: clients.ec2,
      iam: clients.iam,
      ssm: clients.ssm,
      restoreRoleArn: env.RESTORE_ROLE_ARN,
      keyPairParameterPrefix: env.KEY_PAIR_PARAMETER_PREFIX,
      logger,
    }),
});

export const handler = createHandler(step);
