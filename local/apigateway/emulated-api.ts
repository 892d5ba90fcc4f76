/**
 * The orchestrator's REST API on the emulator, wired: its definition from the synthesised stack
 * (loaded on first use, since synthesis takes seconds and `npm start` does not need the API), its
 * Step Functions integration through the emulator's own Step Functions adapter, exactly as a
 * client of the `states` endpoint would reach it (JSON 1.0, `X-Amz-Target`), so the integration
 * sees the service's real answers and error bodies.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../aws-error';
import type { ServiceAdapter, WireRequest, WireResponse } from '../services/service';
import { readRestApi } from './rest-api-definition';
import type { AwsIntegrationCall, RestApiGateway } from './rest-api-gateway';
import type { KnownCredentials } from './sigv4-verify';
import type { CloudFormationTemplate } from './synthesised-api';

/** The stage the orchestrator stack deploys (infra/constructs/restore-api.ts STAGE_NAME, contract §6). */
export const API_STAGE = 'v1';

export interface EmulatedApiOptions {
  /** The API's id in its URL (newRestApiId); IAM resolves the stack's RestApi to it too. */
  readonly restApiId: string;
  readonly region: string;
  readonly accountId: string;
  readonly credentials: readonly KnownCredentials[];
  /** The signer's execute-api:Invoke (RestApiGatewayOptions.invokeDenial). */
  readonly invokeDenial?: (accessKeyId: string, methodArn: string) => string | undefined;
  /** Read when the API is first used, by when the emulator has deployed them. */
  readonly stateMachineArns: () => { readonly restoreInstance: string; readonly restoreFleet: string };
  /** The emulator's Step Functions adapter (services/sfn.ts). */
  readonly stepFunctions: ServiceAdapter;
  readonly log?: (line: string) => void;
  /** The template already synthesised for IAM enforcement, if any: the API reads the same one. */
  readonly template?: () => CloudFormationTemplate | undefined;
}

/** What the emulator's front door and its callers see of the API. */
export interface EmulatedApi {
  /** The invoke URL on this endpoint, as the CLI's `--via-api` takes it. */
  url(endpoint: string): string;
  handles(path: string): boolean;
  handle(request: WireRequest): Promise<WireResponse>;
  /** Synthesise the API now rather than on its first request. */
  ready(): Promise<void>;
}

const PATH_PREFIX = '/restapis/';

/** Ten lowercase letters and digits, like API Gateway's ids. */
export function newRestApiId(): string {
  return Array.from(randomBytes(10), (byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('');
}

export function createEmulatedApi(options: EmulatedApiOptions): EmulatedApi {
  const { restApiId } = options;
  let gateway: RestApiGateway | undefined;
  // The gateway (ajv, velocityjs, the signer) loads on first use too: `npm start` never needs it.
  const loaded = () => {
    gateway ??= gatewayFor(restApiId, options);
    return gateway;
  };
  return {
    url: (endpoint) => `${endpoint}${PATH_PREFIX}${restApiId}/${API_STAGE}/_user_request_`,
    handles: (path) => path.startsWith(PATH_PREFIX),
    handle: (request) => loaded().handle(request),
    ready: () => loaded().ready(),
  };
}

function gatewayFor(restApiId: string, options: EmulatedApiOptions): RestApiGateway {
  const { region, accountId, log } = options;
  const { RestApiGateway } = require('./rest-api-gateway') as typeof import('./rest-api-gateway');
  return new RestApiGateway({
    restApiId,
    region,
    accountId,
    credentials: options.credentials,
    invokeDenial: options.invokeDenial,
    log,
    load: async () => {
      // aws-cdk-lib's stacks and cdk-nag load only when the API's definition is needed.
      let template = options.template?.();
      if (template === undefined) {
        const { synthesiseOrchestratorTemplate } =
          require('./synthesised-api') as typeof import('./synthesised-api');
        const synthesised = synthesiseOrchestratorTemplate({ account: accountId, region });
        template = synthesised.template;
        log?.(
          `apigateway: synthesised the orchestrator stack's API in ${(synthesised.milliseconds / 1000).toFixed(1)} s`,
        );
      } else {
        log?.("apigateway: read the API from the orchestrator stack's template");
      }
      const api = readRestApi(template, {
        region,
        accountId,
        outputs: {
          StateMachineArn: options.stateMachineArns().restoreInstance,
          FleetStateMachineArn: options.stateMachineArns().restoreFleet,
        },
      });
      if (api.stage !== API_STAGE)
        throw new Error(`the API's stage is ${api.stage}, the emulator serves ${API_STAGE}`);
      return api;
    },
    callAws: stepFunctionsIntegration(options.stepFunctions),
  });
}

/** An AWS integration to `states`: the action as a JSON 1.0 request to the emulated service. */
function stepFunctionsIntegration(adapter: ServiceAdapter): AwsIntegrationCall {
  return async ({ service, action, body, requestId }) => {
    const wire: WireRequest = {
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AWSStepFunctions.${action}`,
      },
      body: Buffer.from(body, 'utf8'),
      requestId,
    };
    if (service !== 'states') {
      const error = new AwsError(
        'UnknownOperationException',
        `The emulator integrates with states only, not ${service}`,
      );
      return adapter.errorResponse(error, wire);
    }
    try {
      return await adapter.parse(wire).invoke();
    } catch (error) {
      const awsError =
        error instanceof AwsError ? error : new AwsError('InternalFailure', (error as Error).message, 500);
      return adapter.errorResponse(awsError, wire);
    }
  };
}
