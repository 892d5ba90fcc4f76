/**
 * How an execution ended, told once for every command that shows it (`watch`, `start --wait`,
 * `status`): the summary when it succeeded; the error, its cause, the failed step and what to do
 * next when it did not.
 */
import { DescribeExecutionCommand, type DescribeExecutionOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorCode } from '@shared/errors';
import type { RestoreOutput } from '@shared/workflow-state';
import { EXECUTION_NAME, executionArnFor, isExecutionArn } from './arns';
import type { CliContext } from './context';
import { noSuchExecution, usageError } from './errors';
import { currentStep, type FailureFacts, failureFacts, sourceInstanceIdOf } from './execution-facts';
import { ExitCodes } from './exit-codes';
import { duration, secondsBetween, utc } from './format';
import { parseJson } from './json';
import { nextSteps } from './next-steps';
import { readHistory } from './progress';
import { renderSummary } from './summary';

export interface Outcome {
  readonly execution: DescribeExecutionOutput & { executionArn: string };
  readonly output: RestoreOutput | null;
  readonly failure: FailureFacts | null;
  /** For a running execution: the step it is in. */
  readonly currentStep: string | null;
  readonly sourceInstanceId: string | null;
}

/**
 * An execution ARN, or a name: of a restore-instance execution, or else of a restore-fleet one
 * when that state machine is configured too (so `report NAME` works for both).
 */
export async function resolveExecution(ctx: CliContext, ref: string): Promise<string> {
  if (isExecutionArn(ref)) return ref;
  if (!EXECUTION_NAME.test(ref)) {
    throw usageError(
      `"${ref}" is neither an execution ARN nor an execution name.`,
      'Pass the ARN `ec2-restore start` printed, or a name from `ec2-restore list`.',
    );
  }
  const restoreArn = executionArnFor(ctx.stateMachineArn(), ref);
  const fleetArn = optionalFleetExecutionArn(ctx, ref);
  if (!fleetArn || fleetArn === restoreArn || (await executionExists(ctx.sfn(restoreArn), restoreArn))) {
    return restoreArn;
  }
  if (await executionExists(ctx.sfn(fleetArn), fleetArn)) return fleetArn;
  throw noSuchExecution(
    `no restore-instance or restore-fleet execution is named "${ref}"`,
    ctx.region(restoreArn),
  );
}

function optionalFleetExecutionArn(ctx: CliContext, name: string): string | null {
  try {
    return executionArnFor(ctx.stateMachineArn('restoreFleet'), name);
  } catch {
    return null;
  }
}

async function executionExists(sfn: SFNClient, executionArn: string): Promise<boolean> {
  try {
    await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return true;
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

export async function readOutcome(sfn: SFNClient, executionArn: string): Promise<Outcome> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const finished = execution.status === 'SUCCEEDED';
  // The history is only needed to explain a failure or to say where a running execution is.
  const history = finished ? [] : await readHistory(sfn, executionArn);
  return {
    execution: { ...execution, executionArn },
    output: finished ? parseJson<RestoreOutput>(execution.output) : null,
    failure: failureFacts(execution, history),
    currentStep: execution.status === 'RUNNING' ? currentStep(history) : null,
    sourceInstanceId: sourceInstanceIdOf(execution, history),
  };
}

/** What every `status --json` document says of the execution itself, restore or fleet. */
export function executionFields(e: DescribeExecutionOutput) {
  return {
    executionArn: e.executionArn,
    name: e.name ?? null,
    stateMachineArn: e.stateMachineArn ?? null,
    status: e.status ?? null,
    startDate: e.startDate?.toISOString() ?? null,
    stopDate: e.stopDate?.toISOString() ?? null,
  };
}

/** The `status --json` document. */
export function statusDocument(o: Outcome) {
  const e = o.execution;
  return {
    ...executionFields(e),
    error: o.failure?.error ?? null,
    cause: o.failure?.cause ?? null,
    failedStep: o.failure?.failedStep ?? null,
    currentStep: o.currentStep,
    input: parseJson(e.input) ?? null,
    output: o.output,
  };
}

/** The `start --wait --json` / `watch --json` document: the execution output, or why there is none. */
export function resultDocument(o: Outcome) {
  if (o.output) return o.output;
  return {
    executionArn: o.execution.executionArn,
    status: o.execution.status ?? null,
    error: o.failure?.error ?? null,
    cause: o.failure?.cause ?? null,
    failedStep: o.failure?.failedStep ?? null,
  };
}

/** Prints how it ended for a person and returns the exit code (1 when the restore failed). */
export function printOutcome(ctx: CliContext, o: Outcome): number {
  const e = o.execution;
  const took = duration(secondsBetween(e.startDate, e.stopDate ?? undefined));
  if (o.output) {
    ctx.say('');
    ctx.say(`Restore ${e.status} in ${took}`);
    ctx.say(renderSummary(o.output));
    return ExitCodes.Ok;
  }
  if (o.failure) {
    for (const line of failureLines(o, o.failure)) ctx.say(line);
    return ExitCodes.RestoreFailed;
  }
  ctx.say('');
  ctx.say(
    `Restore ${e.status}${o.currentStep ? `, now in ${o.currentStep}` : ''} (started ${utc(e.startDate?.toISOString())}).`,
  );
  ctx.say(`Follow it: ec2-restore watch ${e.executionArn}`);
  return ExitCodes.Ok;
}

export function failureLines(o: Outcome, failure: FailureFacts): string[] {
  const cleanup = failure.cleanup
    ? `terminated ${failure.cleanup.terminatedInstanceIds.join(', ') || 'nothing'}, released ${failure.cleanup.releasedAllocationIds.join(', ') || 'nothing'}`
    : null;
  const steps = nextSteps({
    error: failure.error,
    executionArn: o.execution.executionArn,
    instanceId: o.sourceInstanceId,
  });
  return [
    '',
    `Restore ${o.execution.status}${failure.failedStep ? ` in ${failure.failedStep}` : ''}`,
    `  error    ${failure.error}`,
    `  cause    ${indent(failure.cause, 11)}`,
    ...(cleanup ? [`  cleanup  ${cleanup}`] : []),
    'What to do next:',
    ...steps.map((s) => `  - ${s}`),
    `  - Timeline and details: ec2-restore report ${o.execution.executionArn} --out restore.html`,
  ];
}

function indent(text: string, width: number): string {
  return text.split('\n').join(`\n${' '.repeat(width)}`);
}
