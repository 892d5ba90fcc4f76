/**
 * The REST API as the synthesised template defines it (AWS::ApiGateway::RestApi, Resource,
 * Method, Model, RequestValidator, GatewayResponse, Stage), with the template's intrinsic
 * functions resolved against the emulator: the state machines' Refs become the emulated state
 * machines' ARNs, pseudo parameters the emulator's Region and account.
 */
import { intrinsicResolver } from '../cloudformation-intrinsics';
import type { CloudFormationTemplate } from './synthesised-api';

export interface IntegrationResponse {
  /** For AWS integrations, matched against the backend's HTTP status; absent = the default. */
  readonly selectionPattern?: string;
  readonly statusCode: string;
  readonly responseTemplates: Readonly<Record<string, string>>;
}

export interface MethodDefinition {
  readonly httpMethod: string;
  /** `/restores/test/{executionName}`, what `$context.resourcePath` gives. */
  readonly resourcePath: string;
  readonly authorizationType: string;
  readonly validateBody: boolean;
  readonly validateParameters: boolean;
  /** Content type → JSON Schema. */
  readonly requestModels: Readonly<Record<string, Record<string, unknown>>>;
  /** `method.request.querystring.name` → required. */
  readonly requestParameters: Readonly<Record<string, boolean>>;
  readonly integration: {
    readonly type: string;
    /** `arn:aws:apigateway:<region>:states:action/StartExecution`. */
    readonly uri: string;
    readonly credentials?: string;
    readonly passthroughBehavior: string;
    readonly requestTemplates: Readonly<Record<string, string>>;
    readonly responses: readonly IntegrationResponse[];
  };
}

export interface GatewayResponseDefinition {
  readonly statusCode?: string;
  readonly templates: Readonly<Record<string, string>>;
}

export interface RestApiDefinition {
  readonly stage: string;
  readonly methods: readonly MethodDefinition[];
  /** By response type (`BAD_REQUEST_BODY`, …): the API's own, over API Gateway's defaults. */
  readonly gatewayResponses: Readonly<Record<string, GatewayResponseDefinition>>;
}

export interface ResolveEnvironment {
  readonly region: string;
  readonly accountId: string;
  /** Stack output name → the emulated resource's value, e.g. `StateMachineArn` → its ARN. */
  readonly outputs: Readonly<Record<string, string>>;
}

type Props = Record<string, unknown>;

export function readRestApi(template: CloudFormationTemplate, env: ResolveEnvironment): RestApiDefinition {
  const resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const apis = ofType('AWS::ApiGateway::RestApi');
  if (apis.length !== 1) throw new Error(`expected one AWS::ApiGateway::RestApi, found ${apis.length}`);
  const resolve = resolver(template, env);

  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id === undefined ? undefined : resources[id];
    if (resource === undefined) return ''; // Fn::GetAtt RootResourceId: the API's root
    const props = resource.Properties as Props;
    return `${pathOf(props.ParentId)}/${String(props.PathPart)}`;
  };
  const props = (id: string) => (resources[id]?.Properties ?? {}) as Props;
  const refId = (value: unknown) => (value as { Ref?: string } | undefined)?.Ref;

  const methods = ofType('AWS::ApiGateway::Method').map(([, method]): MethodDefinition => {
    const p = method.Properties as Props;
    const validatorId = refId(p.RequestValidatorId);
    const validator = validatorId === undefined ? {} : props(validatorId);
    const integration = (p.Integration ?? {}) as Props;
    const models = Object.entries((p.RequestModels ?? {}) as Record<string, unknown>).map(
      ([contentType, model]) => {
        const schema = props(refId(model) ?? '').Schema;
        if (schema === undefined) throw new Error(`model ${JSON.stringify(model)} has no schema`);
        return [contentType, (typeof schema === 'string' ? JSON.parse(schema) : schema) as Props] as const;
      },
    );
    return {
      httpMethod: String(p.HttpMethod),
      resourcePath: pathOf(p.ResourceId) || '/',
      authorizationType: String(p.AuthorizationType ?? 'NONE'),
      validateBody: validator.ValidateRequestBody === true,
      validateParameters: validator.ValidateRequestParameters === true,
      requestModels: Object.fromEntries(models),
      requestParameters: (p.RequestParameters ?? {}) as Record<string, boolean>,
      integration: {
        type: String(integration.Type),
        uri: String(resolve(integration.Uri)),
        ...(integration.Credentials === undefined
          ? {}
          : { credentials: String(resolve(integration.Credentials)) }),
        passthroughBehavior: String(integration.PassthroughBehavior ?? 'WHEN_NO_MATCH'),
        requestTemplates: resolve(integration.RequestTemplates ?? {}) as Record<string, string>,
        responses: ((integration.IntegrationResponses ?? []) as Props[]).map((response) => ({
          ...(response.SelectionPattern === undefined
            ? {}
            : { selectionPattern: String(response.SelectionPattern) }),
          statusCode: String(response.StatusCode),
          responseTemplates: resolve(response.ResponseTemplates ?? {}) as Record<string, string>,
        })),
      },
    };
  });

  const gatewayResponses = Object.fromEntries(
    ofType('AWS::ApiGateway::GatewayResponse').map(([, response]) => {
      const p = response.Properties as Props;
      return [
        String(p.ResponseType),
        {
          ...(p.StatusCode === undefined ? {} : { statusCode: String(p.StatusCode) }),
          templates: resolve(p.ResponseTemplates ?? {}) as Record<string, string>,
        },
      ];
    }),
  );
  const stages = ofType('AWS::ApiGateway::Stage');
  const stage = String((stages[0]?.[1].Properties as Props | undefined)?.StageName ?? 'prod');
  return { stage, methods, gatewayResponses };
}

/**
 * The API's intrinsic functions (../cloudformation-intrinsics.ts): a Ref to a resource a stack
 * output names resolves to that output's emulated value; any other Ref or GetAtt to a name that
 * shows where it came from (never used as a live ARN).
 */
function resolver(template: CloudFormationTemplate, env: ResolveEnvironment): (value: unknown) => unknown {
  const byRef = new Map<string, string>();
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    const id = (output.Value as { Ref?: string }).Ref;
    const emulated = env.outputs[name];
    if (id !== undefined && emulated !== undefined) byRef.set(id, emulated);
  }
  return intrinsicResolver({
    region: env.region,
    accountId: env.accountId,
    ref: (id) => byRef.get(id),
    getAtt: (id, attribute) =>
      template.Resources[id]?.Type === 'AWS::IAM::Role' && attribute === 'Arn'
        ? `arn:aws:iam::${env.accountId}:role/${id}`
        : undefined,
  });
}
