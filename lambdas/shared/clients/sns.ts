/** The SNS client, in its own module so that only the steps that call SNS load its SDK package. */
import { SNSClient } from '@aws-sdk/client-sns';
import { type ClientOptions, clientConfig } from './config';

export const snsClient = (options?: ClientOptions): SNSClient => new SNSClient(clientConfig(options));
