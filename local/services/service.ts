/**
 * The contract between the HTTP front door (`../server.ts`) and each emulated service's
 * protocol adapter. An adapter parses a wire request into an operation, runs it against the
 * world, and serialises results and errors in its service's real wire format.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsError } from '../aws-error';

export type ServiceName = 'ec2' | 'backup' | 'ssm' | 'iam' | 'sfn' | 'sns';

export interface WireRequest {
  readonly method: string;
  /** Raw path, still percent-encoded (Backup puts ARNs in path segments). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly requestId: string;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ParsedOperation {
  /** The API operation name, e.g. `DescribeInstances`, for fault injection and logs. */
  readonly operation: string;
  invoke(): Promise<WireResponse> | WireResponse;
}

export interface ServiceAdapter {
  readonly service: ServiceName;
  /** Throws AwsError (e.g. the service's unknown-operation error) when the request is not one it knows. */
  parse(request: WireRequest): ParsedOperation;
  /** The service's error envelope. */
  errorResponse(error: AwsError, request: WireRequest): WireResponse;
}
