/**
 * Renders a workflow construct to plain ASL without a CDK synth: the emulator runs exactly this
 * document, and the committed `*.asl.json` files are this output (a test fails when they are stale).
 */

import { type AnyFunctionId, FUNCTION_IDS, type FunctionId } from '@shared/env';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { type Asl, functionArn, type RenderOptions, restoreInstanceArn } from './rendered-asl';
import { RestoreFleetWorkflow } from './restore-fleet/restore-fleet';
import { RestoreInstanceWorkflow } from './restore-instance/restore-instance';

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

export interface FleetRenderOptions extends RenderOptions {
  /**
   * Largest fleet the inline Map runs. Tests lower it to take the Distributed Map with a few
   * instances; the committed ASL and the emulator use the default.
   * @default INLINE_MAP_MAX_TARGETS
   */
  readonly inlineMapMaxTargets?: number;
}

export function renderRestoreFleetAsl(options: FleetRenderOptions = {}): Asl {
  const stack = new Stack(new App(), 'Render');
  const fn = (id: AnyFunctionId) =>
    lambda.Function.fromFunctionArn(stack, `fn-${id}`, functionArn(id, options));
  const workflow = new RestoreFleetWorkflow(stack, 'RestoreFleet', {
    functions: {
      'resolve-fleet-targets': fn('resolve-fleet-targets'),
      'summarise-fleet': fn('summarise-fleet'),
    },
    restoreInstance: sfn.StateMachine.fromStateMachineArn(
      stack,
      'RestoreInstance',
      restoreInstanceArn(options),
    ),
    inlineMapMaxTargets: options.inlineMapMaxTargets,
  });
  const graph = new sfn.StateGraph(sfn.Chain.start(workflow.startState).startState, 'restore-fleet');
  graph.timeout = workflow.timeout;
  return {
    Comment:
      'ec2-restore-orchestrator restore-fleet (rendered from state-machines/restore-fleet; do not edit)',
    ...(withPartition(stack.resolve(graph.toGraphJson())) as Asl),
  };
}

/**
 * Service-integration Resources come out of CDK as `Fn::Join` over the `AWS::Partition` pseudo
 * parameter, which only CloudFormation resolves; plain ASL needs the literal partition.
 */
function withPartition(value: unknown, partition = 'aws'): unknown {
  if (Array.isArray(value)) return value.map((v) => withPartition(v, partition));
  if (value === null || typeof value !== 'object') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join && Object.keys(value).length === 1) {
    const [separator, parts] = join;
    return parts
      .map((part) => {
        if (typeof part === 'string') return part;
        if ((part as { Ref?: string }).Ref === 'AWS::Partition') return partition;
        throw new Error(`cannot render ${JSON.stringify(part)} to plain ASL`);
      })
      .join(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPartition(v, partition)]));
}
