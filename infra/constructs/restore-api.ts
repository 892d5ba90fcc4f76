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

/**
 * The API caller: an IAM-authorised REST API in front of the state machine, with no Lambda in
 * between (direct Step Functions integrations).
 *
 *   POST /restores[?name=EXECUTION_NAME]   body = restore-instance input, validated against a model
 *                                          generated from the contract schema → StartExecution
 *   GET  /restores/{executionName}         → DescribeExecution: status, error/cause and output
 *
 * `name` makes a start idempotent: repeating it with the same name and input starts nothing new.
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
        stageName: 'v1',
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
    stateMachine.grantExecution(this.role, 'states:DescribeExecution');

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
    const model = this.api.addModel('RestoreRequest', {
      contentType: 'application/json',
      modelName: 'RestoreRequest',
      description: 'restore-instance input (contracts section 1), generated from RestoreRequestSchema',
      schema: restoreRequestJsonSchema() as apigw.JsonSchema,
    });

    const restores = this.api.root.addResource('restores');
    restores.addMethod(
      'POST',
      this.integration('StartExecution', startTemplate(stateMachine), startResponse),
      {
        requestValidator: validator,
        requestModels: { 'application/json': model },
        requestParameters: { 'method.request.querystring.name': false },
        methodResponses: ['200', '400', '500'].map((statusCode) => ({ statusCode })),
      },
    );

    const executionArnPrefix = stack.formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName,
    });
    restores
      .addResource('{executionName}')
      .addMethod(
        'GET',
        this.integration('DescribeExecution', describeTemplate(executionArnPrefix), describeResponse),
        {
          requestValidator: validator,
          requestParameters: { 'method.request.path.executionName': true },
          methodResponses: ['200', '400', '404', '500'].map((statusCode) => ({ statusCode })),
        },
      );

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
            "DescribeExecution is granted on this state machine's executions (execution:<state machine>:*): their names are chosen per request, so they cannot be listed in advance.",
          // The partition is a literal when the stack's region is known, a token when not
          // (@aws-cdk/core:enablePartitionLiterals).
          appliesTo: [
            { regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):states:.*:execution:.*:\\*$/' },
          ],
        },
      ],
      true,
    );
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
 * The validated body becomes the execution input verbatim (the workflow fills defaults).
 * escapeJavaScript also escapes ' as \\', which is not valid JSON: the replaceAll undoes it.
 */
function startTemplate(stateMachine: sfn.IStateMachine): string {
  return [
    `#set($name = $input.params().querystring.get('name'))`,
    '{',
    `  "stateMachineArn": "${stateMachine.stateMachineArn}",`,
    `  #if("$!name" != "")"name": "$util.escapeJavaScript($name)",#end`,
    `  "input": "$util.escapeJavaScript($input.json('$')).replaceAll("\\\\'", "'")"`,
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

function describeTemplate(executionArnPrefix: string): string {
  return `{"executionArn": "${executionArnPrefix}:$util.escapeJavaScript($input.params('executionName'))"}`;
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
 * The request model: RestoreRequestSchema as JSON Schema draft-04, the only draft API Gateway
 * models accept. Two gaps are handled here, and the workflow's ValidateInput step re-checks
 * everything with the zod schema itself, so the model only needs to reject early, never wrongly:
 * - the "one of instanceId, resourceArn, recoveryPointArn" rule is a zod refinement, which has no
 *   JSON Schema form: it is added as anyOf/required;
 * - patterns with Unicode property classes (\p{L}, tag keys and values) are dropped, because it
 *   is not documented that API Gateway's validator supports them, and a validator that reads
 *   them differently would reject valid requests.
 */
export function restoreRequestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RestoreRequestSchema, { target: 'draft-04', io: 'input' });
  return {
    ...(withoutUnicodePatterns(schema) as Record<string, unknown>),
    anyOf: ['instanceId', 'resourceArn', 'recoveryPointArn'].map((field) => ({ required: [field] })),
  };
}

function withoutUnicodePatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutUnicodePatterns);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'pattern' && typeof value === 'string' && value.includes('\\p{')))
      .map(([key, value]) => [key, withoutUnicodePatterns(value)]),
  );
}
