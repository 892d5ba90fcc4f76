import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import {
  assertNoAccountWideRoles,
  instanceRolePatternSuppressions,
  type PassRoleOptions,
  passRoleTo,
} from '../pass-role';

export interface RestoreRoleProps extends PassRoleOptions {
  /**
   * Roles inside the instance profiles of the instances to restore: the only roles this role may
   * pass to EC2. Role ARNs, or ARN patterns such as `arn:aws:iam::123456789012:role/app/*`; a
   * pattern matching every role (`role/*`) throws unless `allowAccountWidePassRole` is true.
   */
  readonly instanceRoleArns: readonly string[];
}

/**
 * The role AWS Backup assumes to restore EC2 instances: the managed restore policy, iam:PassRole
 * on the configured instance roles only to EC2, and an explicit Deny on passing any other role.
 */
export class RestoreRole extends iam.Role {
  constructor(scope: Construct, id: string, props: RestoreRoleProps) {
    if (props.instanceRoleArns.length === 0) {
      throw new Error(
        'RestoreRole: instanceRoleArns must name at least one instance role (PassRole is never granted on *).',
      );
    }
    assertNoAccountWideRoles(props.instanceRoleArns, props, 'RestoreRole');
    super(scope, id, {
      // No aws:SourceAccount or aws:SourceArn condition: AWS Backup documents neither for the
      // roles it assumes (its confused-deputy guidance covers resource policies: SNS, KMS), so
      // whether it sends them is unconfirmed (docs/aws-facts.md), and a condition it does not meet
      // would fail every restore on the day it is needed. Passing the role is what is guarded:
      // iam:PassRole cannot cross accounts, and only this account's principals may pass it.
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'Assumed by AWS Backup to restore EC2 instances for ec2-restore-orchestrator',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores'),
      ],
    });
    this.addToPolicy(passRoleTo('ec2.amazonaws.com', props.instanceRoleArns, props));
    // Since v25 (2025-11) the managed restore policy itself allows iam:PassRole on every role to
    // EC2, EKS and Backup (aws-facts §C), which would make the statement above decorative. An
    // explicit Deny wins over any Allow: this role may pass the configured instance roles and
    // nothing else, whatever AWS adds to the managed policy later.
    this.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PassOnlyTheConfiguredInstanceRoles',
        effect: iam.Effect.DENY,
        actions: ['iam:PassRole'],
        notResources: [...props.instanceRoleArns],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSBackupServiceRolePolicyForRestores is the policy AWS Backup documents for restores and keeps current; its broad iam:PassRole is cut down by the explicit Deny on this role.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
          ],
        },
        ...instanceRolePatternSuppressions(props.instanceRoleArns),
      ],
      true,
    );
  }
}
