/**
 * SNS as far as the stack's functions use it: Publish to the stack's own topics (AWS Query
 * protocol, API version 2010-03-31). Messages are kept, so a rehearsal or a test can read what the
 * janitor (or anything else) notified. Publishing to a topic the emulator does not know is
 * NotFound (404), as in AWS; a subject over 100 characters or a message over 256 KB is
 * InvalidParameter.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error';
import type { ParsedOperation, ServiceAdapter, WireRequest, WireResponse } from '../services/service';
import { document, node, queryErrorResponse, queryParameters, text } from '../services/xml';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const XML_HEADERS = { 'content-type': 'text/xml' } as const;
export const SNS_API_VERSION = '2010-03-31';
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject: string | undefined;
  readonly message: string;
  readonly publishedAt: Date;
}

export class SnsTopics implements ServiceAdapter {
  readonly service = 'sns' as const;
  readonly messages: PublishedMessage[] = [];
  private readonly topics = new Set<string>();

  constructor(private readonly now: () => Date) {}

  addTopic(arn: string): void {
    this.topics.add(arn);
  }

  parse(request: WireRequest): ParsedOperation {
    const params = queryParameters(request);
    const action = params.get('Action');
    if (action !== 'Publish') {
      throw new AwsError(
        'InvalidAction',
        `Could not find operation ${action ?? '(none)'} for version ${SNS_API_VERSION}`,
      );
    }
    return { operation: 'Publish', invoke: () => this.publish(params, request) };
  }

  errorResponse(error: AwsError, request: WireRequest): WireResponse {
    return queryErrorResponse(error, request, XMLNS);
  }

  private publish(params: URLSearchParams, request: WireRequest): WireResponse {
    const topicArn = params.get('TopicArn');
    const message = params.get('Message');
    const subject = params.get('Subject') ?? undefined;
    if (!topicArn)
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    if (message === null)
      throw new AwsError('InvalidParameter', 'Invalid parameter: Message Reason: cannot be empty');
    if (subject !== undefined && (subject.length > 100 || subject.length === 0)) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Subject Reason: must be 1 to 100 characters',
      );
    }
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
    }
    if (!this.topics.has(topicArn)) throw new AwsError('NotFound', 'Topic does not exist', 404);
    const messageId = randomUUID();
    this.messages.push({ messageId, topicArn, subject, message, publishedAt: this.now() });
    const body = document(
      'PublishResponse',
      XMLNS,
      [
        node('PublishResult', text('MessageId', messageId)),
        node('ResponseMetadata', text('RequestId', request.requestId)),
      ],
      false,
    );
    return { status: 200, headers: { ...XML_HEADERS, 'x-amzn-requestid': request.requestId }, body };
  }
}
