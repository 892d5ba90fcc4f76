import { restoreRequestJsonSchema, TEST_MODE_RESTRICTIONS } from '@infra/constructs/restore-api';
import { RestoreRequestSchema } from '@shared/restore-request';
import Ajv from 'ajv';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { statementsOfRole, synthApp } from './synth';

const { orchestrator: stack } = synthApp({ apiThrottlingRateLimit: '7', apiThrottlingBurstLimit: '14' });
const template = Template.fromStack(stack);
const api = stack.orchestrator.api!;
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const stateMachine = logicalId(stack.orchestrator.stateMachine);

/** A resource's properties as the template gives them (untyped JSON). */
type Properties = ReturnType<Template['findResources']>[string]['Properties'];

/** The methods by `VERB /path`, the path built from the resources' path parts. */
function methods(): Record<string, Properties> {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id === undefined ? undefined : resources[id];
    if (resource === undefined) return ''; // the API's root
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  return Object.fromEntries(
    Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => [
      `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`,
      m.Properties,
    ]),
  );
}

function method(key: string) {
  const found = methods()[key];
  if (found === undefined)
    throw new Error(`no method ${key}; there are ${Object.keys(methods()).join(', ')}`);
  return found;
}

/** The template text of a Fn::Join'ed or plain string, with tokens shown as <Ref>. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const parts = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
}

describe('restore API', () => {
  it('has a start and a read path per mode, and no path that takes the mode from the body alone', () => {
    expect(Object.keys(methods()).sort()).toEqual([
      'GET /restores/recovery/{executionName}',
      'GET /restores/test/{executionName}',
      'POST /restores/recovery',
      'POST /restores/test',
    ]);
  });

  it('requires IAM (SigV4) authorisation on every method', () => {
    for (const m of Object.values(methods())) expect(m.AuthorizationType).toBe('AWS_IAM');
  });

  it('throttles every method of the stage with the configured limits', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 7,
          ThrottlingBurstLimit: 14,
        }),
      ],
    });
  });

  it('writes JSON access logs to a log group, logs errors without bodies, and traces', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: {
        // The log group's ARN without the `:*` that its Arn attribute ends in, which API Gateway
        // stores without (@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard).
        DestinationArn: {
          'Fn::Join': [
            '',
            [
              'arn:aws:logs:us-east-1:123456789012:log-group:',
              { Ref: logicalId(api.node.findChild('AccessLogs')) },
            ],
          ],
        },
        Format: Match.stringLikeRegexp('requestId'),
      },
      MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false })],
      TracingEnabled: true,
    });
  });

  it.each(['test', 'recovery'])(
    "starts an execution of this state machine from POST /restores/%s, with the body validated by that mode's model",
    (mode) => {
      const post = method(`POST /restores/${mode}`);
      const model = api.api.node.findChild(`RestoreRequest${mode === 'test' ? 'Test' : 'Recovery'}`);

      expect(post.Integration).toMatchObject({ Type: 'AWS', PassthroughBehavior: 'NEVER' });
      expect(text(post.Integration.Uri)).toMatch(/:states:action\/StartExecution$/);
      expect(JSON.stringify(post.Integration.RequestTemplates)).toContain(`{"Ref":"${stateMachine}"}`);
      expect(post.RequestModels).toEqual({ 'application/json': { Ref: logicalId(model) } });
      expect(post.RequestValidatorId).toEqual({ Ref: expect.stringMatching(/Validator/) });
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        Name: `RestoreRequest${mode === 'test' ? 'Test' : 'Recovery'}`,
        ContentType: 'application/json',
      });
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
    },
  );

  it.each([
    ['test', 'api-test-'],
    ['recovery', 'api-recovery-'],
  ])('forces mode %s into the input and names the execution %s…', (mode, prefix) => {
    const start = text(method(`POST /restores/${mode}`).Integration.RequestTemplates['application/json']);

    // mode is added when the body has none; the model allows no other value.
    expect(start).toContain(
      `#if("$!input.path('$.mode')" == "")#set($body = $body.replaceFirst('^\\s*\\{', '{"mode":"${mode}",'))#end`,
    );
    expect(start).toContain(`"input": "$util.escapeJavaScript($body)`);
    expect(start).toContain(
      `"name": "${prefix}#if("$!name" != "")$util.escapeJavaScript($name)#{else}$context.requestId#end"`,
    );
  });

  it.each([
    ['test', 'api-test-'],
    ['recovery', 'api-recovery-'],
  ])(
    'answers GET /restores/%s/{executionName} with DescribeExecution of %s… executions only',
    (mode, prefix) => {
      const get = method(`GET /restores/${mode}/{executionName}`);

      expect(get.RequestParameters).toEqual({ 'method.request.path.executionName': true });
      expect(text(get.Integration.Uri)).toMatch(/:states:action\/DescribeExecution$/);
      expect(text(get.Integration.RequestTemplates['application/json'])).toBe(
        [
          `#set($name = $input.params('executionName'))`,
          `#if($name.startsWith('${prefix}'))#set($name = $name.substring(${prefix.length}))#end`,
          `{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:<token>:${prefix}$util.escapeJavaScript($name)"}`,
        ].join('\n'),
      );
    },
  );

  it('maps an unknown execution name to 404 and returns the output as JSON', () => {
    for (const mode of ['test', 'recovery']) {
      const responses = method(`GET /restores/${mode}/{executionName}`).Integration.IntegrationResponses as {
        StatusCode: string;
        ResponseTemplates: Record<string, string>;
      }[];
      const byStatus = Object.fromEntries(
        responses.map((r) => [r.StatusCode, r.ResponseTemplates['application/json']]),
      );

      expect(byStatus['400']).toContain('ExecutionDoesNotExist');
      expect(byStatus['400']).toContain('$context.responseOverride.status = 404');
      expect(byStatus['200']).toContain('"output": #if("$!output" != "")$output#{else}null#end');
    }
  });

  it('lets API Gateway start this state machine and describe only its api-test- and api-recovery- executions', () => {
    const statements = statementsOfRole(template, logicalId(api.role));

    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachine } },
      {
        Effect: 'Allow',
        Action: 'states:DescribeExecution',
        Resource: [expect.anything(), expect.anything()],
      },
      // The state machine's execution data is encrypted with the orchestrator's key.
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^OrchestratorEncryptionKey/), 'Arn'] },
        Condition: {
          StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': { Ref: stateMachine } },
        },
      },
    ]);
    // execution:<this state machine's name>:api-<mode>-*, the name taken from its ARN
    expect((statements[1]!.Resource as unknown[]).map(text).sort()).toEqual([
      'arn:aws:states:us-east-1:123456789012:execution:<token>:api-recovery-*',
      'arn:aws:states:us-east-1:123456789012:execution:<token>:api-test-*',
    ]);
    expect(JSON.stringify(statements[1]!.Resource)).toContain(`{"Ref":"${stateMachine}"}`);
  });

  it('grants callers execute-api:Invoke per mode: the start and the reads of that mode only', () => {
    // A fresh app: the shared one is synthesised already.
    const { orchestrator: own } = synthApp({});
    const tester = new iam.Role(own, 'RestoreTester', { assumedBy: new iam.AccountRootPrincipal() });
    own.orchestrator.api!.grantInvoke(tester, ['test']);
    const [statement] = statementsOfRole(
      Template.fromStack(own),
      own.getLogicalId(tester.node.defaultChild as CfnElement),
    );

    expect(statement!.Action).toBe('execute-api:Invoke');
    expect((statement!.Resource as unknown[]).map(text).sort()).toEqual([
      'arn:aws:execute-api:us-east-1:123456789012:<token>/v1/GET/restores/test/*',
      'arn:aws:execute-api:us-east-1:123456789012:<token>/v1/POST/restores/test',
    ]);
  });

  it('answers a rejected body with the validation errors', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('validationErrorString') },
    });
  });

  it('can be left out', () => {
    const { orchestrator: withoutApi } = synthApp({ deployApi: 'false' });

    Template.fromStack(withoutApi).resourceCountIs('AWS::ApiGateway::RestApi', 0);
  });
});

describe('request models', () => {
  const schema = restoreRequestJsonSchema();
  const models = { test: restoreRequestJsonSchema('test'), recovery: restoreRequestJsonSchema('recovery') };
  /**
   * API Gateway validates with draft-04; ajv (here through asl-validator) reads draft-07, which
   * treats every keyword these models use (type, enum, pattern, properties, additionalProperties,
   * anyOf, required, min/max) the same way, so it shows which bodies the gateway answers with 400.
   * (Formats, restorePointBefore's date-time, are not checked here.)
   */
  const accepts = (model: Record<string, unknown>) => {
    const { $schema: _, ...rest } = model;
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(rest);
    return (body: unknown) => validate(body);
  };
  const target = { instanceId: 'i-0123456789abcdef0' };

  it('are JSON Schema draft-04, the only draft API Gateway accepts', () => {
    for (const model of [schema, models.test, models.recovery]) {
      expect(model.$schema).toBe('http://json-schema.org/draft-04/schema#');
    }
  });

  it('have every field of the contract schema and reject unknown ones', () => {
    for (const model of [schema, models.test, models.recovery]) {
      expect(Object.keys(model.properties as object).sort()).toEqual(
        Object.keys(RestoreRequestSchema.shape).sort(),
      );
      expect(model.additionalProperties).toBe(false);
    }
  });

  it('require one of instanceId, resourceArn and recoveryPointArn, and no field that has a default', () => {
    expect(schema.anyOf).toEqual([
      { required: ['instanceId'] },
      { required: ['resourceArn'] },
      { required: ['recoveryPointArn'] },
    ]);
    expect(schema.required ?? []).toEqual([]);
    expect(accepts(models.test)({ mode: 'test' })).toBe(false);
  });

  it('carry no Unicode property pattern that the gateway might read differently', () => {
    expect(JSON.stringify(schema)).not.toContain('\\\\p{');
    expect(JSON.stringify(schema)).toContain('^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$');
  });

  it("allow only the path's mode, or none", () => {
    expect(accepts(models.test)(target)).toBe(true);
    expect(accepts(models.test)({ ...target, mode: 'test' })).toBe(true);
    expect(accepts(models.test)({ ...target, mode: 'recovery' })).toBe(false);
    expect(accepts(models.recovery)({ ...target, mode: 'recovery' })).toBe(true);
    expect(accepts(models.recovery)({ ...target, mode: 'test' })).toBe(false);
  });

  it.each([
    ['publicIp "always"', { publicIp: 'always' }],
    ['instanceProfile "passrole"', { instanceProfile: 'passrole' }],
    ['overrides.requireImdsV2 false', { overrides: { requireImdsV2: false } }],
  ])('refuse %s on the test path and allow it on the recovery path', (_what, fields) => {
    expect(accepts(models.test)({ ...target, ...fields })).toBe(false);
    expect(accepts(models.recovery)({ ...target, ...fields })).toBe(true);
  });

  it('allow on the test path what does not widen exposure', () => {
    const valid = accepts(models.test);

    for (const publicIp of ['auto', 'never']) expect(valid({ ...target, publicIp })).toBe(true);
    for (const instanceProfile of ['reattach', 'none'])
      expect(valid({ ...target, instanceProfile })).toBe(true);
    expect(
      valid({ ...target, overrides: { requireImdsV2: true, subnetId: 'subnet-0aaaaaaaaaaaaaaaa' } }),
    ).toBe(true);
    expect(valid({ ...target, overrides: {} })).toBe(true);
  });

  it('say why each test-path restriction exists, and restrict nothing else than the recovery model', () => {
    expect(TEST_MODE_RESTRICTIONS.map((r) => [r.path.join('.'), r.allowed])).toEqual([
      ['publicIp', ['auto', 'never']],
      ['instanceProfile', ['reattach', 'none']],
      ['overrides.requireImdsV2', [true]],
    ]);
    for (const restriction of TEST_MODE_RESTRICTIONS) expect(restriction.why.length).toBeGreaterThan(40);
    const {
      mode: _t,
      publicIp: _p,
      instanceProfile: _i,
      overrides: testOverrides,
      ...testRest
    } = models.test.properties as Record<string, Record<string, unknown>>;
    const {
      mode: _r,
      publicIp: _p2,
      instanceProfile: _i2,
      overrides: recoveryOverrides,
      ...recoveryRest
    } = models.recovery.properties as Record<string, Record<string, unknown>>;
    expect(testRest).toEqual(recoveryRest);
    const { requireImdsV2: _a, ...testOverrideRest } = testOverrides!.properties as object as Record<
      string,
      unknown
    >;
    const { requireImdsV2: _b, ...recoveryOverrideRest } = recoveryOverrides!.properties as object as Record<
      string,
      unknown
    >;
    expect(testOverrideRest).toEqual(recoveryOverrideRest);
  });
});
