/**
 * `npx cdk synth` / `npx cdk deploy`. Context keys (cdk.json or `-c key=value`):
 *   instanceRoleArns        comma-separated role ARNs (or ARN patterns) the restore may pass to EC2
 *   keyPairParameterPrefix  default /ec2/keypair/
 */
import { App } from 'aws-cdk-lib';
import { OrchestratorStack } from './orchestrator-stack';

const app = new App();
const roles = String(app.node.tryGetContext('instanceRoleArns') ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (roles.length === 0) {
  throw new Error(
    'Set context instanceRoleArns (e.g. -c instanceRoleArns=arn:aws:iam::123456789012:role/app-instance-role).',
  );
}
new OrchestratorStack(app, 'Ec2RestoreOrchestrator', {
  instanceRoleArns: roles,
  keyPairParameterPrefix: app.node.tryGetContext('keyPairParameterPrefix'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
