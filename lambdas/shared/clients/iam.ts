/** The IAM client, in its own module so that only the steps that call IAM load its SDK package. */
import { IAMClient } from '@aws-sdk/client-iam';
import { type ClientOptions, clientConfig } from './config';

export const iamClient = (options?: ClientOptions): IAMClient => new IAMClient(clientConfig(options));
