import { OrchestratorStack } from '@infra/orchestrator-stack';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';

const INSTANCE_ROLE = 'arn:aws:iam::123456789012:role/app-instance-role';

function synth(): Template {
  // Bundling off: infra tests check the template, not the esbuild output.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new OrchestratorStack(app, 'Test', {
    instanceRoleArns: [INSTANCE_ROLE],
    env: { account: '123456789012', region: 'us-east-1' },
  });
  return Template.fromStack(stack);
}

const template = synth();

function policyStatements(): {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: never[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

describe('orchestrator stack', () => {
  it('never grants iam:PassRole without an iam:PassedToService condition or on *', () => {
    const passRoles = policyStatements().filter((s) => [s.Action].flat().includes('iam:PassRole'));

    expect(passRoles.length).toBeGreaterThanOrEqual(3);
    for (const statement of passRoles) {
      expect(statement.Resource).not.toBe('*');
      expect(Object.keys(statement.Condition?.StringEquals ?? {})).toEqual(['iam:PassedToService']);
    }
  });

  it('lets the restore role pass exactly the configured instance roles to EC2', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'iam:PassRole',
            Resource: INSTANCE_ROLE,
            Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('RestoreRole') }],
    });
  });

  it('trusts only AWS Backup to assume the restore role', () => {
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

  it('runs every step Lambda on Node 22 arm64 with tracing and JSON logs', () => {
    const functions = template.findResources('AWS::Lambda::Function');

    expect(Object.keys(functions)).toHaveLength(14);
    for (const fn of Object.values(functions) as { Properties: Record<string, unknown> }[]) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it('logs every state machine event with execution data, and traces', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
    });
  });
});
