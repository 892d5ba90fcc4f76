import { restoreRequestJsonSchema } from '@infra/constructs/restore-api';
import { RestoreRequestSchema } from '@shared/restore-request';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { statementsOfRole, synthApp } from './synth';

const { orchestrator: stack } = synthApp({ apiThrottlingRateLimit: '7', apiThrottlingBurstLimit: '14' });
const template = Template.fromStack(stack);
const api = stack.orchestrator.api!;
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const stateMachine = logicalId(stack.orchestrator.stateMachine);

function method(httpMethod: 'POST' | 'GET') {
  const methods = Object.values(
    template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: httpMethod } }),
  );
  expect(methods).toHaveLength(1);
  return methods[0]!.Properties;
}

/** The template text of a Fn::Join'ed or plain string, with tokens shown as <Ref>. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const parts = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
}

describe('restore API', () => {
  it('requires IAM (SigV4) authorisation on every method', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));

    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(['GET', 'POST']);
    for (const m of methods) expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
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

  it('starts an execution of this state machine from POST /restores, with the body validated by the contract model', () => {
    const post = method('POST');

    expect(post.Integration).toMatchObject({ Type: 'AWS', PassthroughBehavior: 'NEVER' });
    expect(text(post.Integration.Uri)).toMatch(/:states:action\/StartExecution$/);
    expect(JSON.stringify(post.Integration.RequestTemplates)).toContain(`{"Ref":"${stateMachine}"}`);
    expect(post.RequestModels).toEqual({
      'application/json': { Ref: logicalId(api.api.node.findChild('RestoreRequest')) },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  it('answers GET /restores/{executionName} with DescribeExecution on an execution of this state machine', () => {
    const get = method('GET');

    expect(get.RequestParameters).toEqual({ 'method.request.path.executionName': true });
    expect(text(get.Integration.Uri)).toMatch(/:states:action\/DescribeExecution$/);
    expect(text(get.Integration.RequestTemplates['application/json'])).toBe(
      `{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:<token>:$util.escapeJavaScript($input.params('executionName'))"}`,
    );
  });

  it('maps an unknown execution name to 404 and returns the output as JSON', () => {
    const responses = method('GET').Integration.IntegrationResponses as {
      StatusCode: string;
      ResponseTemplates: Record<string, string>;
    }[];
    const byStatus = Object.fromEntries(
      responses.map((r) => [r.StatusCode, r.ResponseTemplates['application/json']]),
    );

    expect(byStatus['400']).toContain('ExecutionDoesNotExist');
    expect(byStatus['400']).toContain('$context.responseOverride.status = 404');
    expect(byStatus['200']).toContain('"output": #if("$!output" != "")$output#{else}null#end');
  });

  it('lets API Gateway start this state machine and describe its executions, and nothing else', () => {
    const statements = statementsOfRole(template, logicalId(api.role));

    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachine } },
      { Effect: 'Allow', Action: 'states:DescribeExecution', Resource: expect.anything() },
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
    // execution:<this state machine's name>:*, the name taken from its ARN
    expect(text(statements[1]!.Resource)).toBe('arn:aws:states:us-east-1:123456789012:execution:<token>:*');
    expect(JSON.stringify(statements[1]!.Resource)).toContain(`{"Ref":"${stateMachine}"}`);
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

describe('request model', () => {
  const schema = restoreRequestJsonSchema();

  it('is JSON Schema draft-04, the only draft API Gateway accepts', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  });

  it('has every field of the contract schema and rejects unknown ones', () => {
    expect(Object.keys(schema.properties as object).sort()).toEqual(
      Object.keys(RestoreRequestSchema.shape).sort(),
    );
    expect(schema.additionalProperties).toBe(false);
  });

  it('requires one of instanceId, resourceArn and recoveryPointArn, and no field that has a default', () => {
    expect(schema.anyOf).toEqual([
      { required: ['instanceId'] },
      { required: ['resourceArn'] },
      { required: ['recoveryPointArn'] },
    ]);
    expect(schema.required ?? []).toEqual([]);
  });

  it('carries no Unicode property pattern that the gateway might read differently', () => {
    expect(JSON.stringify(schema)).not.toContain('\\\\p{');
    expect(JSON.stringify(schema)).toContain('^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$');
  });
});
