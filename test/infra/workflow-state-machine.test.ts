import { WorkflowStateMachine } from '@infra/constructs/workflow-state-machine';
import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { IConstruct } from 'constructs';
import { allowsOn, globMatches, resolveIntrinsics } from './iam-match';
import { ENV, flaggedApp, type Statement, statementsOfRole, synthApp } from './synth';

const STATES = 'arn:aws:states:us-east-1:123456789012';
const machineArn = (name: string) => `${STATES}:stateMachine:${name}`;
const executionArn = (machine: string, execution: string) => `${STATES}:execution:${machine}:${execution}`;
const CHILD_ACTIONS = ['states:DescribeExecution', 'states:StopExecution'];

/** `execution:<anything without : or />*`: a state machine name prefix, which any longer name matches. */
const NAME_PREFIX_GRANT = /:execution:[^:/]*\*$/;

/** The Describe/StopExecution statements of a role that grant on a state machine name prefix. */
function namePrefixGrants(statements: readonly Statement[], refs: Record<string, string>): string[] {
  return statements
    .filter((s) => [s.Action].flat().some((a) => CHILD_ACTIONS.some((c) => globMatches(a, c, true))))
    .flatMap((s) => [s.Resource].flat().map((r) => resolveIntrinsics(r, refs)))
    .filter((resource) => NAME_PREFIX_GRANT.test(resource));
}

describe('the ARN matcher these tests use', () => {
  it('reads * across : and /, and a name prefix as a prefix', () => {
    expect(
      globMatches(`${STATES}:execution:restore-instance*`, executionArn('restore-instance-evil', 'x')),
    ).toBe(true);
    expect(
      globMatches(`${STATES}:execution:restore-instance:*`, executionArn('restore-instance-evil', 'x')),
    ).toBe(false);
    expect(globMatches(`${STATES}:execution:restore-instance:*`, executionArn('restore-instance', 'x'))).toBe(
      true,
    );
    expect(globMatches('states:Describe*', 'states:describeexecution', true)).toBe(true);
  });
});

describe('restore-fleet: child executions of one state machine only', () => {
  const { orchestrator: stack } = synthApp();
  const template = Template.fromStack(stack);
  const { orchestrator } = stack;
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const refs = {
    [logicalId(orchestrator.stateMachine)]: machineArn('restore-instance'),
    [logicalId(orchestrator.fleetStateMachine)]: machineArn('restore-fleet'),
  };
  const statements = statementsOfRole(template, logicalId(orchestrator.fleetStateMachine.role));

  it('grants DescribeExecution and StopExecution on no state machine name prefix', () => {
    expect(namePrefixGrants(statements, refs)).toEqual([]);
  });

  it.each(CHILD_ACTIONS)(
    'allows %s on executions of restore-instance and restore-fleet, not of longer names',
    (action) => {
      for (const machine of ['restore-instance', 'restore-fleet']) {
        expect(allowsOn(statements, action, executionArn(machine, 'fleet-1-i-0abc'), refs)).toBe(true);
        expect(allowsOn(statements, action, executionArn(`${machine}-evil`, 'fleet-1-i-0abc'), refs)).toBe(
          false,
        );
      }
    },
  );
});

/** A workflow whose only task is startExecution.sync:2 of `target`, inside a Map of this kind. */
function workflowWithChildExecutions(stack: Stack, target: sfn.IStateMachine, map: 'inline' | 'distributed') {
  const start = new tasks.StepFunctionsStartExecution(stack, 'StartChild', {
    stateMachine: target,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
  });
  const mapState =
    map === 'inline'
      ? new sfn.Map(stack, 'EachInline', { itemsPath: '$.items' })
      : new sfn.DistributedMap(stack, 'EachDistributed', { itemsPath: '$.items' });
  mapState.itemProcessor(start);
  return { startState: mapState, timeout: Duration.hours(1) };
}

describe.each(['inline', 'distributed'] as const)(
  'WorkflowStateMachine, child executions in an %s Map',
  (map) => {
    const stack = new Stack(flaggedApp(), 'Test', { env: ENV });
    const target = new sfn.StateMachine(stack, 'Target', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
    });
    const machine = new WorkflowStateMachine(stack, 'Parent', {
      workflow: workflowWithChildExecutions(stack, target, map),
    });
    const template = Template.fromStack(stack);
    const id = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const refs = { [id(target)]: machineArn('target'), [id(machine)]: machineArn('parent') };
    const statements = statementsOfRole(template, id(machine.role));

    it('grants DescribeExecution and StopExecution on no state machine name prefix', () => {
      expect(namePrefixGrants(statements, refs)).toEqual([]);
    });

    it('allows describing and stopping the target executions, and no execution of target-evil', () => {
      for (const action of CHILD_ACTIONS) {
        expect(allowsOn(statements, action, executionArn('target', 'child-1'), refs)).toBe(true);
        expect(allowsOn(statements, action, executionArn('target-evil', 'child-1'), refs)).toBe(false);
      }
    });
  },
);
