/**
 * The `restore-instance` workflow: one execution restores one EC2 instance from AWS Backup and
 * proves it works.
 *
 *   InitialiseState        keep the raw input and the execution's identity in one document
 *   ValidateInput          schema-check, fill defaults (InvalidInputError, no AWS call)
 *   SelectRecoveryPoint    latest COMPLETED / latest at-or-before / explicit ARN (NoRecoveryPointError)
 *   ResolveSource          profile, key pair, subnet, SGs: from the live instance, or, in a
 *                          disaster, from the chosen point's restore metadata — which is why
 *                          selection runs first
 *   PlanRestore            sanitised metadata + overrides + pre-flight checks (PreflightError)
 *   IsDryRun               dryRun → Report (PLANNED) and stop: nothing was created
 *   StartRestoreJob        idempotency token derived from the execution
 *   WaitForRestoreJob ⇄ PollRestoreJob ⇄ IsRestoreJobDone
 *                          the Lambda computes the next wait from the job's own estimate, so a
 *                          20-minute job costs a handful of transitions yet is noticed quickly
 *   WaitForInstance ⇄ WaitBeforeInstanceCheck          until running, checked every 2 s inside the call
 *   TagResources           execution, source, mode, recovery point (+ request tags)
 *   EnsurePublicAddress    Elastic IP only when needed (policy auto/always/never), found by tag on re-run;
 *                          before the profile, because the SSH check needs the address and not the profile
 *   ReattachInstanceProfile  associate or replace, and wait inside the call until it is associated
 *   CheckSsh ⇄ WaitBeforeSshRetry                      real handshake with the original key, one attempt
 *                          every 2 s inside the call, while sshd starts
 *   IsSshDone              one Choice for the whole end: SSH and profile done → CleanUp (test mode) or
 *                          Report; SSH done but the profile still settling → WaitForProfileAssociation →
 *                          ReattachInstanceProfile → CheckSsh (which returns a done check unchanged)
 *   CleanUp                test mode: terminate the instance and release the address
 *   Report                 contract output (and the Backup validation result in test mode); it ends
 *                          the execution itself, since a Succeed state after it would cost a
 *                          transition and do nothing
 *
 * Every Task retries throttling/transient errors with jittered backoff and catches everything
 * else: the Catch records the failed step and goes to HandleFailure, which names the contract
 * error, cleans up in test mode or tags the instance with the failed step in recovery mode, and
 * FailExecution ends the execution with that error and an actionable cause.
 *
 * Cleanup runs before Report (not after, as a reporting step might suggest) so that a failure to
 * report can never leave a test-mode instance behind, and so the report includes the cleanup.
 */

import type { FunctionId } from '@shared/env';
import { ErrorNames } from '@shared/errors';
import { SSH_CHECK_TIMEOUT_SECONDS } from '@shared/ssh-budget';
import { recordFailureStateName, States, TaskFunctions, type TaskStateName } from '@shared/state-names';
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { lambdaTask, type RetryPolicy } from '../lambda-task';

export interface RestoreInstanceWorkflowProps {
  /** The step Lambdas, one per function id. */
  readonly functions: Readonly<Record<FunctionId, IFunction>>;
  /** Backoff for throttling and transient errors on every Task. */
  readonly retry?: RetryPolicy;
  /**
   * Per-Task timeout; a step that hangs fails with States.Timeout and goes through HandleFailure.
   * @default 5 minutes
   */
  readonly taskTimeout?: Duration;
  /**
   * Backstop for the whole execution. Every step has its own, shorter deadline (restore job,
   * boot, profile, SSH), which is what normally ends a stuck restore, with cleanup.
   * @default 26 hours (the longest restoreTimeoutMinutes plus boot, profile and SSH deadlines)
   */
  readonly timeout?: Duration;
}

export class RestoreInstanceWorkflow extends Construct {
  readonly startState: sfn.IChainable;
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: RestoreInstanceWorkflowProps) {
    super(scope, id);
    this.timeout = props.timeout ?? Duration.hours(26);
    const task = (name: TaskStateName, resultPath: string, outputPath?: string): tasks.LambdaInvoke =>
      lambdaTask(this, name, props.functions[TaskFunctions[name]], {
        resultPath,
        outputPath,
        retry: props.retry,
        // CheckSsh may run the request's commands for as long as its function's timeout allows.
        timeout:
          name === States.CheckSsh
            ? Duration.seconds(Math.max(props.taskTimeout?.toSeconds() ?? 0, SSH_CHECK_TIMEOUT_SECONDS + 60))
            : props.taskTimeout,
      });

    // Failure path: HandleFailure never throws for an ordinary failure; if it crashes anyway, the
    // execution still ends with a contract error that says where to look.
    const failExecution = new sfn.Fail(this, States.FailExecution, {
      errorPath: '$.failure.error',
      causePath: '$.failure.cause',
    });
    const failWithCleanupError = new sfn.Fail(this, States.FailWithCleanupError, {
      error: ErrorNames.Cleanup,
      cause:
        'The failure handler itself failed, so the original error and any cleanup are unknown. Read this execution ' +
        'history, then remove instances and Elastic IPs tagged ec2-restore:execution=<this execution ARN>.',
    });
    const handleFailure = task(States.HandleFailure, '$.failure');
    handleFailure.addCatch(failWithCleanupError, { errors: ['States.ALL'], resultPath: '$.handlerError' });
    handleFailure.next(failExecution);

    const step = (name: TaskStateName, resultPath: string, outputPath?: string): tasks.LambdaInvoke => {
      const invoke = task(name, resultPath, outputPath);
      const record = new sfn.Pass(this, recordFailureStateName(name), {
        result: sfn.Result.fromString(name),
        resultPath: '$.failedStep',
      });
      record.next(handleFailure);
      invoke.addCatch(record, { errors: ['States.ALL'], resultPath: '$.error' });
      return invoke;
    };
    const waitFor = (name: string, secondsPath: string) =>
      new sfn.Wait(this, name, { time: sfn.WaitTime.secondsPath(secondsPath) });

    const initialise = new sfn.Pass(this, States.InitialiseState, {
      parameters: {
        'input.$': '$',
        execution: {
          'id.$': '$$.Execution.Id',
          'name.$': '$$.Execution.Name',
          'startTime.$': '$$.Execution.StartTime',
        },
      },
    });

    // Report is terminal: its result, at $.output, is the execution's output.
    const report = step(States.Report, '$.output', '$.output');

    const cleanUp = step(States.CleanUp, '$.cleanup').next(report);

    // After running, the path to a proven instance is address → SSH: sshd's start is the one wait
    // that is not ours. The profile goes between them and usually settles within its own call;
    // when it does not, the SSH check runs meanwhile and the profile is confirmed after it.
    const checkSsh = step(States.CheckSsh, '$.ssh');
    const reattachProfile = step(States.ReattachInstanceProfile, '$.profile').next(checkSsh);
    const sshDone = sfn.Condition.booleanEquals('$.ssh.done', true);
    const profileDone = sfn.Condition.booleanEquals('$.profile.done', true);
    // One Choice routes the whole end: IsTestMode, a Choice of its own, would cost a transition.
    const isSshDone = new sfn.Choice(this, States.IsSshDone)
      .when(
        sfn.Condition.and(sshDone, profileDone, sfn.Condition.stringEquals('$.request.mode', 'test')),
        cleanUp,
      )
      .when(sfn.Condition.and(sshDone, profileDone), report)
      .when(
        sshDone,
        // CheckSsh returns a done check as it is, so this turn only looks at the profile again.
        waitFor(States.WaitForProfileAssociation, '$.profile.nextWaitSeconds').next(reattachProfile),
      )
      .otherwise(waitFor(States.WaitBeforeSshRetry, '$.ssh.nextWaitSeconds').next(checkSsh));
    checkSsh.next(isSshDone);

    const ensurePublicAddress = step(States.EnsurePublicAddress, '$.address').next(reattachProfile);
    const tagResources = step(States.TagResources, '$.tagging').next(ensurePublicAddress);

    const waitForInstance = step(States.WaitForInstance, '$.instance');
    const isInstanceRunning = new sfn.Choice(this, States.IsInstanceRunning)
      .when(sfn.Condition.booleanEquals('$.instance.ready', true), tagResources)
      .otherwise(waitFor(States.WaitBeforeInstanceCheck, '$.instance.nextWaitSeconds').next(waitForInstance));
    waitForInstance.next(isInstanceRunning);

    const waitForRestoreJob = waitFor(States.WaitForRestoreJob, '$.restoreJob.nextWaitSeconds');
    const pollRestoreJob = step(States.PollRestoreJob, '$.restoreJob');
    const isRestoreJobDone = new sfn.Choice(this, States.IsRestoreJobDone)
      .when(sfn.Condition.booleanEquals('$.restoreJob.done', true), waitForInstance)
      .otherwise(waitForRestoreJob);
    waitForRestoreJob.next(pollRestoreJob).next(isRestoreJobDone);

    const startRestoreJob = step(States.StartRestoreJob, '$.restoreJob').next(waitForRestoreJob);
    const isDryRun = new sfn.Choice(this, States.IsDryRun)
      .when(sfn.Condition.booleanEquals('$.request.dryRun', true), report)
      .otherwise(startRestoreJob);

    this.startState = initialise
      .next(step(States.ValidateInput, '$.request'))
      .next(step(States.SelectRecoveryPoint, '$.selection'))
      .next(step(States.ResolveSource, '$.source'))
      .next(step(States.PlanRestore, '$.plan'))
      .next(isDryRun);
  }
}
