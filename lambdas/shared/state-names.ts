/**
 * Every state of `restore-instance` and `restore-fleet`, by name. The state machines, tests, the
 * emulator, the CLI's progress display and the failure handler import these instead of retyping
 * strings; they live beside the Lambdas so that none of those has to load aws-cdk-lib for them.
 */
import type { FunctionId } from './env';

export const States = {
  InitialiseState: 'InitialiseState',
  ValidateInput: 'ValidateInput',
  SelectRecoveryPoint: 'SelectRecoveryPoint',
  ResolveSource: 'ResolveSource',
  PlanRestore: 'PlanRestore',
  IsDryRun: 'IsDryRun',
  StartRestoreJob: 'StartRestoreJob',
  WaitForRestoreJob: 'WaitForRestoreJob',
  PollRestoreJob: 'PollRestoreJob',
  IsRestoreJobDone: 'IsRestoreJobDone',
  WaitForInstance: 'WaitForInstance',
  IsInstanceRunning: 'IsInstanceRunning',
  WaitBeforeInstanceCheck: 'WaitBeforeInstanceCheck',
  TagResources: 'TagResources',
  ReattachInstanceProfile: 'ReattachInstanceProfile',
  IsProfileAttached: 'IsProfileAttached',
  WaitForProfileAssociation: 'WaitForProfileAssociation',
  EnsurePublicAddress: 'EnsurePublicAddress',
  CheckSsh: 'CheckSsh',
  IsSshDone: 'IsSshDone',
  WaitBeforeSshRetry: 'WaitBeforeSshRetry',
  IsTestMode: 'IsTestMode',
  CleanUp: 'CleanUp',
  Report: 'Report',
  HandleFailure: 'HandleFailure',
  FailExecution: 'FailExecution',
  FailWithCleanupError: 'FailWithCleanupError',
} as const;

export type StateName = (typeof States)[keyof typeof States];

/** The Task states and the step Lambda each one invokes. */
export const TaskFunctions = {
  [States.ValidateInput]: 'validate-input',
  [States.SelectRecoveryPoint]: 'select-recovery-point',
  [States.ResolveSource]: 'resolve-source',
  [States.PlanRestore]: 'plan-restore',
  [States.StartRestoreJob]: 'start-restore-job',
  [States.PollRestoreJob]: 'poll-restore-job',
  [States.WaitForInstance]: 'wait-instance',
  [States.TagResources]: 'tag-resources',
  [States.ReattachInstanceProfile]: 'reattach-instance-profile',
  [States.EnsurePublicAddress]: 'ensure-public-address',
  [States.CheckSsh]: 'check-ssh',
  [States.CleanUp]: 'cleanup',
  [States.Report]: 'report',
  [States.HandleFailure]: 'handle-failure',
} as const satisfies Record<string, FunctionId>;

export type TaskStateName = keyof typeof TaskFunctions;

/** The Pass state a step's Catch goes through to record which step failed. */
export function recordFailureStateName(step: TaskStateName): string {
  return `Record${step}Failure`;
}

/** Every state of `restore-fleet`. The Distributed Map's iteration states carry the suffix `Distributed`. */
export const FleetStates = {
  InitialiseState: 'InitialiseState',
  ResolveTargets: 'ResolveTargets',
  ChooseMapMode: 'ChooseMapMode',
  RestoreEach: 'RestoreEach',
  RestoreEachDistributed: 'RestoreEachDistributed',
  RestoreInstance: 'RestoreInstance',
  RecordSuccess: 'RecordSuccess',
  IsChildFailure: 'IsChildFailure',
  ReadChildFailure: 'ReadChildFailure',
  RecordChildFailure: 'RecordChildFailure',
  RecordFailure: 'RecordFailure',
  Summarise: 'Summarise',
  FailFleet: 'FailFleet',
} as const;

export type FleetStateName = (typeof FleetStates)[keyof typeof FleetStates];
