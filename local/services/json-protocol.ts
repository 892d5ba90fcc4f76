/**
 * Pieces the JSON-speaking adapters share: the awsJson1_0 / awsJson1_1 protocols (SSM, Step
 * Functions: `POST /`, `X-Amz-Target: <Prefix>.<Operation>`, JSON in and out, errors as
 * `{"__type": <Code>, "message": …}`) and JSON request bodies in general (Backup's restJson1 too).
 */
import { AwsError } from '../aws-error';
import type { WireRequest, WireResponse } from './service';

export type JsonObject = Record<string, unknown>;

/** The awsJson protocol version, which is also the content type's suffix. */
export type AwsJsonVersion = '1.0' | '1.1';

export function awsJsonContentType(version: AwsJsonVersion): string {
  return `application/x-amz-json-${version}`;
}

/**
 * The operation an awsJson request names in `X-Amz-Target`, or null when the header is absent
 * or names another service's prefix.
 */
export function awsJsonOperation(request: WireRequest, targetPrefix: string): string | null {
  const target = request.headers['x-amz-target'];
  const value = Array.isArray(target) ? target[0] : target;
  if (!value?.startsWith(`${targetPrefix}.`)) return null;
  const operation = value.slice(targetPrefix.length + 1);
  return operation === '' ? null : operation;
}

/**
 * A JSON object request body; an empty body counts as `{}` (SDKs send no body for an input with
 * no members). Anything that is not a JSON object is a SerializationException, as AWS answers.
 */
export function parseJsonObjectBody(request: WireRequest): JsonObject {
  const text = request.body.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AwsError(
      'SerializationException',
      `Request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (!isJsonObject(parsed))
    throw new AwsError('SerializationException', 'Request body must be a JSON object');
  return parsed;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Timestamps in JSON bodies: epoch seconds as a number, with milliseconds as the fraction. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** A 200 awsJson response. */
export function awsJsonResponse(
  version: AwsJsonVersion,
  request: WireRequest,
  output: JsonObject,
): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': awsJsonContentType(version), 'x-amzn-RequestId': request.requestId },
    body: JSON.stringify(output),
  };
}

/**
 * The awsJson error envelope: the status, and `__type` naming the code. Most services' error
 * shapes call the text `message`; some shapes (e.g. SSM's InternalServerError) model `Message`,
 * which `capitalMessageCodes` lists.
 */
export function awsJsonErrorResponse(
  version: AwsJsonVersion,
  error: AwsError,
  request: WireRequest,
  capitalMessageCodes: ReadonlySet<string> = new Set(),
): WireResponse {
  const messageKey = capitalMessageCodes.has(error.code) ? 'Message' : 'message';
  return {
    status: error.status,
    headers: { 'content-type': awsJsonContentType(version), 'x-amzn-RequestId': request.requestId },
    body: JSON.stringify({ __type: error.code, [messageKey]: error.message }),
  };
}
