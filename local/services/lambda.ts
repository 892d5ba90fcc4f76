/**
 * Lambda's Invoke API (restJson1, `POST /2015-03-31/functions/{FunctionName}/invocations`) over a
 * registry of in-process functions: what the workflow's non-VPC step uses to run an in-VPC SSH
 * probe synchronously. Served by path, like the REST API, so it needs no SigV4 scope routing.
 * - `RequestResponse` (the default): 200 with the handler's result as JSON; a handler that
 *   throws gives 200 with `X-Amz-Function-Error: Unhandled` and the Node runtime's error
 *   document `{errorType, errorMessage, trace}`, as Lambda answers.
 * - `Event`: 202, the handler runs in the background. `DryRun`: 204, nothing runs.
 * - Unknown function or qualifier other than $LATEST: 404 ResourceNotFoundException.
 * Injected API faults (`faults.apiErrors`) do not cover Lambda.
 */
import { AwsError } from '../aws-error';
import type { PathRoute } from '../server';
import type { WireRequest, WireResponse } from './service';

export type FunctionHandler = (payload: unknown) => Promise<unknown>;

/** The functions the emulated account has, by name (the emulator's `functions`). */
export class LambdaFunctions {
  private readonly handlers = new Map<string, FunctionHandler>();

  /** Adds (or replaces) a function; `name` is a plain function name, as in FunctionName. */
  register(name: string, handler: FunctionHandler): void {
    if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name)) {
      throw new Error(
        `Lambda function name "${name}" is invalid: 1 to 64 letters, digits, hyphens or underscores.`,
      );
    }
    this.handlers.set(name, handler);
  }

  get(name: string): FunctionHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export class LambdaInvokeRoute implements PathRoute {
  constructor(
    private readonly functions: LambdaFunctions,
    private readonly account: { readonly region: string; readonly accountId: string },
    private readonly log: (line: string) => void = () => {},
    /** The caller's permission to invoke the function (IAM enforcement), checked before anything else. */
    private readonly authorize: (request: WireRequest, functionArn: string) => Promise<void> = async () => {},
  ) {}

  handles(path: string): boolean {
    return INVOKE_PATH.test(path);
  }

  async handle(request: WireRequest): Promise<WireResponse> {
    try {
      return await this.invoke(request);
    } catch (error) {
      const e =
        error instanceof AwsError ? error : new AwsError('ServiceException', (error as Error).message, 500);
      this.log(`lambda:Invoke ${e.status} ${e.code}`);
      return {
        status: e.status,
        headers: { ...JSON_HEADERS, 'x-amzn-errortype': e.code, 'x-amzn-requestid': request.requestId },
        body: JSON.stringify({ Type: e.status < 500 ? 'User' : 'Service', message: e.message }),
      };
    }
  }

  private async invoke(request: WireRequest): Promise<WireResponse> {
    if (request.method !== 'POST')
      throw new AwsError('ResourceNotFoundException', `No route for ${request.method} ${request.path}`, 404);
    const raw = decodeURIComponent(INVOKE_PATH.exec(request.path)?.[1] ?? '');
    const { name, qualifier } = this.parseFunctionName(raw, request.query.get('Qualifier'));
    await this.authorize(request, this.arn(name));
    const handler = this.functions.get(name);
    if (!handler || (qualifier !== undefined && qualifier !== '$LATEST')) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: ${this.arn(name)}${qualifier ? `:${qualifier}` : ''}`,
        404,
      );
    }
    const type = header(request, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      throw new AwsError(
        'InvalidParameterValueException',
        `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
        400,
      );
    }
    const payload = parsePayload(request.body);
    const headers = {
      ...JSON_HEADERS,
      'x-amzn-requestid': request.requestId,
      'x-amz-executed-version': '$LATEST',
    };
    if (type === 'DryRun') return { status: 204, headers, body: '' };
    if (type === 'Event') {
      void handler(payload).catch(() => {});
      this.log(`lambda:Invoke ${name} 202`);
      return { status: 202, headers, body: '' };
    }
    try {
      const result = await handler(payload);
      this.log(`lambda:Invoke ${name} 200`);
      return { status: 200, headers, body: JSON.stringify(result ?? null) };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      this.log(`lambda:Invoke ${name} 200 Unhandled ${e.name}`);
      return {
        status: 200,
        headers: { ...headers, 'x-amz-function-error': 'Unhandled' },
        body: JSON.stringify({
          errorType: e.name,
          errorMessage: e.message,
          trace: (e.stack ?? '').split('\n'),
        }),
      };
    }
  }

  /** A name, a full ARN or a partial ARN (`123456789012:function:name`), each with an optional `:qualifier`. */
  private parseFunctionName(
    raw: string,
    queryQualifier: string | null,
  ): { name: string; qualifier?: string } {
    const match =
      /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([a-zA-Z0-9-_]+)(?::([a-zA-Z0-9$_-]+))?$/.exec(
        raw,
      );
    if (!match) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern`,
        400,
      );
    }
    const [, region, account, partialAccount, name = '', pathQualifier] = match;
    const { accountId } = this.account;
    if ((region && region !== this.account.region) || (account ?? partialAccount ?? accountId) !== accountId)
      throw new AwsError('ResourceNotFoundException', `Function not found: ${raw}`, 404);
    const qualifier = pathQualifier ?? queryQualifier ?? undefined;
    return qualifier === undefined ? { name } : { name, qualifier };
  }

  private arn(name: string): string {
    return `arn:aws:lambda:${this.account.region}:${this.account.accountId}:function:${name}`;
  }
}

function header(request: WireRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Lambda hands an empty payload to the handler as `{}`; anything else must be JSON. */
function parsePayload(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AwsError(
      'InvalidRequestContentException',
      `Could not parse request body into json: ${(error as Error).message}`,
      400,
    );
  }
}
