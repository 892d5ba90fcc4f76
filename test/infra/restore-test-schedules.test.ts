import { RestoreTestSchedules } from '@infra/constructs/restore-test-schedules';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { ENV, flaggedApp, statementsOfRole, synthApp } from './synth';

const SCHEDULES = [
  {
    name: 'nightly',
    expression: 'cron(0 3 * * ? *)',
    timeZone: 'Asia/Tokyo',
    input: { instanceId: 'i-0123456789abcdef0' },
  },
  {
    name: 'weekly-recovery-drill',
    expression: 'cron(0 4 ? * SUN *)',
    flexibleWindowMinutes: 0,
    enabled: false,
    input: { instanceId: 'i-0fedcba9876543210', mode: 'recovery' },
  },
];

// Given as JSON text, as `-c restoreTestSchedules=...` would.
const { orchestrator: stack } = synthApp({ restoreTestSchedules: JSON.stringify(SCHEDULES) });
const template = Template.fromStack(stack);
const schedules = stack.orchestrator.schedules!;
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const stateMachine = { Ref: logicalId(stack.orchestrator.stateMachine) };
const queueArn = { 'Fn::GetAtt': [logicalId(schedules.deadLetterQueue), 'Arn'] };

function scheduleNamed(name: string) {
  const found = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((s) =>
    String(s.Properties.Description).endsWith(` ${name}`),
  );
  expect(found).toHaveLength(1);
  return found[0]!.Properties;
}

describe('scheduled restore tests', () => {
  it('creates one schedule per entry, with its cron expression and time zone', () => {
    // Besides the janitor's sweep (test/infra/janitor.test.ts).
    const restoreTests = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      String(s.Properties.Description).startsWith('ec2-restore-orchestrator restore test '),
    );
    expect(restoreTests).toHaveLength(2);
    expect(scheduleNamed('nightly')).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Tokyo',
      State: 'ENABLED',
    });
    expect(scheduleNamed('weekly-recovery-drill')).toMatchObject({
      ScheduleExpressionTimezone: 'UTC',
      State: 'DISABLED',
    });
  });

  it('starts the restore state machine with the configured input, in test mode unless it says otherwise', () => {
    const nightly = scheduleNamed('nightly').Target;
    const drill = scheduleNamed('weekly-recovery-drill').Target;

    expect(nightly.Arn).toEqual(stateMachine);
    expect(JSON.parse(nightly.Input)).toEqual({ instanceId: 'i-0123456789abcdef0', mode: 'test' });
    expect(JSON.parse(drill.Input)).toEqual({ instanceId: 'i-0fedcba9876543210', mode: 'recovery' });
  });

  it('uses a 15-minute flexible window by default and the exact time when the window is 0', () => {
    expect(scheduleNamed('nightly').FlexibleTimeWindow).toEqual({
      Mode: 'FLEXIBLE',
      MaximumWindowInMinutes: 15,
    });
    expect(scheduleNamed('weekly-recovery-drill').FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
  });

  it('sends starts it cannot deliver, after bounded retries, to an encrypted TLS-only dead-letter queue', () => {
    for (const name of ['nightly', 'weekly-recovery-drill']) {
      expect(scheduleNamed(name).Target).toMatchObject({
        DeadLetterConfig: { Arn: queueArn },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('lets the Scheduler role start this state machine and write to the queue, and nothing else', () => {
    expect(statementsOfRole(template, logicalId(schedules.role))).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachine },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
      // Starting an execution encrypts its input with the state machine's key.
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^OrchestratorEncryptionKey/), 'Arn'] },
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': stateMachine } },
      },
    ]);
  });

  it('lets only EventBridge Scheduler of this account assume its role', () => {
    const role = template.toJSON().Resources[logicalId(schedules.role)];

    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': ENV.account } },
      },
    ]);
  });

  it('creates no schedule, role or queue when none is configured', () => {
    const { orchestrator: none } = synthApp({ restoreTestSchedules: [] });
    const bare = Template.fromStack(none);

    // What remains is the janitor's sweep and its dead-letter queue (test/infra/janitor.test.ts).
    expect(none.orchestrator.schedules).toBeUndefined();
    bare.resourceCountIs('AWS::Scheduler::Schedule', 1);
    bare.resourceCountIs('AWS::SQS::Queue', 1);
    expect(Object.keys(bare.findResources('AWS::Scheduler::Schedule'))[0]).toMatch(/JanitorSweepSchedule/);
  });
});

describe('schedule validation', () => {
  function build(schedules: ConstructorParameters<typeof RestoreTestSchedules>[2]['schedules']) {
    const stack = new Stack(flaggedApp(), 'Test', { env: ENV });
    const stateMachine = new sfn.StateMachine(stack, 'Sm', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
    });
    return () => new RestoreTestSchedules(stack, 'Schedules', { stateMachine, schedules });
  }

  it('rejects an input that breaks the contract, naming the schedule and the field', () => {
    const act = build([{ name: 'nightly', expression: 'rate(1 day)', input: { instanceId: 'web-1' } }]);

    expect(act).toThrow(
      /schedule "nightly": Invalid restore request: instanceId: must look like i-0123456789abcdef0/,
    );
  });

  it('rejects two schedules with the same name', () => {
    const entry = {
      name: 'nightly',
      expression: 'rate(1 day)',
      input: { instanceId: 'i-0123456789abcdef0' },
    };

    expect(build([entry, entry])).toThrow('schedule name "nightly" is used twice');
  });
});
