/**
 * API Gateway's mapping templates (REST APIs) on a real Velocity engine, `velocityjs`, with the
 * variables API Gateway gives a template: `$input` (body, json, path, params), `$util`,
 * `$context` (with `responseOverride`, read back after an integration response template) and
 * `$stageVariables`. API Gateway runs Java Velocity, so a string in a template is a
 * java.lang.String: the Java methods the templates use (replaceAll and replaceFirst with a regex,
 * contains, length, …) are added here, since velocityjs calls the JavaScript method of the same
 * name or prints the reference (docs/aws-facts.md §I.8).
 */
import { JSONPath } from 'jsonpath-plus';
import velocity from 'velocityjs';

export interface RequestParams {
  readonly path: Readonly<Record<string, string>>;
  readonly querystring: Readonly<Record<string, string>>;
  readonly header: Readonly<Record<string, string>>;
}

export interface MappingInput {
  /** The payload: the method request's body, or in a response template the integration's. */
  readonly body: string;
  readonly params: RequestParams;
  /** `$context`; a template may set `$context.responseOverride.status` / `.header.X`. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly stageVariables?: Readonly<Record<string, string>>;
}

export interface MappingResult {
  readonly output: string;
  readonly responseOverride: { readonly status?: number; readonly header: Readonly<Record<string, string>> };
}

export function renderMappingTemplate(template: string, input: MappingInput): MappingResult {
  const responseOverride: { status?: unknown; header: Record<string, string> } = { header: {} };
  const requestOverride = { header: {}, path: {}, querystring: {} };
  const context = { ...input.context, responseOverride, requestOverride };
  const output = velocity.render(
    template,
    {
      input: inputVariable(input),
      util: UTIL,
      context,
      stageVariables: { ...input.stageVariables },
    },
    undefined,
    { customMethodHandlers: JAVA_METHODS },
  );
  const status = responseOverride.status === undefined ? undefined : Number(responseOverride.status);
  return {
    output,
    responseOverride: {
      ...(status !== undefined && Number.isInteger(status) ? { status } : {}),
      header: { ...responseOverride.header },
    },
  };
}

/** `$input`: its JSONPath reads parse the payload once, and a payload that is not JSON reads as absent. */
function inputVariable({ body, params }: MappingInput) {
  let parsed: { value: unknown } | undefined;
  const document = () => {
    if (parsed === undefined) {
      try {
        parsed = { value: JSON.parse(body === '' ? '{}' : body) };
      } catch {
        parsed = { value: undefined };
      }
    }
    return parsed.value;
  };
  const select = (path: unknown): unknown => {
    const json = document();
    if (json === undefined) return undefined;
    if (path === '$') return json;
    const found = JSONPath({ path: String(path), json: json as object, wrap: true }) as unknown[];
    return found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
  };
  return {
    body,
    // A JSON string of what the path selects; an absent value is the empty string (what
    // LocalStack does; what API Gateway prints is unconfirmed, §I.8), and the templates here
    // guard every optional field with #if before reading it this way.
    json: (path: unknown) => {
      const value = select(path);
      return value === undefined ? '' : JSON.stringify(value);
    },
    path: select,
    // `$input.params()` is every parameter by location; `$input.params(x)` looks in path,
    // querystring, then header, and an absent one is "".
    params: (name?: unknown) => {
      if (name === undefined) {
        return {
          path: { ...params.path },
          querystring: { ...params.querystring },
          header: { ...params.header },
        };
      }
      const key = String(name);
      return (
        params.path[key] ??
        params.querystring[key] ??
        params.header[key] ??
        findHeader(params.header, key) ??
        ''
      );
    },
  };
}

function findHeader(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.entries(headers).find(([key]) => key.toLowerCase() === lower)?.[1];
}

/** `$util`, as the API Gateway developer guide's mapping template reference defines it. */
const UTIL = {
  escapeJavaScript: (value: unknown) => escapeJavaScript(value === undefined ? '' : String(value)),
  parseJson: (value: unknown) => JSON.parse(String(value)) as unknown,
  urlEncode: (value: unknown) => formEncode(String(value)),
  urlDecode: (value: unknown) => decodeURIComponent(String(value).replaceAll('+', ' ')),
  base64Encode: (value: unknown) => Buffer.from(String(value), 'utf8').toString('base64'),
  base64Decode: (value: unknown) => Buffer.from(String(value), 'base64').toString('utf8'),
};

/**
 * Apache Commons Lang 2 `StringEscapeUtils.escapeJavaScript`, which API Gateway's is: `'` `"` `\`
 * and `/` get a backslash, control characters their short escapes or `\u00XX`, and every
 * character above 0x7f `\uXXXX`. `\'` is not valid JSON: the templates undo it with
 * `.replaceAll("\\'", "'")`, as the developer guide advises.
 */
export function escapeJavaScript(text: string): string {
  let out = '';
  for (const char of text) {
    for (let i = 0; i < char.length; i++) {
      const code = char.charCodeAt(i);
      const single = char.length === 1 ? char : undefined;
      if (code > 0x7f) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      else if (single !== undefined && SHORT_ESCAPES[single] !== undefined) out += SHORT_ESCAPES[single];
      else if (code < 0x20) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      else out += String.fromCharCode(code);
    }
  }
  return out;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\b': '\\b',
  '\n': '\\n',
  '\t': '\\t',
  '\f': '\\f',
  '\r': '\\r',
  "'": "\\'",
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
};

/** java.net.URLEncoder.encode(s, "UTF-8"): form encoding, space as +. */
function formEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
}

/** A Java regex replacement (`$1` a group, `\$` a literal) as a JavaScript one (`$$` a literal). */
function javaReplacement(replacement: string): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const char = replacement[i];
    if (char === '\\' && i + 1 < replacement.length) {
      const next = replacement[++i] as string;
      out += next === '$' ? '$$' : next;
    } else out += char;
  }
  return out;
}

type JavaMethod = (self: string, params: readonly unknown[]) => unknown;

const regex = (pattern: unknown, flags = '') => new RegExp(String(pattern), flags);

/** java.lang.String methods whose JavaScript namesake differs or is missing. */
const STRING_METHODS: Readonly<Record<string, JavaMethod>> = {
  replaceAll: (s, [pattern, replacement]) =>
    s.replace(regex(pattern, 'g'), javaReplacement(String(replacement))),
  replaceFirst: (s, [pattern, replacement]) =>
    s.replace(regex(pattern), javaReplacement(String(replacement))),
  replace: (s, [target, replacement]) => s.replaceAll(String(target), () => String(replacement)),
  matches: (s, [pattern]) => regex(`^(?:${String(pattern)})$`).test(s),
  split: (s, [pattern]) => {
    const parts = s.split(regex(pattern));
    while (parts.length > 0 && parts.at(-1) === '') parts.pop(); // Java drops trailing empty strings
    return parts;
  },
  contains: (s, [part]) => s.includes(String(part)),
  length: (s) => s.length,
  isEmpty: (s) => s.length === 0,
  equals: (s, [other]) => s === other,
  equalsIgnoreCase: (s, [other]) => typeof other === 'string' && s.toLowerCase() === other.toLowerCase(),
  startsWith: (s, [prefix, offset]) =>
    s.startsWith(String(prefix), offset === undefined ? 0 : Number(offset)),
  endsWith: (s, [suffix]) => s.endsWith(String(suffix)),
  indexOf: (s, [part, from]) => s.indexOf(String(part), from === undefined ? 0 : Number(from)),
  lastIndexOf: (s, [part]) => s.lastIndexOf(String(part)),
  substring: (s, [begin, end]) => {
    const from = Number(begin);
    const to = end === undefined ? s.length : Number(end);
    // Java throws where JavaScript clamps: the template fails, as it would on API Gateway.
    if (from < 0 || to > s.length || from > to)
      throw new Error(`String index out of range: begin ${from}, end ${to}, length ${s.length}`);
    return s.substring(from, to);
  },
  charAt: (s, [index]) => s.charAt(Number(index)),
  trim: (s) => s.trim(),
  toLowerCase: (s) => s.toLowerCase(),
  toUpperCase: (s) => s.toUpperCase(),
};

/** java.util.Map and List methods velocityjs lacks on plain objects and arrays. */
const COLLECTION_METHODS: Readonly<Record<string, (self: object, params: readonly unknown[]) => unknown>> = {
  containsKey: (self, [key]) => !Array.isArray(self) && Object.hasOwn(self, String(key)),
  isEmpty: (self) => (Array.isArray(self) ? self.length === 0 : collectionKeys(self).length === 0),
  size: (self) => (Array.isArray(self) ? self.length : collectionKeys(self).length),
  get: (self, [key]) =>
    Array.isArray(self) ? self[Number(key)] : (self as Record<string, unknown>)[String(key)],
};

// velocityjs puts an `eval` helper on every object whose method a template calls.
const collectionKeys = (self: object) => Object.keys(self).filter((key) => key !== 'eval');

const JAVA_METHODS = [
  {
    uid: 'java.lang.String',
    match: ({ property, context }: { property: string; context: unknown }) =>
      typeof context === 'string' && Object.hasOwn(STRING_METHODS, property),
    resolve: ({ property, context, params }: { property: string; context: unknown; params: unknown[] }) =>
      (STRING_METHODS[property] as JavaMethod)(context as string, params),
  },
  {
    uid: 'java.util.Collection',
    match: ({ property, context }: { property: string; context: unknown }) =>
      typeof context === 'object' &&
      context !== null &&
      Object.hasOwn(COLLECTION_METHODS, property) &&
      typeof (context as Record<string, unknown>)[property] !== 'function',
    resolve: ({ property, context, params }: { property: string; context: unknown; params: unknown[] }) =>
      COLLECTION_METHODS[property]?.(context as object, params),
  },
];
