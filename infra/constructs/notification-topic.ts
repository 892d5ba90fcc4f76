import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

export interface NotificationTopicProps {
  /**
   * Customer-managed key to encrypt the topic with. Its policy must let cloudwatch.amazonaws.com
   * use it (kms:Decrypt, kms:GenerateDataKey*), or the alarms cannot publish (EncryptionKey does).
   * @default not encrypted at rest
   */
  readonly masterKey?: kms.IKey;
}

/**
 * The topic for restore outcomes (the report step publishes to it) and the execution alarms, TLS
 * only, encrypted with the orchestrator's customer-managed key unless the deployment declined one:
 * alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key.
 */
export class NotificationTopic extends sns.Topic {
  constructor(scope: Construct, id: string, props: NotificationTopicProps = {}) {
    super(scope, id, { displayName: 'EC2 restore outcomes', enforceSSL: true, masterKey: props.masterKey });
    if (!props.masterKey) {
      NagSuppressions.addResourceSuppressions(this, [
        {
          id: 'AwsSolutions-SNS2',
          reason:
            'Not encrypted at rest because the deployment set kmsKey=none, and CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key. Its messages are restore outputs: instance ids, IP addresses, statuses and failure causes, never user data or key material.',
        },
      ]);
    }
  }
}
