import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RestoreOrchestrator, type RestoreOrchestratorProps } from './constructs/restore-orchestrator';

export type OrchestratorStackProps = StackProps & RestoreOrchestratorProps;

export class OrchestratorStack extends Stack {
  readonly orchestrator: RestoreOrchestrator;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, props);
    this.orchestrator = new RestoreOrchestrator(this, 'Orchestrator', props);
  }
}
