/**
 * The janitor as deployed: its two EventBridge rules (the event patterns that decide what it
 * hears), its Scheduler schedule, and the least privilege of its role.
 */
import { readAppContext } from '@infra/app-context';
import { TagKeys } from '@shared/tags';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { actionsOf, type Statement, statementsOfRole, synthApp } from './synth';

const { orchestrator: stack } = synthApp({
  janitorSweepSchedule: 'rate(2 hours)',
  janitorRetentionMinutes: '45',
});
const template = Template.fromStack(stack);
const janitor = stack.orchestrator.janitor;
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
const fnArn = { 'Fn::GetAtt': [logicalId(janitor.function), 'Arn'] };
const resource = (construct: IConstruct) => template.toJSON().Resources[logicalId(construct)];

describe('janitor rules', () => {
  it('hears every restore and fleet execution that ends without succeeding', () => {
    expect(resource(janitor.executionRule).Properties).toMatchObject({
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
          stateMachineArn: [ref(stack.orchestrator.stateMachine), ref(stack.orchestrator.fleetStateMachine)],
        },
      },
      Targets: [
        {
          Arn: fnArn,
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(janitor.deadLetterQueue), 'Arn'] } },
        },
      ],
    });
  });

  it('hears completed restore jobs of the restore role, on `status` (not `state`, which only CREATED carries)', () => {
    const pattern = resource(janitor.restoreJobRule).Properties.EventPattern;
    expect(pattern).toEqual({
      source: ['aws.backup'],
      'detail-type': ['Restore Job State Change'],
      detail: {
        status: ['COMPLETED'],
        iamRoleArn: [{ 'Fn::GetAtt': [logicalId(stack.orchestrator.restoreRole), 'Arn'] }],
      },
    });
    expect(resource(janitor.restoreJobRule).Properties.Targets[0].Arn).toEqual(fnArn);
  });
});

describe('janitor sweep schedule', () => {
  it('invokes the janitor with the sweep input on the configured expression, with a DLQ', () => {
    const props = resource(janitor.sweepSchedule).Properties;
    expect(props).toMatchObject({
      ScheduleExpression: 'rate(2 hours)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: fnArn, DeadLetterConfig: { Arn: expect.anything() } },
    });
    expect(JSON.parse(props.Target.Input)).toEqual({ janitor: 'sweep' });
  });

  it('passes the retention and both state machines to the function', () => {
    expect(resource(janitor.function).Properties.Environment.Variables).toMatchObject({
      SWEEP_RETENTION_MINUTES: '45',
      RESTORE_STATE_MACHINE_ARN: ref(stack.orchestrator.stateMachine),
      FLEET_STATE_MACHINE_ARN: ref(stack.orchestrator.fleetStateMachine),
      NOTIFICATION_TOPIC_ARN: { Ref: expect.stringMatching(/Notifications/) },
    });
  });

  it('defaults to hourly with 30 minutes of retention, and rejects a bad expression by its key', () => {
    const defaults = readAppContext({ instanceRoleArns: 'arn:aws:iam::123456789012:role/app' });
    expect(defaults.orchestrator.janitor).toEqual({ sweepSchedule: 'rate(1 hour)', retentionMinutes: 30 });
    expect(() =>
      readAppContext({
        instanceRoleArns: 'arn:aws:iam::123456789012:role/app',
        janitorSweepSchedule: 'hourly',
      }),
    ).toThrow(/context key janitorSweepSchedule: must be a cron\(\.\.\.\) or rate\(\.\.\.\) expression/);
    expect(() =>
      readAppContext({
        instanceRoleArns: 'arn:aws:iam::123456789012:role/app',
        janitorRetentionMinutes: '-1',
      }),
    ).toThrow(/context key janitorRetentionMinutes: must be at least 0/);
  });
});

describe("janitor's role", () => {
  const roleId = (resource(janitor.function).Properties.Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  const statements = statementsOfRole(template, roleId);
  const granting = (action: string): Statement[] => statements.filter((s) => actionsOf(s).includes(action));

  it('terminates and releases only what is tagged test mode', () => {
    for (const action of ['ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute', 'ec2:ReleaseAddress']) {
      const grants = granting(action);
      expect(grants.length).toBeGreaterThan(0);
      for (const grant of grants) {
        expect(grant.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${TagKeys.Mode}`]: 'test' } });
      }
    }
    // DisassociateAddress: the address must be test mode; its network interface carries no tag of ours.
    const disassociate = granting('ec2:DisassociateAddress');
    expect(
      disassociate.filter((s) => JSON.stringify(s.Resource).includes('elastic-ip/*'))[0]?.Condition,
    ).toEqual({
      StringEquals: { [`aws:ResourceTag/${TagKeys.Mode}`]: 'test' },
    });
    expect(
      disassociate.every((s) => s.Condition || JSON.stringify(s.Resource).includes('network-interface/*')),
    ).toBe(true);
  });

  it("tags only with this product's keys, claims only as the steps do, and never deletes tags", () => {
    const [claim, outcome, ...more] = granting('ec2:CreateTags');
    expect(more).toEqual([]);
    // The claim: as infra/step-policies.ts's, only an untagged instance AWS Backup restored.
    expect(claim?.Condition).toMatchObject({
      Null: {
        [`aws:ResourceTag/${TagKeys.Execution}`]: 'true',
        'aws:ResourceTag/aws:backup:source-resource': 'false',
      },
      StringEquals: { [`aws:RequestTag/${TagKeys.Mode}`]: ['test', 'recovery'] },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TagKeys.Execution, TagKeys.Mode] },
    });
    // The outcome: only on what an execution tagged as its own.
    expect(outcome?.Condition).toMatchObject({
      StringLike: { [`aws:ResourceTag/${TagKeys.Execution}`]: expect.anything() },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TagKeys.Outcome] },
    });
    expect(granting('ec2:DeleteTags')).toEqual([]);
  });

  it('reads only the executions of the two state machines, and publishes only to the topic', () => {
    const reads = granting('states:GetExecutionHistory');
    expect(reads).toHaveLength(1);
    const resources = JSON.stringify(reads[0]?.Resource);
    expect(resources).toContain(':execution:');
    expect(resources).toContain(logicalId(stack.orchestrator.stateMachine));
    expect(resources).toContain(logicalId(stack.orchestrator.fleetStateMachine));
    const listed = granting('states:ListExecutions')[0]?.Resource as unknown[];
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([
        ref(stack.orchestrator.stateMachine),
        ref(stack.orchestrator.fleetStateMachine),
      ]),
    );
    expect(granting('states:StopExecution')).toEqual([]);
    expect(granting('states:StartExecution')).toEqual([]);
    expect(granting('sns:Publish')[0]?.Resource).toEqual({ Ref: expect.stringMatching(/Notifications/) });
  });

  it('holds no EC2 write on "*"', () => {
    const writes = statements.filter(
      (s) =>
        s.Resource === '*' && actionsOf(s).some((a) => a.startsWith('ec2:') && !a.startsWith('ec2:Describe')),
    );
    expect(writes).toEqual([]);
  });
});
