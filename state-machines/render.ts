/**
 * Renders a workflow construct to plain ASL without a CDK synth: the emulator runs exactly this
 * document, and the committed `*.asl.json` files are this output (a test fails when they are stale).
 */

import { FUNCTION_IDS, type FunctionId } from '@shared/env';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RestoreInstanceWorkflow } from './restore-instance/restore-instance';

export interface RenderOptions {
  readonly region?: string;
  readonly accountId?: string;
  /** Function name prefix of the fake Lambda ARNs. */
  readonly functionPrefix?: string;
}

/** The ARN the rendered ASL uses for a step Lambda. */
export function functionArn(id: FunctionId, options: RenderOptions = {}): string {
  const { region = 'us-east-1', accountId = '000000000000', functionPrefix = 'ec2-restore-' } = options;
  return `arn:aws:lambda:${region}:${accountId}:function:${functionPrefix}${id}`;
}

export type Asl = {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  TimeoutSeconds?: number;
  Comment?: string;
};

export function renderRestoreInstanceAsl(options: RenderOptions = {}): Asl {
  const stack = new Stack(new App(), 'Render');
  const functions = Object.fromEntries(
    FUNCTION_IDS.map((id) => [
      id,
      lambda.Function.fromFunctionArn(stack, `fn-${id}`, functionArn(id, options)),
    ]),
  ) as Record<FunctionId, lambda.IFunction>;
  const workflow = new RestoreInstanceWorkflow(stack, 'RestoreInstance', { functions });
  const graph = new sfn.StateGraph(sfn.Chain.start(workflow.startState).startState, 'restore-instance');
  graph.timeout = workflow.timeout;
  return {
    Comment:
      'ec2-restore-orchestrator restore-instance (rendered from state-machines/restore-instance; do not edit)',
    ...(stack.resolve(graph.toGraphJson()) as Asl),
  };
}
