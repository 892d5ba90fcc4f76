/**
 * Step Functions' awsJson1_0 protocol over the emulated service (../sfn/step-functions.ts):
 * `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>`, camelCase JSON members, timestamps
 * as epoch seconds, and errors as HTTP 400 `{"__type": "<namespace>#<Code>", "message"}` (SDKs and
 * the CLI strip the namespace).
 */
import { z } from 'zod';
import { AwsError } from '../aws-error';
import type { StepFunctionsEmulator } from '../sfn/step-functions';
import {
  awsJsonContentType,
  awsJsonOperation,
  awsJsonResponse,
  epochSeconds,
  type JsonObject,
  parseJsonObjectBody,
} from './json-protocol';
import type { ParsedOperation, ServiceAdapter, WireRequest, WireResponse } from './service';

const TARGET_PREFIX = 'AWSStepFunctions';

const arn = z.string().min(1).max(2048);
const pageParams = {
  maxResults: z.int().min(0).max(1000).optional(),
  nextToken: z.string().min(1).max(1024).optional(),
};

const Requests = {
  CreateStateMachine: z.object({
    name: z.string(),
    definition: z.string().min(1),
    roleArn: arn,
    type: z.enum(['STANDARD', 'EXPRESS']).optional(),
  }),
  DeleteStateMachine: z.object({ stateMachineArn: arn }),
  ListStateMachines: z.object(pageParams),
  DescribeStateMachine: z.object({ stateMachineArn: arn }),
  StartExecution: z.object({
    stateMachineArn: arn,
    name: z.string().optional(),
    input: z.string().optional(),
    traceHeader: z.string().max(256).optional(),
  }),
  DescribeExecution: z.object({
    executionArn: arn,
    includedData: z.enum(['ALL_DATA', 'METADATA_ONLY']).optional(),
  }),
  GetExecutionHistory: z.object({
    executionArn: arn,
    reverseOrder: z.boolean().optional(),
    includeExecutionData: z.boolean().optional(),
    ...pageParams,
  }),
  ListExecutions: z.object({
    stateMachineArn: arn.optional(),
    mapRunArn: arn.optional(),
    statusFilter: z
      .enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'])
      .optional(),
    redriveFilter: z.enum(['REDRIVEN', 'NOT_REDRIVEN']).optional(),
    ...pageParams,
  }),
  StopExecution: z.object({
    executionArn: arn,
    error: z.string().max(256).optional(),
    cause: z.string().max(32768).optional(),
  }),
} as const;

type Operation = keyof typeof Requests;
type Handlers = { readonly [Op in Operation]: (request: z.infer<(typeof Requests)[Op]>) => object };

/** Error namespaces as AWS's front end writes them; SFN's modelled errors use the service's own. */
const NAMESPACES: Readonly<Record<string, string>> = {
  ThrottlingException: 'com.amazon.coral.availability',
  UnknownOperationException: 'com.amazon.coral.service',
  SerializationException: 'com.amazon.coral.service',
  InternalFailure: 'com.amazon.coral.service',
  ValidationException: 'com.amazon.coral.validate',
};
const SFN_NAMESPACE = 'com.amazonaws.swf.service.v2.model';

export class SfnAdapter implements ServiceAdapter {
  readonly service = 'sfn' as const;
  private readonly handlers: Handlers;

  constructor(private readonly sfn: StepFunctionsEmulator) {
    this.handlers = {
      CreateStateMachine: (r) => this.sfn.createStateMachine(r),
      DeleteStateMachine: (r) => this.sfn.deleteStateMachine(r),
      ListStateMachines: (r) => this.sfn.listStateMachines(r),
      DescribeStateMachine: (r) => this.sfn.describeStateMachine(r),
      StartExecution: (r) => this.sfn.startExecution(r),
      DescribeExecution: (r) => this.sfn.describeExecution(r),
      GetExecutionHistory: (r) => this.sfn.getExecutionHistory(r),
      ListExecutions: ({ stateMachineArn, mapRunArn, redriveFilter, ...rest }) => {
        if (mapRunArn !== undefined)
          throw new AwsError('ValidationException', 'The emulator has no Map Runs.');
        if (stateMachineArn === undefined) {
          throw new AwsError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
        }
        return this.sfn.listExecutions({ stateMachineArn, ...rest });
      },
      StopExecution: (r) => this.sfn.stopExecution(r),
    };
  }

  parse(request: WireRequest): ParsedOperation {
    const operation = awsJsonOperation(request, TARGET_PREFIX);
    if (operation === null || !isOperation(operation)) {
      const target = String(request.headers['x-amz-target'] ?? '(no X-Amz-Target)');
      throw new AwsError('UnknownOperationException', `Unknown operation ${target}`);
    }
    return {
      operation,
      invoke: () => {
        const result = this.run(operation, parseJsonObjectBody(request));
        return awsJsonResponse('1.0', request, toWire(result) as JsonObject);
      },
    };
  }

  /** Like `awsJsonErrorResponse`, but with the namespace SFN's front end writes before the code. */
  errorResponse(error: AwsError, request: WireRequest): WireResponse {
    const namespace = NAMESPACES[error.code] ?? SFN_NAMESPACE;
    return {
      status: error.status,
      headers: { 'content-type': awsJsonContentType('1.0'), 'x-amzn-RequestId': request.requestId },
      body: JSON.stringify({ __type: `${namespace}#${error.code}`, message: error.message }),
    };
  }

  private run<Op extends Operation>(operation: Op, body: unknown): object {
    const parsed = Requests[operation].safeParse(body);
    if (!parsed.success) throw validationError(parsed.error.issues);
    return (this.handlers[operation] as (request: unknown) => object)(parsed.data);
  }
}

function isOperation(name: string): name is Operation {
  return Object.hasOwn(Requests, name);
}

/** AWS's wording: "1 validation error detected: Value null at 'name' failed to satisfy constraint: …". */
function validationError(issues: readonly z.core.$ZodIssue[]): AwsError {
  const problems = issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const missing = issue.code === 'invalid_type' && issue.message.includes('undefined');
    return missing
      ? `Value null at '${path}' failed to satisfy constraint: Member must not be null`
      : `Value at '${path}' failed to satisfy constraint: ${issue.message}`;
  });
  const count = problems.length === 1 ? '1 validation error' : `${problems.length} validation errors`;
  return new AwsError('ValidationException', `${count} detected: ${problems.join('; ')}`);
}

/** JSON for the wire: Dates as epoch seconds (with milliseconds). */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return epochSeconds(value);
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}
