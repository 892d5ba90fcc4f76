import { type App, Aspects, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppContext } from './app-context';
import { BackupStack } from './backup-stack';
import { OrchestratorStack } from './orchestrator-stack';

export interface Ec2RestoreStacks {
  /** Undefined when deployBackupStack is false. */
  readonly backup: BackupStack | undefined;
  readonly orchestrator: OrchestratorStack;
}

/**
 * The stacks of `npx cdk synth|deploy`, from the app's context, with the cdk-nag AwsSolutions
 * checks applied. The app entry point and the infra tests both build the app through here, so
 * the tests check what is deployed.
 */
export function buildApp(app: App, env: Environment = cliEnvironment()): Ec2RestoreStacks {
  const context = readAppContext(app.node.getAllContext());
  const backup = context.backup
    ? new BackupStack(app, 'Ec2RestoreBackup', {
        env,
        description: 'ec2-restore-orchestrator: AWS Backup vault, plan and tag selection for EC2',
        backup: context.backup,
      })
    : undefined;
  const orchestrator = new OrchestratorStack(app, 'Ec2RestoreOrchestrator', {
    env,
    description: 'ec2-restore-orchestrator: restore workflow, schedules, API and alarms',
    ...context.orchestrator,
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { backup, orchestrator };
}

/** The account and region of the CLI's credentials; env-agnostic when there are none (offline synth). */
function cliEnvironment(): Environment {
  return { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
}
