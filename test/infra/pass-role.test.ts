import { RestoreOrchestrator } from '@infra/constructs/restore-orchestrator';
import { RestoreRole } from '@infra/constructs/restore-role';
import { isAccountWideRolePattern, passRoleTo } from '@infra/pass-role';
import { stepPolicies } from '@infra/step-policies';
import { Aws, Stack } from 'aws-cdk-lib';
import { ENV, flaggedApp } from './synth';

const ACCOUNT_WIDE = [
  'arn:aws:iam::123456789012:role/*',
  'arn:aws:iam::123456789012:role/**',
  'arn:aws:iam::123456789012:role/*/*',
  'arn:aws:iam::123456789012:role/?*',
  'arn:aws:iam::123456789012:role*',
  'arn:aws:iam::123456789012:*',
  'arn:aws:iam::*:role/*',
  'arn:*:iam::123456789012:role/*',
  // What a construct user writes with the stack's own tokens.
  `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`,
  '*',
];
const SCOPED = [
  'arn:aws:iam::123456789012:role/app-instance-role',
  'arn:aws:iam::123456789012:role/app/*',
  'arn:aws:iam::123456789012:role/*-instance-role',
  'arn:aws:iam::123456789012:role/app-*',
  'arn:aws:iam::123456789012:role/service-role/*',
  `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/app/*`,
];

describe('isAccountWideRolePattern', () => {
  it.each(ACCOUNT_WIDE)('%s matches every role of the account', (arn) => {
    expect(isAccountWideRolePattern(arn)).toBe(true);
  });

  it.each(SCOPED)('%s is scoped by a literal in its path or name', (arn) => {
    expect(isAccountWideRolePattern(arn)).toBe(false);
  });
});

describe('account-wide PassRole is refused by every builder unless opted in', () => {
  const wide = 'arn:aws:iam::123456789012:role/*';
  const named = 'arn:aws:iam::123456789012:role/app-instance-role';
  const message =
    /instanceRoleArns entry "arn:aws:iam::123456789012:role\/\*" matches every IAM role.*set allowAccountWidePassRole to true/;
  const stack = () => new Stack(flaggedApp(), 'Test', { env: ENV });
  const policyContext = {
    partition: 'aws',
    region: 'us-east-1',
    account: '123456789012',
    keyPairParameterPrefix: '/ec2/keypair/',
    restoreRoleArn: 'arn:aws:iam::123456789012:role/restore',
    notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:outcomes',
  };

  it('passRoleTo', () => {
    expect(() => passRoleTo('ec2.amazonaws.com', [named, wide])).toThrow(message);
    expect(passRoleTo('ec2.amazonaws.com', [wide], { allowAccountWidePassRole: true }).resources).toEqual([
      wide,
    ]);
  });

  it('RestoreRole', () => {
    expect(() => new RestoreRole(stack(), 'RestoreRole', { instanceRoleArns: [wide] })).toThrow(
      /^RestoreRole: instanceRoleArns entry/,
    );
    expect(
      () =>
        new RestoreRole(stack(), 'RestoreRole', { instanceRoleArns: [wide], allowAccountWidePassRole: true }),
    ).not.toThrow();
  });

  it('the reattach step', () => {
    expect(() => stepPolicies({ ...policyContext, instanceRoleArns: ['*'] })).toThrow(
      /entry "\*" matches every/,
    );
  });

  it('RestoreOrchestrator', () => {
    expect(() => new RestoreOrchestrator(stack(), 'Orchestrator', { instanceRoleArns: [wide] })).toThrow(
      message,
    );
  });
});
