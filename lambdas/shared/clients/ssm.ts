/** The SSM client, in its own module so that only the steps that call SSM load its SDK package. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { type ClientOptions, clientConfig } from './config';

export const ssmClient = (options?: ClientOptions): SSMClient => new SSMClient(clientConfig(options));
