import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * The topic for restore outcomes (the report step publishes to it) and the execution alarms, TLS
 * only. It is not encrypted at rest: alarms cannot publish to the AWS-managed aws/sns key, so a
 * deployment that wants encryption brings its own topic and key.
 */
export class NotificationTopic extends sns.Topic {
  constructor(scope: Construct, id: string) {
    super(scope, id, { displayName: 'EC2 restore outcomes', enforceSSL: true });
    NagSuppressions.addResourceSuppressions(this, [
      {
        id: 'AwsSolutions-SNS2',
        reason:
          'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key, and the messages (instance ids, statuses, timings) hold no secrets. Pass notificationTopic to use a topic encrypted with your own key.',
      },
    ]);
  }
}
