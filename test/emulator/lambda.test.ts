/**
 * Lambda Invoke on the emulator over the real SDK client: the function registry
 * (`emulator.functions`), results, handler errors as Lambda reports them (FunctionError), an
 * unknown function, and the invocation types.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type Emulator, FAKE_CREDENTIALS, startEmulator } from '@local/emulator';
import { demoScenario } from '@test/helpers/scenarios';

let emulator: Emulator;
let lambda: LambdaClient;
const seen: unknown[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ scenario: demoScenario() });
  lambda = new LambdaClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
  });
  emulator.functions.register('echo', async (payload) => {
    seen.push(payload);
    return { got: payload };
  });
  emulator.functions.register('fails', async () => {
    class ProbeTimeoutError extends Error {
      override readonly name = 'ProbeTimeoutError';
    }
    throw new ProbeTimeoutError('connect to 127.1.1.10:2222 timed out');
  });
});

afterAll(async () => {
  lambda?.destroy();
  await emulator?.stop();
});

const json = (payload: Uint8Array | undefined) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

describe('Lambda Invoke', () => {
  it('runs a registered function synchronously with the JSON payload and returns its result', async () => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'echo',
        Payload: Buffer.from(JSON.stringify({ host: '127.0.0.1' })),
      }),
    );

    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(json(out.Payload)).toEqual({ got: { host: '127.0.0.1' } });
  });

  it('takes the function by ARN and by partial ARN, and an empty payload as {}', async () => {
    const arn = `arn:aws:lambda:${emulator.region}:${emulator.accountId}:function:echo`;
    const byArn = await lambda.send(new InvokeCommand({ FunctionName: arn }));
    const byPartial = await lambda.send(
      new InvokeCommand({ FunctionName: `${emulator.accountId}:function:echo:$LATEST` }),
    );

    expect(json(byArn.Payload)).toEqual({ got: {} });
    expect(json(byPartial.Payload)).toEqual({ got: {} });
  });

  it('reports a handler error as FunctionError Unhandled with the runtime error document, not an API error', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'fails', Payload: Buffer.from('{}') }));

    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(json(out.Payload)).toMatchObject({
      errorType: 'ProbeTimeoutError',
      errorMessage: 'connect to 127.1.1.10:2222 timed out',
      trace: expect.any(Array),
    });
  });

  it('answers ResourceNotFoundException for an unknown function or version', async () => {
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'ec2-restore-ssh-probe-vpc-0123456789abcdef0' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
      message: expect.stringContaining(
        `arn:aws:lambda:us-east-1:${emulator.accountId}:function:ec2-restore-ssh-probe-vpc-0123456789abcdef0`,
      ),
    });
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'echo', Qualifier: '7' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('rejects a payload that is not JSON, and honours DryRun and Event', async () => {
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{nope') })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
    });
    const before = seen.length;
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
    expect(seen.length).toBe(before);
    const event = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from('{"n":1}') }),
    );
    expect(event.StatusCode).toBe(202);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.at(-1)).toEqual({ n: 1 });
  });

  it('refuses an invalid function name at registration', () => {
    expect(() => emulator.functions.register('bad name', async () => null)).toThrow(/invalid/);
  });
});
