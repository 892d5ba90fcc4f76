/** The Lambda client, in its own module so that only check-ssh (which invokes the probes) loads it. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type ClientOptions, clientConfig } from './config';

export const lambdaClient = (options?: ClientOptions): LambdaClient =>
  new LambdaClient(clientConfig(options));
