/**
 * iam:PassRole as this project grants it: to one service, on named roles only. Both the restore
 * role (to EC2, during the restore job) and two step Lambdas (the restore role to Backup, the
 * instance roles to EC2) use it.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NagPackSuppression } from 'cdk-nag';

/** iam:PassRole on exactly these roles, and only to this service. */
export function passRoleTo(service: string, roleArns: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [...roleArns],
    conditions: { StringEquals: { 'iam:PassedToService': service } },
  });
}

/** Instance roles may be configured as ARN patterns (role/app/*): PassRole then has a wildcard, by design. */
export function instanceRolePatternSuppressions(roleArns: readonly string[]): NagPackSuppression[] {
  const patterns = roleArns.filter((arn) => arn.includes('*'));
  if (patterns.length === 0) return [];
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'iam:PassRole on the instance-role ARN patterns configured in instanceRoleArns, only to ec2.amazonaws.com.',
      appliesTo: patterns.map((arn) => `Resource::${arn}`),
    },
  ];
}
