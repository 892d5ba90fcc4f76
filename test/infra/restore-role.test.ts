import { RestoreOrchestrator } from '@infra/constructs/restore-orchestrator';
import { RestoreRole } from '@infra/constructs/restore-role';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { ENV, flaggedApp, statementsOfRole } from './synth';

const ROLE = 'arn:aws:iam::123456789012:role/app-instance-role';

describe('RestoreRole on its own', () => {
  it('refuses an empty instanceRoleArns, since PassRole is never granted on *', () => {
    const stack = new Stack(flaggedApp(), 'Test', { env: ENV });

    expect(() => new RestoreRole(stack, 'RestoreRole', { instanceRoleArns: [] })).toThrow(
      'RestoreRole: instanceRoleArns must name at least one instance role',
    );
    expect(() => new RestoreOrchestrator(stack, 'Orchestrator', { instanceRoleArns: [] })).toThrow(
      'RestoreOrchestrator: instanceRoleArns must name at least one instance role',
    );
  });

  it('passes the configured roles to EC2 and denies passing any other', () => {
    const stack = new Stack(flaggedApp(), 'Test', { env: ENV });
    const role = new RestoreRole(stack, 'RestoreRole', { instanceRoleArns: [ROLE] });
    const template = Template.fromStack(stack);

    expect(statementsOfRole(template, stack.getLogicalId(role.node.defaultChild as CfnRole))).toEqual([
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: ROLE,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
      {
        Sid: 'PassOnlyTheConfiguredInstanceRoles',
        Effect: 'Deny',
        Action: 'iam:PassRole',
        NotResource: ROLE,
      },
    ]);
  });
});
