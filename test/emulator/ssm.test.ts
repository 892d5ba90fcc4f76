/**
 * The SSM Parameter Store adapter on the wire: the unmodified SDK v3 client, raw awsJson1_1
 * requests and the AWS CLI against the emulator's front door.
 */
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { BackupAdapter } from '@local/services/backup';
import { SsmAdapter } from '@local/services/ssm';
import { awsCli } from '@test/helpers/aws-cli';
import { awsFailure } from '@test/helpers/failure';
import { clientConfig, type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import { parseableEd25519Key } from '@test/helpers/ssh-keys';

const KEY_PARAMETER = `/ec2/keypair/${DEMO.keyPairId}`;
const KEY_PARAMETER_ARN = `arn:aws:ssm:us-east-1:123456789012:parameter/ec2/keypair/${DEMO.keyPairId}`;
const PRIVATE_KEY = parseableEd25519Key();

let door: FrontDoor;
let ssm: SSMClient;

beforeAll(async () => {
  const scenario = demoScenario({
    keyPairs: [{ name: DEMO.keyName, id: DEMO.keyPairId, privateKey: PRIVATE_KEY }],
  });
  door = await startFrontDoor(scenario, (world) => ({
    backup: new BackupAdapter(world),
    ssm: new SsmAdapter(world),
  }));
  ssm = new SSMClient(clientConfig(door.endpoint));
});
afterAll(() => door.stop());

/** A raw awsJson1_1 call with the given target and body text. */
async function rawSsm(
  target: string,
  body: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(door.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('SSM adapter: GetParameter', () => {
  it("returns a key pair's private key, decrypted, with SSM's parameter fields", async () => {
    const out = await ssm.send(new GetParameterCommand({ Name: KEY_PARAMETER, WithDecryption: true }));

    expect(out.Parameter).toMatchObject({
      Name: KEY_PARAMETER,
      Type: 'SecureString',
      Value: PRIVATE_KEY,
      Version: 1,
      ARN: KEY_PARAMETER_ARN,
      DataType: 'text',
    });
    expect(out.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    expect(out.Parameter?.Selector).toBeUndefined();
  });

  it('returns ciphertext, never the plaintext, for a SecureString read without decryption', async () => {
    const first = await ssm.send(new GetParameterCommand({ Name: KEY_PARAMETER }));
    const second = await ssm.send(new GetParameterCommand({ Name: KEY_PARAMETER, WithDecryption: false }));

    const value = first.Parameter?.Value ?? '';
    expect(value).toMatch(/^AQICAH[A-Za-z0-9+/]+=*$/);
    expect(value).not.toContain('PRIVATE KEY');
    expect(Buffer.from(value, 'base64').toString('latin1')).not.toContain(
      PRIVATE_KEY.split('\n')[1] ?? PRIVATE_KEY,
    );
    expect(second.Parameter?.Value).toBe(value);
    expect(first.Parameter?.Type).toBe('SecureString');
  });

  it('finds a parameter by its ARN and by a name:version selector', async () => {
    const byArn = await ssm.send(new GetParameterCommand({ Name: KEY_PARAMETER_ARN, WithDecryption: true }));
    const byVersion = await ssm.send(
      new GetParameterCommand({ Name: `${KEY_PARAMETER}:1`, WithDecryption: true }),
    );
    const wrongVersion = await awsFailure(ssm.send(new GetParameterCommand({ Name: `${KEY_PARAMETER}:7` })));

    expect(byArn.Parameter).toMatchObject({ Name: KEY_PARAMETER, Value: PRIVATE_KEY });
    expect(byVersion.Parameter).toMatchObject({ Name: KEY_PARAMETER, Selector: ':1', Version: 1 });
    expect(wrongVersion).toMatchObject({ name: 'ParameterVersionNotFound', status: 400 });
  });

  it('answers an unknown name with 400 ParameterNotFound in the awsJson error envelope', async () => {
    const sdk = await awsFailure(
      ssm.send(new GetParameterCommand({ Name: '/ec2/keypair/key-0000000000000000f' })),
    );
    const raw = await rawSsm('AmazonSSM.GetParameter', JSON.stringify({ Name: '/nope' }));

    expect(sdk).toMatchObject({ name: 'ParameterNotFound', status: 400 });
    expect(raw.status).toBe(400);
    expect(raw.json).toEqual({ __type: 'ParameterNotFound', message: expect.stringContaining('/nope') });
  });
});

describe('SSM adapter: PutParameter', () => {
  it('creates a parameter, overwrites it as a new version, and refuses to overwrite without Overwrite', async () => {
    const created = await ssm.send(
      new PutParameterCommand({ Name: '/app/greeting', Value: 'hello', Type: 'String' }),
    );
    const refused = await awsFailure(
      ssm.send(new PutParameterCommand({ Name: '/app/greeting', Value: 'hi', Type: 'String' })),
    );
    const overwritten = await ssm.send(
      new PutParameterCommand({ Name: '/app/greeting', Value: 'hi', Overwrite: true }),
    );
    const read = await ssm.send(new GetParameterCommand({ Name: '/app/greeting' }));

    expect(created).toMatchObject({ Version: 1, Tier: 'Standard' });
    expect(refused).toMatchObject({ name: 'ParameterAlreadyExists', status: 400 });
    expect(overwritten).toMatchObject({ Version: 2, Tier: 'Standard' });
    expect(read.Parameter).toMatchObject({
      Name: '/app/greeting',
      Type: 'String',
      Value: 'hi',
      Version: 2,
      ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/app/greeting',
    });
  });

  it('requires a type to create a parameter (ValidationException)', async () => {
    const error = await awsFailure(ssm.send(new PutParameterCommand({ Name: '/app/untyped', Value: 'x' })));

    expect(error).toMatchObject({ name: 'ValidationException', status: 400 });
  });
});

describe('SSM adapter: awsJson1_1 wire protocol', () => {
  it('answers a target it does not know with 400 UnknownOperationException', async () => {
    const unknown = await rawSsm('AmazonSSM.GetParameterz', '{}');
    const other = await rawSsm('AmazonSSM.DeleteParameter', JSON.stringify({ Name: KEY_PARAMETER }));

    expect(unknown).toMatchObject({ status: 400, json: { __type: 'UnknownOperationException' } });
    expect(other).toMatchObject({ status: 400, json: { __type: 'UnknownOperationException' } });
    expect(door.world.ssm.parameters.has(KEY_PARAMETER)).toBe(true);
  });

  it('answers a body that is not JSON with 400 SerializationException', async () => {
    const response = await rawSsm('AmazonSSM.GetParameter', '{"Name": ');

    expect(response).toMatchObject({ status: 400, json: { __type: 'SerializationException' } });
  });

  it('answers a request without Name with 400 ValidationException', async () => {
    const response = await rawSsm('AmazonSSM.GetParameter', '{}');

    expect(response).toMatchObject({ status: 400, json: { __type: 'ValidationException' } });
  });
});

describe('SSM adapter: AWS CLI (botocore)', () => {
  it('gets the decrypted private key with --with-decryption and reports ParameterNotFound', async () => {
    const [found, missing] = await Promise.all([
      awsCli(door.endpoint, ['ssm', 'get-parameter', '--name', KEY_PARAMETER, '--with-decryption']),
      awsCli(door.endpoint, ['ssm', 'get-parameter', '--name', '/nope']),
    ]);

    expect(found).toMatchObject({ code: 0, stderr: '' });
    const parameter = (JSON.parse(found.stdout) as { Parameter: Record<string, unknown> }).Parameter;
    expect(parameter).toMatchObject({
      Name: KEY_PARAMETER,
      Type: 'SecureString',
      Value: PRIVATE_KEY,
      Version: 1,
      ARN: KEY_PARAMETER_ARN,
      LastModifiedDate: expect.any(Number),
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'An error occurred (ParameterNotFound) when calling the GetParameter operation',
    );
  });
});
