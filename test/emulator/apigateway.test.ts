/**
 * The REST API on the emulator, as the orchestrator stack synthesises it: SigV4 authentication,
 * the request models, and the integration's mapping templates on a Velocity engine calling the
 * emulated Step Functions. Requests are signed here with the SDK's own signer, as any SigV4 client
 * (awscurl, the CLI's --via-api) signs them.
 */
import { escapeJavaScript, renderMappingTemplate } from '@local/apigateway/mapping-template';
import { verifySigV4 } from '@local/apigateway/sigv4-verify';
import { type Emulator, FAKE_CREDENTIALS, startEmulator } from '@local/emulator';
import { NodeSha256 } from '@shared/node-sha256';
import { SignatureV4 } from '@smithy/signature-v4';
import { executionClosed } from '@test/helpers/execution-closed';
import { DEMO, demoScenario } from '@test/helpers/scenarios';

let emulator: Emulator;
let synthSeconds = 0;
const apiLog: string[] = [];

beforeAll(async () => {
  const started = performance.now();
  emulator = await startEmulator({
    scenario: demoScenario(),
    api: true,
    log: (line) => {
      if (line.startsWith('apigateway')) apiLog.push(line);
    },
  });
  synthSeconds = (performance.now() - started) / 1000;
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
});

interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  options: {
    body?: unknown;
    sign?: boolean;
    secret?: string;
    key?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): Promise<ApiResponse> {
  const url = new URL(`${emulator.apiUrl}${path}`);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  let headers: Record<string, string> = {
    host: url.host,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  if (options.sign !== false) {
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: (options.key ?? FAKE_CREDENTIALS).accessKeyId,
        secretAccessKey: options.secret ?? (options.key ?? FAKE_CREDENTIALS).secretAccessKey,
      },
      region: emulator.region,
      service: 'execute-api',
      sha256: NodeSha256,
    });
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body === undefined ? {} : { body }),
    });
    headers = signed.headers as Record<string, string>;
  }
  const { host: _, ...sent } = headers;
  const response = await fetch(url, { method, headers: sent, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // the assertion on `text` says what came back
  }
  return { status: response.status, headers: response.headers, text, json };
}

const target = { instanceId: DEMO.instance, ssh: { port: 2222 } };

describe('REST API on the emulator', () => {
  it('is served under /restapis/<id>/v1/_user_request_, synthesised from the stack once', () => {
    expect(emulator.apiUrl).toMatch(
      new RegExp(`^${emulator.endpoint}/restapis/[a-z0-9]{10}/v1/_user_request_$`),
    );
    // Read once from the stack's template (the one IAM enforcement synthesised), never rebuilt.
    expect(apiLog.filter((line) => /synthesised the orchestrator|read the API from/.test(line))).toHaveLength(
      1,
    );
    // Reported by the task: the synthesis time on this machine (the log line has it too).
    process.stderr.write(
      `emulator start with the API synthesised: ${synthSeconds.toFixed(1)} s; ${apiLog[0]}\n`,
    );
  });

  it('starts a test-mode restore as api-test-NAME that succeeds, and reads it through the response template', async () => {
    const started = await call('POST', '/restores/test?name=first', { body: target });

    expect(started.status).toBe(200);
    expect(started.json).toEqual({
      executionArn: `${emulator.stateMachineArns.restoreInstance.replace(':stateMachine:', ':execution:')}:api-test-first`,
      name: 'api-test-first',
      startDate: expect.any(Number),
    });
    const execution = await emulator.sfn.describeExecution({
      executionArn: String(started.json.executionArn),
    });
    // The template added the path's mode to the body, which became the input unchanged otherwise.
    expect(JSON.parse(execution.input ?? '')).toEqual({ mode: 'test', ...target });
    await executionClosed(emulator, String(started.json.executionArn));

    const read = await call('GET', '/restores/test/api-test-first');
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({
      executionArn: started.json.executionArn,
      name: 'api-test-first',
      status: 'SUCCEEDED',
      startDate: started.json.startDate,
      stopDate: expect.any(Number),
      error: null,
      cause: null,
      output: { status: 'VALIDATED_AND_CLEANED_UP', mode: 'test' },
    });
    // The name without its prefix names the same execution on this path.
    expect((await call('GET', '/restores/test/first')).json.name).toBe('api-test-first');
  });

  it('names an execution after the request id when the query has no name', async () => {
    const started = await call('POST', '/restores/test', { body: { ...target, mode: 'test' } });

    expect(started.status).toBe(200);
    expect(started.json.name).toBe(`api-test-${started.headers.get('x-amzn-requestid')}`);
    await executionClosed(emulator, String(started.json.executionArn));
  });

  it('answers 400 from the model for a recovery-mode body on the test path, and starts nothing', async () => {
    const before = emulator.sfn.listExecutions({
      stateMachineArn: emulator.stateMachineArns.restoreInstance,
    });
    const refused = await call('POST', '/restores/test?name=refused', {
      body: { ...target, mode: 'recovery' },
    });

    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(refused.json).toEqual({
      error: 'InvalidInputError',
      message: 'Invalid request body',
      details: '[instance value ("recovery") not found in enum (possible values: ["test"])]',
    });
    const after = emulator.sfn.listExecutions({ stateMachineArn: emulator.stateMachineArns.restoreInstance });
    expect(after.executions).toHaveLength(before.executions?.length ?? 0);
  });

  it('answers 400 from the model for a body with a field the model does not have', async () => {
    const refused = await call('POST', '/restores/recovery', { body: { ...target, sshPort: 2222 } });

    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      error: 'InvalidInputError',
      message: 'Invalid request body',
      details: '[object instance has properties which are not allowed by the schema: ["sshPort"]]',
    });
  });

  it('refuses what widens a test copy on the test path only', async () => {
    const body = { ...target, publicIp: 'always' };
    expect((await call('POST', '/restores/test', { body })).status).toBe(400);
    const recovery = await call('POST', '/restores/recovery?name=public', { body });
    expect(recovery.status).toBe(200);
    expect(recovery.json.name).toBe('api-recovery-public');
    await executionClosed(emulator, String(recovery.json.executionArn));
  });

  it('refuses an unsigned request as API Gateway does, 403 Missing Authentication Token', async () => {
    const unsigned = await call('POST', '/restores/test', { body: target, sign: false });

    expect(unsigned.status).toBe(403);
    expect(unsigned.json).toEqual({ message: 'Missing Authentication Token' });
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('refuses a request signed with the wrong secret, 403 signature mismatch', async () => {
    const forged = await call('GET', '/restores/test/first', { secret: 'not-the-secret' });

    expect(forged.status).toBe(403);
    expect(forged.json.message).toMatch(
      /^The request signature we calculated does not match the signature you provided/,
    );
    expect(forged.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  describe("the signer's execute-api:Invoke, as IAM decides it", () => {
    const methodArn = (method: string, path: string) =>
      `arn:aws:execute-api:${emulator.region}:123456789012:${new URL(emulator.apiUrl).pathname.split('/')[2]}/v1/${method}${path}`;
    const executions = async () =>
      (await emulator.sfn.listExecutions({ stateMachineArn: emulator.stateMachineArns.restoreInstance }))
        .executions ?? [];

    it("lets the CLI's operator start and read restores of both modes (the Operator policy)", async () => {
      const key = emulator.iam.operator as { accessKeyId: string; secretAccessKey: string };
      const started = await call('POST', '/restores/recovery?name=by-operator', {
        body: { ...target, dryRun: true },
        key,
      });

      expect(started.status).toBe(200);
      await executionClosed(emulator, String(started.json.executionArn));
      expect((await call('GET', '/restores/recovery/by-operator', { key })).json.status).toBe('SUCCEEDED');
    });

    it('refuses the viewer a start, 403 AccessDeniedException naming the method, and starts nothing; it may read', async () => {
      const key = emulator.iam.viewer as { accessKeyId: string; secretAccessKey: string };
      const before = (await executions()).length;

      const refused = await call('POST', '/restores/test?name=by-viewer', { body: target, key });

      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
      expect(refused.json.message).toBe(
        `User: arn:aws:iam::123456789012:user/ec2-restore-viewer is not authorized to perform: execute-api:Invoke on resource: ${methodArn('POST', '/restores/test')} because no identity-based policy allows the execute-api:Invoke action`,
      );
      expect((await executions()).length).toBe(before);
      expect((await call('GET', '/restores/test/never-started', { key })).status).toBe(404);
    });

    it("holds infra/README's restore-tester policy to the test paths", async () => {
      const apiArn = methodArn('', '').replace(/\/v1\/$/, '');
      const key = emulator.iam.enforcer.addKey({
        arn: 'arn:aws:iam::123456789012:user/restore-tester',
        sourceArn: 'arn:aws:iam::123456789012:user/restore-tester',
        policies: [
          {
            name: 'restore-tester',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'RestoreTestsOnly',
                  Effect: 'Allow',
                  Action: 'execute-api:Invoke',
                  Resource: [`${apiArn}/v1/POST/restores/test`, `${apiArn}/v1/GET/restores/test/*`],
                },
              ],
            },
          },
        ],
      });

      const test = await call('POST', '/restores/test?name=by-tester', {
        body: { ...target, dryRun: true },
        key,
      });
      const recovery = await call('POST', '/restores/recovery?name=by-tester', { body: target, key });
      const readRecovery = await call('GET', '/restores/recovery/by-operator', { key });

      expect([test.status, recovery.status, readRecovery.status]).toEqual([200, 403, 403]);
      await executionClosed(emulator, String(test.json.executionArn));
    });
  });

  it('answers an unknown path or method with 403 Missing Authentication Token, signed or not', async () => {
    expect((await call('GET', '/restores')).json).toEqual({ message: 'Missing Authentication Token' });
    expect((await call('POST', '/restores/test/first', { body: target })).status).toBe(403);
  });

  it('answers 404 through the response template for an execution that does not exist', async () => {
    const missing = await call('GET', '/restores/recovery/never-started');

    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      error: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist',
      message: expect.stringContaining('api-recovery-never-started'),
    });
  });

  it('reads on each path only that mode: a test name on the recovery path is another execution', async () => {
    const crossed = await call('GET', '/restores/recovery/api-test-first');

    expect(crossed.status).toBe(404);
    expect(crossed.json.message).toContain('api-recovery-api-test-first');
  });
});

describe('REST API synthesis', () => {
  it('happens on the first API request, not when the emulator starts', async () => {
    const lines: string[] = [];
    const plain = await startEmulator({ scenario: demoScenario(), log: (line) => lines.push(line) });
    try {
      // The IAM enforcement reads the (disk-cached) template at start; the API's own reading waits.
      expect(lines.filter((line) => line.startsWith('apigateway:'))).toEqual([]);
      const response = await fetch(`${plain.apiUrl}/restores/test`, { method: 'POST', body: '{}' });

      expect(response.status).toBe(403);
      expect(lines.filter((line) => line.startsWith('apigateway: '))).toHaveLength(1);
    } finally {
      await plain.stop();
    }
  });
});

describe('mapping templates', () => {
  const params = {
    path: { executionName: 'from-path' },
    querystring: { name: 'from-query' },
    header: { 'X-Trace': 't1' },
  };
  const render = (template: string, body = '{}') =>
    renderMappingTemplate(template, {
      body,
      params,
      context: { requestId: 'r-1', identity: { caller: 'AKIA' } },
    }).output;

  it("escape as Commons Lang's escapeJavaScript, which the documented replaceAll undoes for '", () => {
    expect(escapeJavaScript(`it's "q" / \\ é\n\u0001`)).toBe(`it\\'s \\"q\\" \\/ \\\\ \\u00E9\\n\\u0001`);
    expect(
      render(`$util.escapeJavaScript($input.path('$.s')).replaceAll("\\\\'", "'")`, '{"s":"it\'s"}'),
    ).toBe("it's");
  });

  it('give $input.params() by location and $input.params(x) from path, then query, then header', () => {
    expect(
      render(`$input.params().querystring.get('name') $input.params('name') $input.params('executionName')`),
    ).toBe('from-query from-query from-path');
    expect(render(`[$input.params('x-trace')][$input.params('absent')]`)).toBe('[t1][]');
  });

  it('give $input.json as JSON text, $input.path as a value, and $input.body as sent', () => {
    const body = '{"a": {"b": [1, 2]}, "s": "x"}';
    expect(
      render(`$input.json('$.a') $input.path('$.a.b').size() $input.path('$.s').length() $input.body`, body),
    ).toBe(`{"b":[1,2]} 2 1 ${body}`);
  });

  it('have $util encoders and $context', () => {
    expect(
      render(`$util.base64Encode('hi') $util.urlEncode('a b&c') $context.requestId $context.identity.caller`),
    ).toBe('aGk= a+b%26c r-1 AKIA');
    expect(render(`#set($x = $util.parseJson('{"k":"v"}'))$x.k`)).toBe('v');
  });

  it('read $context.responseOverride.status back after the template', () => {
    const result = renderMappingTemplate('#set($context.responseOverride.status = 404)', {
      body: '',
      params,
      context: {},
    });
    expect(result.responseOverride.status).toBe(404);
  });
});

describe('SigV4 checks', () => {
  const credentials = [{ ...FAKE_CREDENTIALS, arn: 'arn:aws:iam::123456789012:user/emulator' }];
  const signed = async (service: string, region: string, signingDate: Date) => {
    const signer = new SignatureV4({ credentials: FAKE_CREDENTIALS, region, service, sha256: NodeSha256 });
    const request = await signer.sign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: '/x',
        query: {},
        headers: { host: '127.0.0.1:1' },
      },
      { signingDate },
    );
    return {
      method: 'GET',
      path: '/x',
      query: new URLSearchParams(),
      headers: request.headers,
      body: Buffer.alloc(0),
    };
  };

  it('accept a fresh execute-api signature of the known key', async () => {
    expect(
      await verifySigV4(await signed('execute-api', 'us-east-1', new Date()), {
        region: 'us-east-1',
        credentials,
      }),
    ).toEqual({
      ok: true,
      caller: credentials[0],
    });
  });

  it('refuse another service, another Region and an old signature as API Gateway words it', async () => {
    const now = new Date();
    expect(
      await verifySigV4(await signed('states', 'us-east-1', now), { region: 'us-east-1', credentials }),
    ).toMatchObject({
      ok: false,
      message: "Credential should be scoped to correct service: 'execute-api'. ",
    });
    expect(
      await verifySigV4(await signed('execute-api', 'eu-west-1', now), { region: 'us-east-1', credentials }),
    ).toMatchObject({
      ok: false,
      message: 'Credential should be scoped to a valid region. ',
    });
    const old = await signed('execute-api', 'us-east-1', new Date(now.getTime() - 6 * 60_000));
    expect(await verifySigV4(old, { region: 'us-east-1', credentials })).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/),
    });
  });

  it('refuse an unknown key', async () => {
    const request = await signed('execute-api', 'us-east-1', new Date());
    expect(await verifySigV4(request, { region: 'us-east-1', credentials: [] })).toMatchObject({
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });
});
