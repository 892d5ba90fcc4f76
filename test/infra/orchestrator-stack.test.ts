import { EnvSchemas, FLEET_FUNCTION_IDS, FUNCTION_IDS } from '@shared/env';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { actionsOf, grantsOfRole, type Statement, statementsOfRole, synthApp } from './synth';

const INSTANCE_ROLE = 'arn:aws:iam::123456789012:role/app-instance-role';

const { orchestrator: stack } = synthApp();
const template = Template.fromStack(stack);
const { orchestrator } = stack;
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

function allStatements(): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

describe('orchestrator stack: IAM', () => {
  it('never allows iam:PassRole on * or without an iam:PassedToService condition', () => {
    const passRoles = allStatements().filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).includes('iam:PassRole'),
    );

    expect(passRoles.length).toBeGreaterThanOrEqual(3);
    for (const statement of passRoles) {
      expect(statement.Resource).not.toBe('*');
      expect(Object.keys(statement.Condition?.StringEquals ?? {})).toEqual(['iam:PassedToService']);
    }
  });

  it('lets the restore role pass exactly the configured instance roles, and only to EC2', () => {
    const statements = statementsOfRole(template, logicalId(orchestrator.restoreRole));

    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: INSTANCE_ROLE,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
  });

  it('denies the restore role passing any other role, whatever the managed policy allows', () => {
    const statements = statementsOfRole(template, logicalId(orchestrator.restoreRole));

    expect(statements).toContainEqual({
      Sid: 'PassOnlyTheConfiguredInstanceRoles',
      Effect: 'Deny',
      Action: 'iam:PassRole',
      NotResource: INSTANCE_ROLE,
    });
  });

  it('trusts only AWS Backup to assume the restore role, which carries the managed restore policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })],
      },
      ManagedPolicyArns: [
        Match.objectLike({
          'Fn::Join': Match.arrayWith([
            Match.arrayWith([Match.stringLikeRegexp('AWSBackupServiceRolePolicyForRestores')]),
          ]),
        }),
      ],
    });
  });

  it('lets the start-restore-job step pass the restore role only to AWS Backup', () => {
    const role = orchestrator.functions['start-restore-job'].role;
    const statements = statementsOfRole(template, logicalId(role!));

    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [logicalId(orchestrator.restoreRole), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } },
      }),
    );
  });

  it('lets the reattach step pass the instance roles only to EC2', () => {
    const role = orchestrator.functions['reattach-instance-profile'].role;
    const statements = statementsOfRole(template, logicalId(role!));

    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'iam:PassRole',
        Resource: INSTANCE_ROLE,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
  });
});

describe('orchestrator stack: restore-fleet', () => {
  const fleetRole = () => logicalId(orchestrator.fleetStateMachine.role);
  const restoreInstance = logicalId(orchestrator.stateMachine);
  const fleet = logicalId(orchestrator.fleetStateMachine);
  const executionsOf = (machine: string, suffix: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:aws:states:us-east-1:123456789012:execution:',
        { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: machine }] }] },
        suffix,
      ],
    ],
  });

  it('lets the fleet start executions of restore-instance and of itself (Distributed Map) only', () => {
    const starts = statementsOfRole(template, fleetRole()).filter((s) =>
      actionsOf(s).includes('states:StartExecution'),
    );

    expect(starts.map((s) => s.Resource)).toEqual(
      expect.arrayContaining([{ Ref: restoreInstance }, { Ref: fleet }]),
    );
    expect(starts).toHaveLength(2);
  });

  it('lets the fleet describe and stop only the executions of those two state machines', () => {
    const describes = grantsOfRole(template, fleetRole()).filter((g) =>
      ['states:DescribeExecution', 'states:StopExecution'].includes(g.Action),
    );

    expect(describes).toEqual(
      expect.arrayContaining(
        ['states:DescribeExecution', 'states:StopExecution'].flatMap((Action) => [
          { Effect: 'Allow', Action, Resource: executionsOf(restoreInstance, ':*') },
          { Effect: 'Allow', Action, Resource: executionsOf(fleet, ':*') },
        ]),
      ),
    );
    expect(describes).toHaveLength(4);
  });

  it('lets the fleet manage only the EventBridge rule that startExecution.sync:2 uses', () => {
    const events = grantsOfRole(template, fleetRole()).filter((g) => g.Action.startsWith('events:'));

    expect(events).toEqual(
      ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'].map((Action) => ({
        Effect: 'Allow',
        Action,
        Resource:
          'arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      })),
    );
  });

  it('gives resolve-fleet-targets read-only Backup listing, recovery points per vault', () => {
    const role = orchestrator.fleetFunctions['resolve-fleet-targets'].role!;
    const backup = grantsOfRole(template, logicalId(role)).filter((g) => g.Action.startsWith('backup:'));

    // No Condition either: toEqual would show one.
    expect(backup).toEqual([
      { Effect: 'Allow', Action: 'backup:ListBackupVaults', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 'backup:ListRecoveryPointsByBackupVault',
        Resource: 'arn:aws:backup:us-east-1:123456789012:backup-vault:*',
      },
      { Effect: 'Allow', Action: 'backup:ListTags', Resource: '*' },
    ]);
  });

  it('logs ALL with execution data, traces, times out, and outputs the fleet state machine ARN', () => {
    const resource = template.toJSON().Resources[fleet];

    expect(resource.Properties).toMatchObject({
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
    });
    expect(JSON.stringify(resource.Properties.DefinitionString)).toMatch(/\\"TimeoutSeconds\\":432000/);
    template.hasOutput('FleetStateMachineArn', { Value: { Ref: fleet } });
  });
});

describe('orchestrator stack: functions, logs and tracing', () => {
  it('runs every step Lambda on Node 22 arm64 with tracing and JSON logs', () => {
    const functions = template.findResources('AWS::Lambda::Function');

    // The steps, the fleet's two, and the janitor (test/infra/janitor.test.ts).
    expect(Object.keys(functions)).toHaveLength(FUNCTION_IDS.length + FLEET_FUNCTION_IDS.length + 1);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it('gives every Lambda each variable its env schema requires, and none it does not know', () => {
    let requiredChecked = 0;
    for (const step of FUNCTION_IDS) {
      const shape = EnvSchemas[step].shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
      const required = Object.keys(shape).filter((key) => !shape[key]?.safeParse(undefined).success);
      const fn = template.toJSON().Resources[logicalId(orchestrator.functions[step])];
      const variables: Record<string, unknown> = fn.Properties.Environment.Variables;

      for (const key of required) {
        expect({ step, key, set: Boolean(variables[key]) }).toEqual({ step, key, set: true });
        requiredChecked += 1;
      }
      for (const key of Object.keys(variables)) {
        expect({ step, key, known: key === 'POWERTOOLS_SERVICE_NAME' || key in shape }).toEqual({
          step,
          key,
          known: true,
        });
      }
    }
    expect(requiredChecked).toBeGreaterThan(0);
  });

  it('gives the report Lambda the topic ARN and sns:Publish on that topic alone', () => {
    const topic = logicalId(orchestrator.notificationTopic);
    const report = template.toJSON().Resources[logicalId(orchestrator.functions.report)];
    const role = orchestrator.functions.report.role!;

    expect(report.Properties.Environment.Variables.NOTIFICATION_TOPIC_ARN).toEqual({ Ref: topic });
    expect(
      statementsOfRole(template, logicalId(role)).filter((s) => actionsOf(s).includes('sns:Publish')),
    ).toEqual([{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topic } }]);
  });

  it('logs every state machine event with execution data to a log group with retention, and traces', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } },
        ],
      },
      TracingConfiguration: { Enabled: true },
    });
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });
});

describe('orchestrator stack: notifications and alarms', () => {
  it.each([
    ['restore-instance', () => orchestrator.stateMachine],
    ['restore-fleet', () => orchestrator.fleetStateMachine],
  ])('alarms on failed and timed-out executions of %s, to the topic', (_name, machine) => {
    const topic = { Ref: logicalId(orchestrator.notificationTopic) };
    const stateMachine = { Ref: logicalId(machine()) };

    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: stateMachine }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      });
    }
  });

  it('alarms when a scheduled start lands in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
  });

  it('only accepts publishing to the topic over TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the configured e-mail addresses to the topic', () => {
    const { orchestrator: withEmail } = synthApp({ notificationEmails: 'ops@example.com' });

    Template.fromStack(withEmail).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('outputs what the CLI needs: the state machine ARN', () => {
    template.hasOutput('StateMachineArn', {
      Value: { Ref: logicalId(orchestrator.stateMachine) },
    });
  });
});
