import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * The customer-managed key of the orchestrator: the notifications topic, both state machines
 * (definition and execution data) and their log groups. Rotated yearly, retained on delete (data
 * encrypted with it outlives the stack: the log groups are kept too).
 *
 * Its policy adds to the account's own statement what the services need that act on their own:
 * CloudWatch alarms, which publish to the encrypted topic as cloudwatch.amazonaws.com and cannot
 * use the AWS-managed aws/sns key, and CloudWatch Logs, which encrypts the log groups of this
 * account and region only. Step Functions' log delivery is added by the state machines
 * (aws-cdk-lib). A key given by ARN needs the same statements in its own policy (infra/README.md).
 */
export class EncryptionKey extends kms.Key {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description: 'ec2-restore-orchestrator: notifications topic, state machines and their logs',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const { account, region, partition } = Stack.of(this);
    // No condition: which source keys CloudWatch sets when an alarm publishes is unconfirmed, and
    // a wrong one would silence every alarm. Another account's alarm still cannot publish: the
    // topic's policy does not let it.
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
  }
}
