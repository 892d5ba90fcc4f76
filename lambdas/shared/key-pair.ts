/** Key pair name → key pair id → the SSM parameter that holds its private key (CloudFormation's convention). */
import { DescribeKeyPairsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode } from './errors';

export async function findKeyPairId(ec2: EC2Client, keyName: string): Promise<string | null> {
  try {
    const result = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    return result.KeyPairs?.find((k) => k.KeyName === keyName)?.KeyPairId ?? null;
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidKeyPair.NotFound') return null;
    throw error;
  }
}

/** `/ec2/keypair/<KeyPairId>` unless the request names its own parameter. */
export function privateKeyParameterName(prefix: string, keyPairId: string, override: string | null): string {
  return override ?? `${prefix}${keyPairId}`;
}
