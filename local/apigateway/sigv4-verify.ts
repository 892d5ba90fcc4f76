/**
 * What API Gateway checks of a request to an AWS_IAM method before anything else runs (and what
 * every other emulated service checks when IAM is enforced, local/iam/): a SigV4
 * `Authorization` header, scoped to the service (`execute-api` by default) in the Region, by a known access key,
 * signed recently, whose signature is the one the secret key gives. The signature is recomputed
 * with @smithy/signature-v4 (the SDK's own signer) over exactly the headers the caller signed.
 * Answers and their wording are API Gateway's: 403 with `x-amzn-ErrorType`.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NodeSha256 } from '@shared/node-sha256';
import { SignatureV4 } from '@smithy/signature-v4';

export interface KnownCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Who signs with this key, for `$context.identity.userArn`. */
  readonly arn: string;
}

export interface SignedRequest {
  readonly method: string;
  /** As received, still percent-encoded: what the caller signed. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type Verification =
  | { readonly ok: true; readonly caller: KnownCredentials }
  | { readonly ok: false; readonly errorType: string; readonly message: string };

/** How far a request's X-Amz-Date may be from now, either way (AWS's 5 minutes). */
const MAX_SKEW_MS = 5 * 60 * 1000;

export async function verifySigV4(
  request: SignedRequest,
  options: {
    region: string;
    credentials: readonly KnownCredentials[];
    nowMs?: number;
    /** The scope's service name. Default `execute-api`. */
    service?: string;
  },
): Promise<Verification> {
  const expectedService = options.service ?? 'execute-api';
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined)
    return refuse('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === 'string') return refuse('IncompleteSignatureException', parsed);
  const { accessKeyId, date, region, service, signedHeaders, signature } = parsed;
  if (service !== expectedService)
    return refuse(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${expectedService}'. `,
    );
  if (region !== options.region)
    return refuse('InvalidSignatureException', 'Credential should be scoped to a valid region. ');
  const caller = options.credentials.find((known) => known.accessKeyId === accessKeyId);
  if (caller === undefined)
    return refuse('UnrecognizedClientException', 'The security token included in the request is invalid.');
  const amzDate = header(request.headers, 'x-amz-date');
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signingDate === undefined || !amzDate.startsWith(date))
    return refuse(
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  const now = options.nowMs ?? Date.now();
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
    return refuse(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`,
    );
  }
  const declaredHash = header(request.headers, 'x-amz-content-sha256');
  if (
    declaredHash !== undefined &&
    declaredHash !== 'UNSIGNED-PAYLOAD' &&
    declaredHash !== sha256Hex(request.body)
  )
    return refuse('InvalidSignatureException', SIGNATURE_MISMATCH);

  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: caller.secretAccessKey },
    region,
    service,
    sha256: NodeSha256,
    // Sign exactly the headers the caller signed: the signer must not add x-amz-content-sha256
    // (the AWS SDK for JavaScript signs it, botocore and the AWS CLI do not).
    applyChecksum: false,
  });
  const hostHeader = header(request.headers, 'host') ?? '';
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: hostHeader.replace(/:\d+$/, ''),
      path: request.path,
      query: queryRecord(request.query),
      headers: Object.fromEntries(signedHeaders.map((name) => [name, header(request.headers, name) ?? ''])),
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
  if (!sameText(expected, signature)) return refuse('InvalidSignatureException', SIGNATURE_MISMATCH);
  return { ok: true, caller };
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const refuse = (errorType: string, message: string): Verification => ({ ok: false, errorType, message });

function parseAuthorization(value: string):
  | {
      accessKeyId: string;
      date: string;
      region: string;
      service: string;
      signedHeaders: string[];
      signature: string;
    }
  | string {
  const [algorithm, ...rest] = value.trim().split(/\s+/);
  if (algorithm !== 'AWS4-HMAC-SHA256')
    return `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${value}`;
  const fields = Object.fromEntries(
    rest
      .join(' ')
      .split(',')
      .map((part) => part.trim().split('=', 2) as [string, string | undefined])
      .filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((name) => fields[name] === undefined);
  if (missing.length > 0)
    return `${missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ')} Authorization=${value}`;
  const scope = (fields.Credential as string).split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request')
    return `Credential should be scoped to a valid region, service and request type. Authorization=${value}`;
  const [accessKeyId, date, region, service] = scope as [string, string, string, string];
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: (fields.SignedHeaders as string).split(';').map((name) => name.toLowerCase()),
    signature: fields.Signature as string,
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    record[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return record;
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
}

const formatAmzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

const sha256Hex = (body: Buffer) => createHash('sha256').update(body).digest('hex');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
