/** The Step Functions client, in its own module like the step clients (lambdas/shared/clients). */
import { SFNClient } from '@aws-sdk/client-sfn';
import { type ClientOptions, clientConfig } from '@shared/clients/config';

export const sfnClient = (options?: ClientOptions): SFNClient => new SFNClient(clientConfig(options));
