/**
 * AWS's identity-policy evaluation for one request (action, resource, context): an explicit Deny
 * in any statement wins, else an Allow, else the implicit deny (docs/aws-facts.md I.6). It knows
 * exactly the policy grammar the synthesised stacks and the AWS-managed policies they attach
 * use: Action/NotAction, Resource/NotResource (wildcards `*` and `?`), and the condition
 * operators below with their `IfExists` suffix and `ForAllValues:`/`ForAnyValue:` prefixes. An
 * operator it does not know makes an Allow statement not apply and a Deny statement apply, so
 * either way the request is refused rather than let through (fail safe). Policy variables
 * (`${aws:username}`) are not substituted: none of the evaluated policies use them.
 */

export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** A policy as the evaluator sees it: where it comes from (for messages) and its document. */
export interface NamedPolicy {
  /** Inline policy name or managed policy ARN. */
  readonly name: string;
  readonly document: PolicyDocument;
}

/** Context keys → values. Keys are matched case-insensitively, as IAM does. */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

export interface EvaluationRequest {
  /** `service:Action`, e.g. `ec2:TerminateInstances`. */
  readonly action: string;
  /** The resource ARN, or `*` for actions without resource types. */
  readonly resource: string;
  readonly context: RequestContext;
}

export interface Evaluation {
  readonly decision: Decision;
  /** The statements that decided it (the Deny ones for explicitDeny, the Allow ones for allowed). */
  readonly matched: readonly { readonly policy: string; readonly sid?: string }[];
}

export function evaluate(policies: readonly NamedPolicy[], request: EvaluationRequest): Evaluation {
  const context = lowerKeys(request.context);
  const denies: { policy: string; sid?: string }[] = [];
  const allows: { policy: string; sid?: string }[] = [];
  for (const policy of policies) {
    for (const statement of asList(policy.document.Statement)) {
      if (!appliesTo(statement, request, context)) continue;
      const matched = { policy: policy.name, ...(statement.Sid !== undefined && { sid: statement.Sid }) };
      (statement.Effect === 'Deny' ? denies : allows).push(matched);
    }
  }
  if (denies.length > 0) return { decision: 'explicitDeny', matched: denies };
  if (allows.length > 0) return { decision: 'allowed', matched: allows };
  return { decision: 'implicitDeny', matched: [] };
}

function appliesTo(
  statement: PolicyStatement,
  request: EvaluationRequest,
  context: ReadonlyMap<string, readonly string[]>,
): boolean {
  const deny = statement.Effect === 'Deny';
  const actionMatches = (patterns: string | readonly string[]) =>
    asList(patterns).some((pattern) => wildcard(pattern, request.action, true));
  if (statement.Action !== undefined && !actionMatches(statement.Action)) return false;
  if (statement.NotAction !== undefined && actionMatches(statement.NotAction)) return false;
  if (statement.Action === undefined && statement.NotAction === undefined) return false;
  const resourceMatches = (patterns: string | readonly string[]) =>
    asList(patterns).some((pattern) => resourceMatch(pattern, request.resource));
  if (statement.Resource !== undefined && !resourceMatches(statement.Resource)) return false;
  if (statement.NotResource !== undefined && resourceMatches(statement.NotResource)) return false;
  if (statement.Resource === undefined && statement.NotResource === undefined) return false;
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const outcome = condition(operator, context.get(key.toLowerCase()), asStrings(expected));
      if (outcome === 'unknown') {
        if (!deny) return false;
        continue;
      }
      if (!outcome) return false;
    }
  }
  return true;
}

/**
 * A Resource pattern against the request's resource. The resource `*` (an action without
 * resource types, or one this emulator cannot map: local/iam/request-resources.ts) is matched
 * only by a pattern that is itself all wildcards, so a statement scoped to ARNs never covers it.
 */
function resourceMatch(pattern: string, resource: string): boolean {
  if (resource === '*') return /^\*+$/.test(pattern);
  return wildcard(pattern, resource, false);
}

type Outcome = boolean | 'unknown';

const STRING_OPERATORS: Record<string, (actual: string, expected: string) => boolean> = {
  StringEquals: (a, e) => a === e,
  StringNotEquals: (a, e) => a !== e,
  StringEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringNotEqualsIgnoreCase: (a, e) => a.toLowerCase() !== e.toLowerCase(),
  StringLike: (a, e) => wildcard(e, a, false),
  StringNotLike: (a, e) => !wildcard(e, a, false),
  ArnEquals: (a, e) => arnMatch(e, a),
  ArnLike: (a, e) => arnMatch(e, a),
  ArnNotEquals: (a, e) => !arnMatch(e, a),
  ArnNotLike: (a, e) => !arnMatch(e, a),
  NumericEquals: (a, e) => Number(a) === Number(e),
  NumericNotEquals: (a, e) => Number(a) !== Number(e),
  NumericLessThan: (a, e) => Number(a) < Number(e),
  NumericLessThanEquals: (a, e) => Number(a) <= Number(e),
  NumericGreaterThan: (a, e) => Number(a) > Number(e),
  NumericGreaterThanEquals: (a, e) => Number(a) >= Number(e),
  Bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
};

/** Negated operators: with several expected values, all must hold (AWS: "none of the values"). */
const NEGATED = /^(StringNot|ArnNot|NumericNotEquals)/;

/**
 * One condition key's test. `actual` is undefined when the request lacks the key: a plain
 * operator then fails (but `…IfExists` passes), a negated one (StringNotLike, ArnNotLike…) passes
 * (IAM User Guide, condition operators: "If the policy condition requires that the key is not
 * matched … and the right key is not present, the condition is true"), `ForAllValues:` passes
 * (vacuous truth) and `ForAnyValue:` fails.
 */
export function condition(
  operator: string,
  actual: readonly string[] | undefined,
  expected: string[],
): Outcome {
  if (operator === 'Null') {
    const wantsAbsent = expected.some((value) => value.toLowerCase() === 'true');
    return wantsAbsent === (actual === undefined || actual.length === 0);
  }
  let set: 'all' | 'any' | undefined;
  let name = operator;
  if (name.startsWith('ForAllValues:')) {
    set = 'all';
    name = name.slice('ForAllValues:'.length);
  } else if (name.startsWith('ForAnyValue:')) {
    set = 'any';
    name = name.slice('ForAnyValue:'.length);
  }
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  const test = STRING_OPERATORS[name];
  if (test === undefined) return 'unknown';
  const negated = NEGATED.test(name);
  const one = (value: string) =>
    negated ? expected.every((e) => test(value, e)) : expected.some((e) => test(value, e));
  if (actual === undefined || actual.length === 0) {
    if (set === 'all') return true;
    if (set === 'any') return false;
    return ifExists || negated;
  }
  if (set === 'all') return actual.every(one);
  if (set === 'any') return actual.some(one);
  // A single-valued operator on a multivalued key: AWS compares each value; any match counts.
  return actual.some(one);
}

/** ARN comparison: per colon-separated part, each with `*`/`?` wildcards (ArnLike semantics). */
function arnMatch(pattern: string, arn: string): boolean {
  const patternParts = pattern.split(':');
  const arnParts = arn.split(':');
  if (patternParts.length < 6 || arnParts.length < 6) return wildcard(pattern, arn, false);
  // The resource part may itself contain colons: compare the first five parts, then the rest.
  const head = (parts: string[]) => parts.slice(0, 5);
  const tail = (parts: string[]) => parts.slice(5).join(':');
  return (
    head(patternParts).every((part, i) => wildcard(part, arnParts[i] ?? '', false)) &&
    wildcard(tail(patternParts), tail(arnParts), false)
  );
}

/** IAM's glob: `*` any run of characters (colons and slashes too), `?` one character. */
export function wildcard(pattern: string, text: string, ignoreCase: boolean): boolean {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let compiled = compiledPatterns.get(cacheKey);
  if (compiled === undefined) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    compiled = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    compiledPatterns.set(cacheKey, compiled);
  }
  return compiled.test(text);
}

/** Every request evaluates the same few hundred patterns: each is compiled once. */
const compiledPatterns = new Map<string, RegExp>();

function asList<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function asStrings(value: unknown): string[] {
  return asList(value as unknown).map((v) => String(v));
}

function lowerKeys(context: RequestContext): Map<string, readonly string[]> {
  return new Map(
    Object.entries(context).map(([key, value]) => [
      key.toLowerCase(),
      typeof value === 'string' ? [value] : value,
    ]),
  );
}
