/**
 * What other CDK apps can use: the whole orchestrator as one construct, its parts on their own,
 * and this app's stacks and context reader.
 */

export {
  type FunctionEnvironmentSettings,
  functionEnvironments,
  type RestoreGuardrails,
} from '@shared/function-environments';
export { type AppContext, CONTEXT_KEYS, type ContextKey, readAppContext } from './app-context';
export { BackupStack, type BackupStackProps } from './backup-stack';
export { buildApp, type Ec2RestoreStacks } from './build-app';
export {
  DEFAULT_BREAK_GLASS_ROLE_NAME,
  Ec2BackupPlan,
  type Ec2BackupPlanProps,
} from './constructs/ec2-backup-plan';
export { EncryptionKey } from './constructs/encryption-key';
export { ExecutionAlarms, type ExecutionAlarmsProps } from './constructs/execution-alarms';
export { NotificationTopic, type NotificationTopicProps } from './constructs/notification-topic';
export {
  API_MODES,
  type ApiMode,
  RestoreApi,
  type RestoreApiOptions,
  type RestoreApiProps,
  restoreRequestJsonSchema,
  TEST_MODE_RESTRICTIONS,
} from './constructs/restore-api';
export { RestoreOrchestrator, type RestoreOrchestratorProps } from './constructs/restore-orchestrator';
export { RestoreRole, type RestoreRoleProps } from './constructs/restore-role';
export {
  type RestoreTestSchedule,
  RestoreTestSchedules,
  type RestoreTestSchedulesProps,
} from './constructs/restore-test-schedules';
export { StepFunction, type StepFunctionProps } from './constructs/step-function';
export { WorkflowStateMachine, type WorkflowStateMachineProps } from './constructs/workflow-state-machine';
export { OrchestratorStack, type OrchestratorStackProps } from './orchestrator-stack';
export { type StepPolicies, type StepPolicyContext, stepPolicies } from './step-policies';
