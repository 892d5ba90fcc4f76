import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RestoreOrchestrator, type RestoreOrchestratorProps } from './constructs/restore-orchestrator';

export type OrchestratorStackProps = StackProps & RestoreOrchestratorProps;

export class OrchestratorStack extends Stack {
  readonly orchestrator: RestoreOrchestrator;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, props);
    this.orchestrator = new RestoreOrchestrator(this, 'Orchestrator', props);
    // What the CLI and callers need after a deploy (EC2_RESTORE_STATE_MACHINE_ARN and so on).
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'FleetStateMachineArn', {
      value: this.orchestrator.fleetStateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'RestoreRoleArn', { value: this.orchestrator.restoreRole.roleArn });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.orchestrator.notificationTopic.topicArn });
    // Attach to the users, groups or roles that run the CLI (infra/README.md, CLI policies).
    new CfnOutput(this, 'OperatorPolicyArn', {
      value: this.orchestrator.operatorPolicies.operator.managedPolicyArn,
    });
    new CfnOutput(this, 'ViewerPolicyArn', {
      value: this.orchestrator.operatorPolicies.viewer.managedPolicyArn,
    });
    if (this.orchestrator.encryptionKey) {
      // Callers of the state machines (the CLI's user, say) need kms:Decrypt on it.
      new CfnOutput(this, 'EncryptionKeyArn', { value: this.orchestrator.encryptionKey.keyArn });
    }
  }
}
