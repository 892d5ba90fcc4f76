import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
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
 * only, encrypted with the orchestrator's customer-managed key unless the deployment declined one
 * (kmsKey=none): alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key.
 * Its messages are restore outputs (instance ids, addresses, statuses, failure causes), never user
 * data or key material. (The AwsSolutions pack of cdk-nag 2.38 has no SNS2 rule, so nothing is
 * suppressed here either way.)
 */
export class NotificationTopic extends sns.Topic {
  constructor(scope: Construct, id: string, props: NotificationTopicProps = {}) {
    super(scope, id, { displayName: 'EC2 restore outcomes', enforceSSL: true, masterKey: props.masterKey });
  }
}
