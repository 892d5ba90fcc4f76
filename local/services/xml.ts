/**
 * The AWS Query protocol as EC2, IAM and SNS speak it: form parameters in (POST body or query
 * string), XML out. The builder returns `Xml` fragments, a branded string, so text reaches the
 * output only through `text()` and is always escaped exactly once.
 */
import type { AwsError } from '../aws-error';
import type { WireRequest, WireResponse } from './service';

export type Xml = string & { readonly __xml: unique symbol };

/** A child of an element: fragments, and nothing at all for values that are absent. */
export type XmlChild = Xml | null | undefined | false;

export type XmlScalar = string | number | boolean | Date;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Timestamps as AWS writes them in XML: ISO-8601 with milliseconds (`2018-05-08T16:46:19.000Z`). */
export function isoTimestamp(date: Date): string {
  return date.toISOString();
}

function scalarText(value: XmlScalar): string {
  return value instanceof Date ? isoTimestamp(value) : String(value);
}

/** `<name>value</name>`; nothing when the value is absent; `<name/>` for an empty string. */
export function text(name: string, value: XmlScalar | null | undefined): Xml | undefined {
  if (value === null || value === undefined) return undefined;
  const content = scalarText(value);
  return (content === '' ? `<${name}/>` : `<${name}>${escapeXml(content)}</${name}>`) as Xml;
}

/** An element with child elements; `<name/>` when every child is absent. */
export function node(name: string, ...children: XmlChild[]): Xml {
  const inner = children.filter((c): c is Xml => typeof c === 'string').join('');
  return (inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`) as Xml;
}

/** A list as EC2 (`item`) and IAM (`member`) write them; an empty list is `<name/>`. */
export function list<T>(
  name: string,
  items: Iterable<T>,
  render: (item: T) => XmlChild[],
  itemName = 'item',
): Xml {
  const rendered: Xml[] = [];
  for (const item of items) rendered.push(node(itemName, ...render(item)));
  return node(name, ...rendered);
}

/** A whole document: an optional XML declaration and a root element with a namespace. */
export function document(
  root: string,
  xmlns: string | null,
  children: XmlChild[],
  declaration: boolean,
): string {
  const inner = children.filter((c): c is Xml => typeof c === 'string').join('');
  const open = xmlns ? `<${root} xmlns="${escapeXml(xmlns)}">` : `<${root}>`;
  return `${declaration ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''}${open}${inner}</${root}>`;
}

/**
 * A Query request's parameters: the query string, then the form body of a POST (which wins).
 * The SDKs send everything in the body; the EC2 docs also show GET with a query string.
 */
export function queryParameters(request: WireRequest): URLSearchParams {
  const params = new URLSearchParams(request.query);
  const contentType = String(request.headers['content-type'] ?? '');
  if (
    request.body.length > 0 &&
    (contentType === '' || contentType.startsWith('application/x-www-form-urlencoded'))
  ) {
    for (const [key, value] of new URLSearchParams(request.body.toString('utf8'))) params.set(key, value);
  }
  return params;
}

/** The `ErrorResponse` document the Query services other than EC2 (IAM, SNS) answer an error with. */
export function queryErrorResponse(error: AwsError, request: WireRequest, xmlns: string): WireResponse {
  const body = document(
    'ErrorResponse',
    xmlns,
    [
      node(
        'Error',
        text('Type', error.status >= 500 ? 'Receiver' : 'Sender'),
        text('Code', error.code),
        text('Message', error.message),
      ),
      text('RequestId', request.requestId),
    ],
    false,
  );
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': request.requestId },
    body,
  };
}
