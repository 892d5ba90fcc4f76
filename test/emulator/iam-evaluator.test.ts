/**
 * The emulator's IAM policy evaluator (local/iam/policy-evaluator.ts): AWS's order (explicit deny,
 * allow, implicit deny), Action/NotAction, Resource/NotResource and each condition operator the
 * synthesised and AWS-managed policies use.
 */
import { condition, evaluate, type NamedPolicy, type PolicyStatement } from '@local/iam/policy-evaluator';

const INSTANCE = 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abc';
const policy = (...Statement: PolicyStatement[]): NamedPolicy[] => [
  { name: 'test', document: { Version: '2012-10-17', Statement } },
];
const decide = (policies: NamedPolicy[], action: string, resource: string, context = {}) =>
  evaluate(policies, { action, resource, context }).decision;

describe('decision order', () => {
  const allowAll: PolicyStatement = { Effect: 'Allow', Action: '*', Resource: '*' };

  it('allows what an Allow covers and implicitly denies the rest', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'ec2:TerminateInstances',
      Resource: 'arn:aws:ec2:*:*:instance/*',
    });
    expect(decide(p, 'ec2:TerminateInstances', INSTANCE)).toBe('allowed');
    expect(decide(p, 'ec2:StopInstances', INSTANCE)).toBe('implicitDeny');
    expect(decide(p, 'ec2:TerminateInstances', 'arn:aws:ec2:us-east-1:123456789012:volume/vol-1')).toBe(
      'implicitDeny',
    );
  });

  it('lets an explicit Deny win over any Allow, and names the denying statement', () => {
    const p = policy(allowAll, {
      Sid: 'NoTerminate',
      Effect: 'Deny',
      Action: 'ec2:Terminate*',
      Resource: '*',
    });
    const result = evaluate(p, { action: 'ec2:TerminateInstances', resource: INSTANCE, context: {} });
    expect(result).toEqual({ decision: 'explicitDeny', matched: [{ policy: 'test', sid: 'NoTerminate' }] });
    expect(decide(p, 'ec2:DescribeInstances', '*')).toBe('allowed');
  });

  it('matches actions case-insensitively and resources case-sensitively', () => {
    const p = policy({ Effect: 'Allow', Action: 'EC2:terminateinstances', Resource: INSTANCE });
    expect(decide(p, 'ec2:TerminateInstances', INSTANCE)).toBe('allowed');
    expect(decide(p, 'ec2:TerminateInstances', INSTANCE.toUpperCase())).toBe('implicitDeny');
  });

  it('never lets an ARN-scoped statement cover the resource "*" (an unmapped request)', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'ec2:TerminateInstances',
      Resource: 'arn:aws:ec2:*:*:instance/*',
    });
    expect(decide(p, 'ec2:TerminateInstances', '*')).toBe('implicitDeny');
  });
});

describe('NotAction and NotResource', () => {
  it('NotAction applies to every other action', () => {
    const p = policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
    expect(decide(p, 'ec2:DescribeInstances', '*')).toBe('allowed');
    expect(decide(p, 'iam:PassRole', 'arn:aws:iam::123456789012:role/x')).toBe('implicitDeny');
  });

  it('NotResource in a Deny refuses every role but the listed ones (the restore role)', () => {
    const allowed = 'arn:aws:iam::123456789012:role/app-instance-role';
    const p = policy(
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::*:role/*' },
      { Effect: 'Deny', Action: 'iam:PassRole', NotResource: [allowed] },
    );
    expect(decide(p, 'iam:PassRole', allowed)).toBe('allowed');
    expect(decide(p, 'iam:PassRole', 'arn:aws:iam::123456789012:role/admin')).toBe('explicitDeny');
  });
});

describe('condition operators', () => {
  const tagged = policy({
    Effect: 'Allow',
    Action: 'ec2:TerminateInstances',
    Resource: '*',
    Condition: { StringLike: { 'aws:ResourceTag/ec2-restore:execution': '*' } },
  });

  it('StringLike on a resource tag: present allows, absent denies; keys are case-insensitive', () => {
    expect(
      decide(tagged, 'ec2:TerminateInstances', INSTANCE, { 'aws:ResourceTag/ec2-restore:execution': 'x' }),
    ).toBe('allowed');
    expect(
      decide(tagged, 'ec2:TerminateInstances', INSTANCE, { 'AWS:RESOURCETAG/ec2-restore:execution': 'x' }),
    ).toBe('allowed');
    expect(decide(tagged, 'ec2:TerminateInstances', INSTANCE, {})).toBe('implicitDeny');
  });

  it('StringEquals / StringNotEquals with several values (any of / none of)', () => {
    expect(condition('StringEquals', ['ec2.amazonaws.com'], ['eks.amazonaws.com', 'ec2.amazonaws.com'])).toBe(
      true,
    );
    expect(condition('StringEquals', ['backup.amazonaws.com'], ['ec2.amazonaws.com'])).toBe(false);
    expect(condition('StringEquals', undefined, ['ec2.amazonaws.com'])).toBe(false);
    expect(condition('StringNotEquals', ['a'], ['b', 'c'])).toBe(true);
    expect(condition('StringNotEquals', ['b'], ['b', 'c'])).toBe(false);
    expect(condition('StringEqualsIgnoreCase', ['ABC'], ['abc'])).toBe(true);
    expect(condition('StringNotLike', ['prod-1'], ['test-*'])).toBe(true);
  });

  it('a negated operator holds when the key is absent (an explicit Deny on StringNotLike applies to an untagged resource)', () => {
    expect(condition('StringNotLike', undefined, ['test'])).toBe(true);
    expect(condition('StringNotEquals', undefined, ['recovery'])).toBe(true);
    expect(condition('ArnNotLike', undefined, ['arn:aws:states:*'])).toBe(true);
    expect(condition('StringNotLike', ['test'], ['test'])).toBe(false);
  });

  it('…IfExists passes when the key is absent and tests it when present', () => {
    expect(condition('StringEqualsIfExists', undefined, ['x'])).toBe(true);
    expect(condition('StringEqualsIfExists', ['y'], ['x'])).toBe(false);
    expect(condition('StringEqualsIfExists', ['x'], ['x'])).toBe(true);
  });

  it('Null: true means absent, false means present', () => {
    expect(condition('Null', undefined, ['true'])).toBe(true);
    expect(condition('Null', ['v'], ['true'])).toBe(false);
    expect(condition('Null', ['v'], ['false'])).toBe(true);
    expect(condition('Null', undefined, ['false'])).toBe(false);
  });

  it('ArnLike / ArnEquals compare part by part with wildcards', () => {
    const machine = 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-instance';
    expect(condition('ArnLike', [machine], ['arn:aws:states:us-east-1:123456789012:stateMachine:*'])).toBe(
      true,
    );
    expect(condition('ArnLike', [machine], ['arn:aws:states:eu-west-1:123456789012:stateMachine:*'])).toBe(
      false,
    );
    expect(condition('ArnEquals', [machine], [machine])).toBe(true);
    expect(condition('ArnNotLike', [machine], ['arn:aws:states:*:*:stateMachine:other'])).toBe(true);
  });

  it('Bool compares true/false case-insensitively', () => {
    expect(condition('Bool', ['true'], ['true'])).toBe(true);
    expect(condition('Bool', ['TRUE'], ['true'])).toBe(true);
    expect(condition('Bool', ['false'], ['true'])).toBe(false);
    expect(condition('Bool', undefined, ['true'])).toBe(false);
  });

  it('ForAllValues: every request value must match (vacuously true without values)', () => {
    const only = ['aws:backup:source-resource'];
    expect(condition('ForAllValues:StringEquals', ['aws:backup:source-resource'], only)).toBe(true);
    expect(condition('ForAllValues:StringEquals', ['aws:backup:source-resource', 'Name'], only)).toBe(false);
    expect(condition('ForAllValues:StringEquals', undefined, only)).toBe(true);
  });

  it('ForAnyValue: at least one request value must match (false without values)', () => {
    expect(condition('ForAnyValue:StringLike', ['Name', 'ec2-restore:execution'], ['ec2-restore:*'])).toBe(
      true,
    );
    expect(condition('ForAnyValue:StringLike', ['Name'], ['ec2-restore:*'])).toBe(false);
    expect(condition('ForAnyValue:StringLike', undefined, ['ec2-restore:*'])).toBe(false);
  });

  it('Numeric operators compare numbers', () => {
    expect(condition('NumericLessThanEquals', ['5'], ['10'])).toBe(true);
    expect(condition('NumericGreaterThan', ['5'], ['10'])).toBe(false);
  });

  it('an unknown operator makes an Allow not apply and a Deny apply (fail safe)', () => {
    const Condition = { DateLessThanMagic: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } };
    const allow = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition });
    expect(decide(allow, 'ec2:DescribeInstances', '*')).toBe('implicitDeny');
    const deny = policy(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition },
    );
    expect(decide(deny, 'ec2:DescribeInstances', '*')).toBe('explicitDeny');
  });

  it('every condition of a statement must hold (iam:PassRole to one service only)', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: 'arn:aws:iam::123456789012:role/app-instance-role',
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    const role = 'arn:aws:iam::123456789012:role/app-instance-role';
    expect(decide(p, 'iam:PassRole', role, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe('allowed');
    expect(decide(p, 'iam:PassRole', role, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe(
      'implicitDeny',
    );
    expect(decide(p, 'iam:PassRole', role, {})).toBe('implicitDeny');
  });
});
