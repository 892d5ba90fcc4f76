/**
 * The emulator's one HTTP endpoint on loopback. It tells the services apart the way AWS's own
 * front ends would see them: the `X-Amz-Target` header (JSON protocols: SSM, Step Functions),
 * the SigV4 credential scope's service name (EC2, IAM, Backup), and for unsigned requests the
 * shape of the request. Injected faults apply here, before the service runs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from './aws-error';
import type { FaultInjector } from './faults';
import { newRequestId } from './ids';
import type { ServiceAdapter, ServiceName, WireRequest, WireResponse } from './services/service';

const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface HttpFrontDoorOptions {
  readonly adapters: Readonly<Record<ServiceName, ServiceAdapter>>;
  readonly faults: FaultInjector;
  /** Runs before every request (moves the world to the current simulated time). */
  readonly beforeRequest?: () => void;
  /** Marks a request in flight until the returned function is called (the simulated clock's hold). */
  readonly track?: () => () => void;
  readonly log?: (line: string) => void;
  /** Front ends served by path rather than by service (the REST API under `/restapis/`). */
  readonly routes?: readonly PathRoute[];
  /**
   * Authentication and authorisation (local/iam/iam-enforcer.ts): throws the service's AwsError
   * when the signer may not make this request. Runs after parsing, before faults and the service.
   */
  readonly authorize?: (service: ServiceName, operation: string, request: WireRequest) => Promise<void>;
}

export interface PathRoute {
  handles(path: string): boolean;
  handle(request: WireRequest): Promise<WireResponse>;
}

export function identifyService(req: {
  headers: IncomingMessage['headers'];
  body: Buffer;
  path: string;
}): ServiceName {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith('AWSStepFunctions.')) return 'sfn';
  if (target.startsWith('AmazonSSM.')) return 'ssm';
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([a-z0-9-]+)\/aws4_request/.exec(
    String(req.headers.authorization ?? ''),
  );
  switch (scope?.[1]) {
    case 'ec2':
      return 'ec2';
    case 'iam':
      return 'iam';
    case 'backup':
      return 'backup';
    case 'states':
      return 'sfn';
    case 'ssm':
      return 'ssm';
    case 'sns':
      return 'sns';
  }
  const form = new URLSearchParams(req.body.toString('utf8'));
  if (form.has('Action') && form.get('Version') === '2010-03-31') return 'sns';
  if (form.has('Action')) return form.get('Version') === '2010-05-08' ? 'iam' : 'ec2';
  return 'backup';
}

export async function startHttpFrontDoor(
  host: string,
  port: number,
  options: HttpFrontDoorOptions,
): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    const done = options.track?.();
    void handle(req, res, options).finally(() => done?.());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, endpoint: `http://${host}:${address.port}` };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpFrontDoorOptions,
): Promise<void> {
  const requestId = newRequestId();
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (error) {
    send(res, { status: 413, headers: { 'content-type': 'text/plain' }, body: (error as Error).message });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://emulator');
  const wire: WireRequest = {
    method: req.method ?? 'GET',
    path: (req.url ?? '/').split('?')[0] ?? '/',
    query: url.searchParams,
    headers: req.headers,
    body,
    requestId,
  };
  const route = options.routes?.find((candidate) => candidate.handles(wire.path));
  if (route !== undefined) {
    options.beforeRequest?.();
    const response = await route.handle(wire).catch((error: unknown) => {
      options.log?.(
        `${wire.method} ${wire.path} 500 ${error instanceof Error ? error.message : String(error)}`,
      );
      return {
        status: 500,
        headers: { 'content-type': 'application/json' },
        body: '{"message": "Internal server error"}',
      };
    });
    send(res, response);
    return;
  }
  const service = identifyService({ headers: req.headers, body, path: wire.path });
  const adapter = options.adapters[service];
  let operation = '(unknown)';
  try {
    options.beforeRequest?.();
    const parsed = adapter.parse(wire);
    operation = parsed.operation;
    await options.authorize?.(service, operation, wire);
    options.faults.check(service, operation);
    const response = await parsed.invoke();
    options.log?.(`${service}:${operation} ${response.status}`);
    send(res, response);
  } catch (error) {
    const awsError =
      error instanceof AwsError
        ? error
        : new AwsError(
            'InternalFailure',
            `emulator error: ${error instanceof Error ? error.message : String(error)}`,
            500,
          );
    options.log?.(`${service}:${operation} ${awsError.status} ${awsError.code}`);
    send(res, adapter.errorResponse(awsError, wire));
  }
}

function send(res: ServerResponse, response: WireResponse): void {
  res.writeHead(response.status, { 'content-length': Buffer.byteLength(response.body), ...response.headers });
  res.end(response.body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
