import { backupClient } from '@shared/clients/backup';
import { ec2Client } from '@shared/clients/ec2';
import { iamClient } from '@shared/clients/iam';
import { ssmClient } from '@shared/clients/ssm';
import { createHandler, defineStep } from '@shared/handler';
import { stateSchema } from '@shared/workflow-state-schema';
import { planRestore } from './plan-restore';

export const step = defineStep({
  id: 'plan-restore',
  input: stateSchema({ required: ['request', 'selection', 'source'] }),
  clients: { backup: backupClient, ec2: ec2Client, iam: iamClient, ssm: ssmClient },
  run: (state, { clients, env, logger }) =>
    planRestore(state, {
      backup: clients.backup,
      ec2: clients.ec2,
      iam: clients.iam,
      ssm: clients.ssm,
      restoreRoleArn: env.RESTORE_ROLE_ARN,
      keyPairParameterPrefix: env.KEY_PAIR_PARAMETER_PREFIX,
      sshProbes: env.SSH_PROBES,
      logger,
    }),
});

export const handler = createHandler(step);
