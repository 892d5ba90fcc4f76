import { MODE_NAME_PREFIXES } from '@lambdas/validate-input/validate-input';
import { RestoreRequestSchema } from '@shared/restore-request';
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { z } from 'zod';

export interface RestoreApiOptions {
  /** Steady-state requests per second allowed on each method of the stage. @default 5 */
  readonly throttlingRateLimit?: number;
  /** @default 10 */
  readonly throttlingBurstLimit?: number;
  /**
   * Create API Gateway's CloudWatch Logs role for this account and region (access logging needs
   * one). It is an account-wide setting: turn this off when the account already has one.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /** @default three months */
  readonly accessLogRetention?: logs.RetentionDays;
}

export interface RestoreApiProps extends RestoreApiOptions {
  readonly stateMachine: sfn.IStateMachine;
}

/** The API's one stage; callers' policies name it (execute-api ARNs are per stage). */
export const STAGE_NAME = 'v1';

/** The two modes, each its own paths, so that an IAM policy on execute-api:Invoke can tell them apart. */
export type ApiMode = 'test' | 'recovery';
export const API_MODES: readonly ApiMode[] = ['test', 'recovery'];

/**
 * The API caller: an IAM-authorised REST API in front of the state machine, with no Lambda in
 * between (direct Step Functions integrations). The mode is in the path, not only in the body,
 * because IAM sees the path and never the body:
 *
 *   POST /restores/{mode}[?name=NAME]   body = restore-instance input, validated against the
 *                                       mode's model → StartExecution of `api-<mode>-NAME` (or
 *                                       `api-<mode>-<request id>`) with `mode` set to the path's
 *   GET  /restores/{mode}/{name}        → DescribeExecution of `api-<mode>-…` only: status,
 *                                       error/cause and output
 *
 * for mode `test` and `recovery` (two static paths each, not a path variable). The test path's
 * model also forbids what widens a test copy's exposure (TEST_MODE_RESTRICTIONS). ValidateInput
 * refuses an `api-test-…` execution that is not in test mode, whoever started it, so a test read
 * never returns a recovery. `name` makes a start idempotent: repeating it with the same name and
 * input starts nothing new.
 */
export class RestoreApi extends Construct {
  readonly api: apigw.RestApi;
  /** API Gateway assumes this role: StartExecution on this state machine, DescribeExecution on its executions. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RestoreApiProps) {
    super(scope, id);
    const { stateMachine } = props;
    const stack = Stack.of(this);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'ec2-restore-orchestrator: start restores and read their status',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? true,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: props.throttlingRateLimit ?? 5,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 10,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        // Errors only, and never the data: request and response bodies would fill the logs
        // with restore inputs and outputs that the state machine's own log already holds.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
      },
    });
    this.role = new iam.Role(this, 'IntegrationRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Assumed by API Gateway to start and describe restore executions',
    });
    stateMachine.grantStartExecution(this.role);

    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // A rejected body answers with what is wrong, as the workflow's own InvalidInputError would.
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      templates: {
        'application/json':
          '{"error": "InvalidInputError", "message": $context.error.messageString, "details": "$context.error.validationErrorString"}',
      },
    });
    const executionArnPrefix = stack.formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName,
    });
    const restores = this.api.root.addResource('restores');
    for (const mode of API_MODES) {
      const model = this.api.addModel(`RestoreRequest${pascal(mode)}`, {
        contentType: 'application/json',
        modelName: `RestoreRequest${pascal(mode)}`,
        description: `restore-instance input (contracts section 1) for POST /restores/${mode}, generated from RestoreRequestSchema`,
        schema: restoreRequestJsonSchema(mode) as apigw.JsonSchema,
      });
      const resource = restores.addResource(mode);
      resource.addMethod(
        'POST',
        this.integration('StartExecution', startTemplate(stateMachine, mode), startResponse),
        {
          requestValidator: validator,
          requestModels: { 'application/json': model },
          requestParameters: { 'method.request.querystring.name': false },
          methodResponses: ['200', '400', '500'].map((statusCode) => ({ statusCode })),
        },
      );
      resource
        .addResource('{executionName}')
        .addMethod(
          'GET',
          this.integration('DescribeExecution', describeTemplate(executionArnPrefix, mode), describeResponse),
          {
            requestValidator: validator,
            requestParameters: { 'method.request.path.executionName': true },
            methodResponses: ['200', '400', '404', '500'].map((statusCode) => ({ statusCode })),
          },
        );
      // Only the executions the API can name: a template slip cannot read any other.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution'],
          resources: [`${executionArnPrefix}:${MODE_NAME_PREFIXES[mode]}*`],
        }),
      );
    }

    NagSuppressions.addResourceSuppressions(
      this.api,
      [
        {
          id: 'AwsSolutions-APIG3',
          reason:
            'Every method requires SigV4-signed IAM credentials and the stage is throttled; WAF (from about $6/month) adds little in front of an IAM-only API. Attach a web ACL to the stage if your policy requires one.',
        },
        {
          id: 'AwsSolutions-COG4',
          reason:
            'Callers are AWS principals (runbooks, other systems), authorised by IAM (AWS_IAM), not Cognito users.',
        },
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for the account-level API Gateway logging role that access logging requires.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
          ],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "DescribeExecution is granted on this state machine's executions of each mode (execution:<state machine>:api-test-* and api-recovery-*): their names are chosen per request, so they cannot be listed in advance.",
          // The partition is a literal when the stack's region is known, a token when not
          // (@aws-cdk/core:enablePartitionLiterals).
          appliesTo: [
            {
              regex:
                '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):states:.*:execution:.*:api-(test|recovery)-\\*$/',
            },
          ],
        },
      ],
      true,
    );
  }

  /**
   * The execute-api ARN of one method of this API's stage, e.g. `POST /restores/test`; what an IAM
   * policy on execute-api:Invoke names (infra/README.md has ready-made caller policies).
   */
  arnFor(method: 'POST' | 'GET', mode: ApiMode): string {
    return this.api.arnForExecuteApi(
      method,
      method === 'POST' ? `/restores/${mode}` : `/restores/${mode}/*`,
      STAGE_NAME,
    );
  }

  /** Let `grantee` start and read restores of these modes through the API, and nothing else. */
  grantInvoke(grantee: iam.IGrantable, modes: readonly ApiMode[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: modes.flatMap((mode) => [this.arnFor('POST', mode), this.arnFor('GET', mode)]),
    });
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      NagSuppressions.addResourceSuppressions(
        grantee.grantPrincipal,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'GET /restores/<mode>/* reads executions of that mode by name; the names are chosen per request, so they cannot be listed in advance.',
            appliesTo: [
              { regex: '/^Resource::arn:.*:execute-api:.*\\/GET\\/restores\\/(test|recovery)\\/\\*$/' },
            ],
          },
        ],
        true,
      );
    }
    return grant;
  }

  private integration(
    action: 'StartExecution' | 'DescribeExecution',
    requestTemplate: string,
    responses: apigw.IntegrationResponse[],
  ): apigw.AwsIntegration {
    return new apigw.AwsIntegration({
      service: 'states',
      action,
      options: {
        credentialsRole: this.role,
        // Only application/json bodies reach Step Functions, and only through the template.
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': requestTemplate },
        integrationResponses: responses,
      },
    });
  }
}

// For AWS integrations API Gateway matches selectionPattern against the backend's HTTP status.
const errorResponses = (clientErrorTemplate: string): apigw.IntegrationResponse[] => [
  {
    selectionPattern: '4\\d{2}',
    statusCode: '400',
    responseTemplates: { 'application/json': clientErrorTemplate },
  },
  { selectionPattern: '5\\d{2}', statusCode: '500', responseTemplates: { 'application/json': ERROR_BODY } },
];

const ERROR_BODY = `{"error": $input.json('$.__type'), "message": $input.json('$.message')}`;

/**
 * The validated body becomes the execution input, with `mode` set to the path's: the model allows
 * only that mode or none, so the template adds it when absent and never writes it twice (and
 * ValidateInput refuses an `api-test-…` execution in another mode should the two ever disagree).
 * The execution is named `api-<mode>-<name>`, or `api-<mode>-<request id>` without one. escapeJavaScript also
 * escapes ' as \\', which is not valid JSON: the replaceAll undoes it.
 */
function startTemplate(stateMachine: sfn.IStateMachine, mode: ApiMode): string {
  const prefix = MODE_NAME_PREFIXES[mode];
  return [
    `#set($name = $input.params().querystring.get('name'))`,
    `#set($body = $input.json('$'))`,
    // The model requires one of the target fields, so the body is an object with a first key.
    `#if("$!input.path('$.mode')" == "")#set($body = $body.replaceFirst('^\\s*\\{', '{"mode":"${mode}",'))#end`,
    '{',
    `  "stateMachineArn": "${stateMachine.stateMachineArn}",`,
    `  "name": "${prefix}#if("$!name" != "")$util.escapeJavaScript($name)#{else}$context.requestId#end",`,
    `  "input": "$util.escapeJavaScript($body).replaceAll("\\\\'", "'")"`,
    '}',
  ].join('\n');
}

/** The CLI's `start --json` shape: `{ executionArn, name, startDate }`. */
const startResponse: apigw.IntegrationResponse[] = [
  {
    statusCode: '200',
    responseTemplates: {
      'application/json': [
        `#set($arn = $input.path('$.executionArn'))`,
        `#set($nameStart = $arn.lastIndexOf(':') + 1)`,
        `{"executionArn": "$arn", "name": "$arn.substring($nameStart)", "startDate": $input.json('$.startDate')}`,
      ].join('\n'),
    },
  },
  ...errorResponses(ERROR_BODY),
];

/**
 * Reads `api-<mode>-…` executions only: the name as POST answered it (`api-test-abc`), whose
 * prefix is taken off once and put back, so any name given on this path names one of this mode.
 */
function describeTemplate(executionArnPrefix: string, mode: ApiMode): string {
  const prefix = MODE_NAME_PREFIXES[mode];
  return [
    `#set($name = $input.params('executionName'))`,
    `#if($name.startsWith('${prefix}'))#set($name = $name.substring(${prefix.length}))#end`,
    `{"executionArn": "${executionArnPrefix}:${prefix}$util.escapeJavaScript($name)"}`,
  ].join('\n');
}

/** The CLI's `status --json` shape: status, error/cause and the output as JSON (not a string). */
const describeResponse: apigw.IntegrationResponse[] = [
  {
    statusCode: '200',
    responseTemplates: {
      'application/json': [
        `#set($output = $input.path('$.output'))`,
        `#set($error = $input.path('$.error'))`,
        `#set($cause = $input.path('$.cause'))`,
        `#set($stopDate = $input.path('$.stopDate'))`,
        '{',
        `  "executionArn": $input.json('$.executionArn'),`,
        `  "name": $input.json('$.name'),`,
        `  "status": $input.json('$.status'),`,
        `  "startDate": $input.json('$.startDate'),`,
        `  "stopDate": #if("$!stopDate" != "")$input.json('$.stopDate')#{else}null#end,`,
        `  "error": #if("$!error" != "")$input.json('$.error')#{else}null#end,`,
        `  "cause": #if("$!cause" != "")$input.json('$.cause')#{else}null#end,`,
        `  "output": #if("$!output" != "")$output#{else}null#end`,
        '}',
      ].join('\n'),
    },
  },
  // An unknown execution name is a 404, not a generic 400.
  ...errorResponses(
    [
      `#set($type = $input.path('$.__type'))`,
      `#if($type && $type.contains('ExecutionDoesNotExist'))#set($context.responseOverride.status = 404)#end`,
      ERROR_BODY,
    ].join('\n'),
  ),
];

/**
 * The request model of a mode's POST: RestoreRequestSchema as JSON Schema draft-04, the only draft
 * API Gateway models accept, with `mode` fixed to the path's (or absent), and on the test path the
 * restrictions of TEST_MODE_RESTRICTIONS. Two gaps are handled here, and the workflow's
 * ValidateInput step re-checks everything with the zod schema itself (and the guardrails), so the
 * model only needs to reject early, never wrongly:
 * - the "one of instanceId, resourceArn, recoveryPointArn" rule is a zod refinement, which has no
 *   JSON Schema form: it is added as anyOf/required;
 * - patterns with Unicode property classes (\p{L}, tag keys and values) are dropped, because it
 *   is not documented that API Gateway's validator supports them, and a validator that reads
 *   them differently would reject valid requests.
 */
export function restoreRequestJsonSchema(mode?: ApiMode): Record<string, unknown> {
  const schema = withoutUnicodePatterns(
    z.toJSONSchema(RestoreRequestSchema, { target: 'draft-04', io: 'input' }),
  ) as JsonObject;
  if (mode !== undefined) {
    restrict(schema, ['mode'], [mode]);
    if (mode === 'test') {
      for (const { path, allowed } of TEST_MODE_RESTRICTIONS) restrict(schema, path, allowed);
    }
  }
  return {
    ...schema,
    anyOf: ['instanceId', 'resourceArn', 'recoveryPointArn'].map((field) => ({ required: [field] })),
  };
}

/**
 * What `POST /restores/test` refuses (400, before any execution starts), because each widens what
 * a test copy of a production instance exposes and none is needed to prove a restore works. The
 * deployment's guardrails (guardrail* context keys) can refuse them for every caller too.
 */
export const TEST_MODE_RESTRICTIONS: readonly {
  readonly path: readonly string[];
  readonly allowed: readonly (string | boolean)[];
  readonly why: string;
}[] = [
  {
    path: ['publicIp'],
    allowed: ['auto', 'never'],
    why: '`always` gives the copy a public address even where `auto` would not (when it already has one, or its subnet assigns one); `auto` already attaches an Elastic IP exactly when the SSH check needs one.',
  },
  {
    path: ['instanceProfile'],
    allowed: ['reattach', 'none'],
    why: "`passrole` launches the copy with the source's role, so its boot scripts and services act with that role from the first second, through the restore role's iam:PassRole; `reattach` (the default) proves the profile can be put back once the copy runs, and `none` leaves it off.",
  },
  {
    path: ['overrides', 'requireImdsV2'],
    allowed: [true],
    why: "`false` turns IMDSv2 off, so any request forgery in the copy's software can read its role's credentials; a test keeps what the source had (unset) or hardens it (true).",
  },
];

type JsonObject = Record<string, unknown> & { properties?: Record<string, JsonObject> };

/** Narrow one property of the schema to `allowed` (its default goes: it may not be allowed). */
function restrict(schema: JsonObject, path: readonly string[], allowed: readonly (string | boolean)[]): void {
  let node = schema;
  for (const key of path) {
    const child = node.properties?.[key];
    if (child === undefined) throw new Error(`restore request model: no property ${path.join('.')}`);
    node = child;
  }
  delete node.default;
  node.enum = [...allowed];
}

const pascal = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function withoutUnicodePatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutUnicodePatterns);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'pattern' && typeof value === 'string' && value.includes('\\p{')))
      .map(([key, value]) => [key, withoutUnicodePatterns(value)]),
  );
}
