/** The EC2 client, in its own module so that only the steps that call EC2 load its SDK package. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { type ClientOptions, clientConfig } from './config';

export const ec2Client = (options?: ClientOptions): EC2Client => new EC2Client(clientConfig(options));
