/**
 * API Gateway (REST) on the emulator: serves the orchestrator stack's API, as its synthesised
 * template defines it, at `<endpoint>/restapis/<api id>/<stage>/_user_request_/<path>` (the
 * URL form LocalStack uses). A request goes through what API Gateway does, in its order: route
 * (an unknown path or method is 403 Missing Authentication Token), SigV4 authentication of
 * AWS_IAM methods, the request validator (parameters, then the body against the method's model),
 * the integration request template, the AWS integration (Step Functions, in process), the
 * integration response selected by the backend's status, and its response template. Failures
 * before the integration answer with the API's gateway responses (BAD_REQUEST_BODY) or API
 * Gateway's defaults. Not emulated: IAM evaluation of the caller's policy (a valid signature by a
 * known key is enough), the integration role's policy, throttling, and access logs.
 */
import { randomBytes } from 'node:crypto';
import type { WireRequest, WireResponse } from '../services/service';
import { renderMappingTemplate } from './mapping-template';
import { RequestModel, validationErrorString } from './request-model';
import type { MethodDefinition, RestApiDefinition } from './rest-api-definition';
import { type KnownCredentials, verifySigV4 } from './sigv4-verify';

/** What an AWS integration calls: one action of one service, as the integration's role. */
export type AwsIntegrationCall = (call: {
  readonly service: string;
  readonly action: string;
  readonly body: string;
  readonly role: string | undefined;
  readonly requestId: string;
}) => Promise<{ readonly status: number; readonly body: string }>;

export interface RestApiGatewayOptions {
  /** The API's id in its URL. */
  readonly restApiId: string;
  readonly region: string;
  readonly accountId: string;
  /** Keys whose signatures are accepted. */
  readonly credentials: readonly KnownCredentials[];
  /**
   * The signer's execute-api:Invoke on the method ARN: undefined when allowed, else why not.
   * @default every signer with a known key is allowed
   */
  readonly invokeDenial?: (accessKeyId: string, methodArn: string) => string | undefined;
  /** The API's definition; called once, on the first request or `ready()`. */
  readonly load: () => Promise<RestApiDefinition>;
  readonly callAws: AwsIntegrationCall;
  /** Now, for SigV4's clock skew check: real time, since callers sign with their own clocks. */
  readonly nowMs?: () => number;
  readonly log?: (line: string) => void;
}

export class RestApiGateway {
  private definition:
    | Promise<{ api: RestApiDefinition; models: Map<MethodDefinition, Map<string, RequestModel>> }>
    | undefined;

  readonly restApiId: string;

  constructor(private readonly options: RestApiGatewayOptions) {
    this.restApiId = options.restApiId;
  }

  /** Loads the definition now rather than on the first request. */
  async ready(): Promise<void> {
    await this.loaded();
  }

  async handle(request: WireRequest): Promise<WireResponse> {
    const match = /^\/restapis\/([^/]+)\/([^/]+)\/_user_request_(\/.*)?$/.exec(request.path);
    if (!match || match[1] !== this.restApiId) {
      return json(
        404,
        { message: `Invalid API identifier specified ${this.options.accountId}:${match?.[1] ?? ''}` },
        {
          'x-amzn-ErrorType': 'NotFoundException',
          'x-amzn-RequestId': request.requestId,
        },
      );
    }
    const stage = match[2] as string;
    const path = match[3] ?? '/';
    const { api, models } = await this.loaded();
    const requestId = request.requestId;
    const baseContext = {
      requestId,
      extendedRequestId: randomBytes(6).toString('base64url'),
      httpMethod: request.method,
      stage,
      apiId: this.restApiId,
      accountId: this.options.accountId,
      path: `/${stage}${path}`,
      requestTime: new Date().toUTCString(),
      requestTimeEpoch: Date.now(),
      protocol: 'HTTP/1.1',
      domainName: String(request.headers.host ?? ''),
    };
    const fail = (
      type: GatewayResponseType,
      message: string,
      extra: { validationErrorString?: string; errorType?: string } = {},
    ) => this.gatewayResponse(api, type, message, { ...baseContext, ...extra }, extra.errorType);

    const routed = stage === api.stage ? route(api.methods, request.method, path) : undefined;
    if (routed === undefined) return fail('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token');
    const { method, pathParams } = routed;
    const identity: Record<string, unknown> = {
      sourceIp: '127.0.0.1',
      userAgent: String(request.headers['user-agent'] ?? ''),
    };
    if (method.authorizationType === 'AWS_IAM') {
      const verified = await verifySigV4(request, {
        region: this.options.region,
        credentials: this.options.credentials,
        nowMs: this.options.nowMs?.(),
      });
      if (!verified.ok) {
        const type =
          verified.errorType === 'MissingAuthenticationTokenException'
            ? 'MISSING_AUTHENTICATION_TOKEN'
            : 'INVALID_SIGNATURE';
        return fail(type, verified.message, { errorType: verified.errorType });
      }
      const methodArn = `arn:aws:execute-api:${this.options.region}:${this.options.accountId}:${this.restApiId}/${stage}/${request.method}${path}`;
      const denied = this.options.invokeDenial?.(verified.caller.accessKeyId, methodArn);
      if (denied !== undefined) return fail('ACCESS_DENIED', denied);
      Object.assign(identity, {
        accountId: this.options.accountId,
        caller: verified.caller.accessKeyId,
        user: verified.caller.accessKeyId,
        userArn: verified.caller.arn,
        accessKey: verified.caller.accessKeyId,
      });
    }
    const context = { ...baseContext, resourcePath: method.resourcePath, identity };
    const params = {
      path: pathParams,
      querystring: Object.fromEntries(request.query),
      header: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(',') : String(value),
        ]),
      ),
    };
    const body = request.body.toString('utf8');

    if (method.validateParameters) {
      const missing = Object.entries(method.requestParameters)
        .filter(([, required]) => required)
        .map(([name]) => /^method\.request\.(path|querystring|header)\.(.+)$/.exec(name))
        .filter((m): m is RegExpExecArray => m !== null)
        .filter(([, where, name]) => {
          const source = params[where === 'header' ? 'header' : (where as 'path' | 'querystring')];
          return (
            (source[where === 'header' ? (name as string).toLowerCase() : (name as string)] ?? '') === ''
          );
        })
        .map(([, , name]) => name);
      if (missing.length > 0)
        return fail('BAD_REQUEST_PARAMETERS', `Missing required request parameters: [${missing.join(', ')}]`);
    }
    const contentType =
      (String(request.headers['content-type'] ?? '').split(';')[0] ?? '').trim().toLowerCase() ||
      'application/json';
    if (method.validateBody) {
      const model = models.get(method)?.get(contentType) ?? models.get(method)?.get('$default');
      const checked = model?.check(body);
      if (checked !== undefined && !checked.valid) {
        return fail('BAD_REQUEST_BODY', 'Invalid request body', {
          validationErrorString: validationErrorString(checked.errors),
        });
      }
    }

    const { integration } = method;
    const template = integration.requestTemplates[contentType];
    const hasTemplates = Object.keys(integration.requestTemplates).length > 0;
    if (
      template === undefined &&
      (integration.passthroughBehavior === 'NEVER' ||
        (integration.passthroughBehavior === 'WHEN_NO_TEMPLATES' && hasTemplates))
    ) {
      return fail('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type', {
        errorType: 'UnsupportedMediaTypeException',
      });
    }
    const action = /^arn:aws[a-z-]*:apigateway:[^:]*:([a-z0-9-]+):action\/(\w+)$/.exec(integration.uri);
    if (integration.type !== 'AWS' || action === null) {
      this.options.log?.(`apigateway: integration ${integration.type} ${integration.uri} is not emulated`);
      return fail('API_CONFIGURATION_ERROR', 'Internal server error');
    }
    let backend: { status: number; body: string };
    try {
      const integrationBody =
        template === undefined ? body : renderMappingTemplate(template, { body, params, context }).output;
      backend = await this.options.callAws({
        service: action[1] as string,
        action: action[2] as string,
        body: integrationBody,
        role: integration.credentials,
        requestId,
      });
    } catch (error) {
      this.options.log?.(
        `apigateway: ${request.method} ${method.resourcePath} request failed: ${(error as Error).message}`,
      );
      return fail('API_CONFIGURATION_ERROR', 'Internal server error');
    }

    const selected =
      integration.responses.find(
        (r) =>
          r.selectionPattern !== undefined &&
          new RegExp(`^(?:${r.selectionPattern})$`).test(String(backend.status)),
      ) ?? integration.responses.find((r) => r.selectionPattern === undefined);
    if (selected === undefined) return fail('API_CONFIGURATION_ERROR', 'Internal server error');
    const responseTemplate =
      selected.responseTemplates['application/json'] ?? Object.values(selected.responseTemplates)[0];
    let output = backend.body;
    let status = Number(selected.statusCode);
    const headers: Record<string, string> = {};
    if (responseTemplate !== undefined) {
      try {
        const rendered = renderMappingTemplate(responseTemplate, { body: backend.body, params, context });
        output = rendered.output;
        status = rendered.responseOverride.status ?? status;
        Object.assign(headers, rendered.responseOverride.header);
      } catch (error) {
        this.options.log?.(
          `apigateway: ${request.method} ${method.resourcePath} response template failed: ${(error as Error).message}`,
        );
        return fail('API_CONFIGURATION_ERROR', 'Internal server error');
      }
    }
    this.options.log?.(`apigateway:${request.method} ${method.resourcePath} ${status}`);
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-RequestId': requestId, ...headers },
      body: output,
    };
  }

  private loaded() {
    this.definition ??= this.options.load().then((api) => ({
      api,
      models: new Map(
        api.methods.map((method) => [
          method,
          new Map(
            Object.entries(method.requestModels).map(([type, schema]) => [type, new RequestModel(schema)]),
          ),
        ]),
      ),
    }));
    return this.definition;
  }

  /** A gateway response: the API's own template for the type, else API Gateway's default. */
  private gatewayResponse(
    api: RestApiDefinition,
    type: GatewayResponseType,
    message: string,
    context: Record<string, unknown> & { validationErrorString?: string },
    errorType = DEFAULTS[type].errorType,
  ): WireResponse {
    const custom = api.gatewayResponses[type];
    const template = custom?.templates['application/json'] ?? '{"message":$context.error.messageString}';
    const { validationErrorString: details = '', ...rest } = context;
    const { output } = renderMappingTemplate(template, {
      body: '',
      params: { path: {}, querystring: {}, header: {} },
      context: {
        ...rest,
        error: {
          message,
          messageString: JSON.stringify(message),
          responseType: type,
          // Inside the template's quotes, as API Gateway writes it: quotes and backslashes escaped.
          validationErrorString: JSON.stringify(details).slice(1, -1),
        },
      },
    });
    return {
      status: Number(custom?.statusCode ?? DEFAULTS[type].status),
      headers: {
        'content-type': 'application/json',
        'x-amzn-RequestId': String(context.requestId),
        'x-amzn-ErrorType': errorType,
      },
      body: output,
    };
  }
}

type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_SIGNATURE'
  | 'ACCESS_DENIED'
  | 'BAD_REQUEST_PARAMETERS'
  | 'BAD_REQUEST_BODY'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'API_CONFIGURATION_ERROR';

const DEFAULTS: Readonly<Record<GatewayResponseType, { status: number; errorType: string }>> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, errorType: 'MissingAuthenticationTokenException' },
  INVALID_SIGNATURE: { status: 403, errorType: 'InvalidSignatureException' },
  ACCESS_DENIED: { status: 403, errorType: 'AccessDeniedException' },
  BAD_REQUEST_PARAMETERS: { status: 400, errorType: 'BadRequestException' },
  BAD_REQUEST_BODY: { status: 400, errorType: 'BadRequestException' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, errorType: 'UnsupportedMediaTypeException' },
  API_CONFIGURATION_ERROR: { status: 500, errorType: 'InternalServerErrorException' },
};

/** The method for a path: static path parts win over `{name}`, `{name+}` takes the rest. */
function route(
  methods: readonly MethodDefinition[],
  httpMethod: string,
  path: string,
): { method: MethodDefinition; pathParams: Record<string, string> } | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  let best: { method: MethodDefinition; pathParams: Record<string, string>; score: number } | undefined;
  for (const method of methods) {
    if (method.httpMethod !== httpMethod && method.httpMethod !== 'ANY') continue;
    const parts = method.resourcePath.split('/').filter((s) => s !== '');
    const pathParams: Record<string, string> = {};
    let score = 0;
    let matched = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy) {
        if (i >= segments.length) matched = false;
        else pathParams[greedy[1] as string] = segments.slice(i).map(decode).join('/');
        break;
      }
      const segment = segments[i];
      if (segment === undefined) {
        matched = false;
        break;
      }
      const variable = /^\{(.+)\}$/.exec(part);
      if (variable) pathParams[variable[1] as string] = decode(segment);
      else if (part === decode(segment)) score += 1;
      else {
        matched = false;
        break;
      }
      if (i === parts.length - 1 && segments.length !== parts.length) matched = false;
    }
    if (parts.length === 0 && segments.length > 0) matched = false;
    if (matched && (best === undefined || score > best.score)) best = { method, pathParams, score };
  }
  return best && { method: best.method, pathParams: best.pathParams };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function json(status: number, body: unknown, headers: Record<string, string>): WireResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
