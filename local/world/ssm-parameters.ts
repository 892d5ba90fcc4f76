/** SSM Parameter Store: where key pairs' private keys live (`/ec2/keypair/<KeyPairId>`). */
import { AwsError } from '../aws-error';
import type { SimulatedClock } from '../clock';

export interface Parameter {
  readonly name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModified: Date;
}

export class SsmParameters {
  readonly parameters = new Map<string, Parameter>();

  constructor(private readonly clock: SimulatedClock) {}

  putParameter(name: string, type: Parameter['type'], value: string, overwrite: boolean): number {
    const existing = this.parameters.get(name);
    if (existing && !overwrite)
      throw new AwsError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, { name, type, value, version, lastModified: this.clock.now() });
    return version;
  }

  getParameter(name: string): Parameter {
    const parameter = this.parameters.get(name.trim());
    if (!parameter) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return parameter;
  }
}
