/**
 * Just enough of IAM's matching to ask a synthesised policy "does this allow that ARN?" offline:
 * the intrinsics CDK writes into resource ARNs, resolved with the physical values a test chooses,
 * and IAM's wildcards (`*` any run of characters, `:` and `/` included; `?` one character).
 */
import { actionsOf, type Statement } from './synth';

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select and Fn::Split; a Ref or GetAtt must be in `refs`. */
export function resolveIntrinsics(value: unknown, refs: Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  const parts = resolveAny(value, refs);
  if (typeof parts !== 'string') throw new Error(`Not a string: ${JSON.stringify(value)}`);
  return parts;
}

function resolveAny(value: unknown, refs: Readonly<Record<string, string>>): string | string[] {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, refs));
  const known = (key: string) => {
    const found = refs[key];
    if (found === undefined) throw new Error(`No value given for ${key}`);
    return found;
  };
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return known(intrinsic.Ref as string);
  if ('Fn::GetAtt' in intrinsic) return known((intrinsic['Fn::GetAtt'] as string[]).join('.'));
  if ('Fn::Join' in intrinsic) {
    const [separator, items] = intrinsic['Fn::Join'] as [string, unknown[]];
    return items.map((item) => resolveIntrinsics(item, refs)).join(separator);
  }
  if ('Fn::Select' in intrinsic) {
    const [index, list] = intrinsic['Fn::Select'] as [number, unknown];
    const items = resolveAny(list, refs);
    if (!Array.isArray(items) || items[index] === undefined) throw new Error('Fn::Select out of range');
    return items[index];
  }
  if ('Fn::Split' in intrinsic) {
    const [separator, text] = intrinsic['Fn::Split'] as [string, unknown];
    return resolveIntrinsics(text, refs).split(separator);
  }
  throw new Error(`Unsupported intrinsic: ${JSON.stringify(value)}`);
}

/** IAM's wildcard match of an ARN (case-sensitive) or an action (case-insensitive). */
export function globMatches(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}

/**
 * Whether some Allow statement names this action on a resource matching this ARN, conditions
 * aside (a condition can only narrow an Allow; the tests ask about what is possible at all).
 * NotAction and NotResource are not used by the policies this is asked about: they throw.
 */
export function allowsOn(
  statements: readonly Statement[],
  action: string,
  arn: string,
  refs: Readonly<Record<string, string>>,
): boolean {
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    if ('NotAction' in statement || statement.NotResource !== undefined) {
      throw new Error('allowsOn does not evaluate NotAction or NotResource');
    }
    if (!actionsOf(statement).some((pattern) => globMatches(pattern, action, true))) return false;
    return [statement.Resource]
      .flat()
      .some((resource) => globMatches(resolveIntrinsics(resource, refs), arn));
  });
}

/** What a request brings to condition matching: the resource's tags and the request's. */
export interface RequestContext {
  /** aws:ResourceTag/<key> and ec2:ResourceTag/<key>. */
  readonly resourceTags?: Readonly<Record<string, string>>;
  /** aws:RequestTag/<key>, and aws:TagKeys (their keys). */
  readonly requestTags?: Readonly<Record<string, string>>;
  /** Any other key, such as ec2:CreateAction. */
  readonly keys?: Readonly<Record<string, string>>;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** Keys that hold several values, which a condition must qualify with ForAllValues/ForAnyValue. */
const MULTI_VALUED = new Set(['aws:tagkeys']);

/**
 * IAM's decision for one action on one resource (docs/aws-facts.md I.6): an explicit Deny whose
 * conditions hold wins, then an Allow whose conditions hold; otherwise the implicit deny. Condition
 * operators: String(Not)Equals, String(Not)Like, Null, the ForAllValues/ForAnyValue qualifiers and
 * IfExists; any other operator throws, so a policy using one cannot be misread as passing.
 */
export function evaluate(
  statements: readonly Statement[],
  action: string,
  arn: string,
  context: RequestContext,
  refs: Readonly<Record<string, string>> = {},
): Decision {
  const applies = (statement: Statement) =>
    allowsOn([{ ...statement, Effect: 'Allow' }], action, arn, refs) &&
    conditionsHold(statement.Condition ?? {}, context, refs);
  if (statements.some((statement) => statement.Effect === 'Deny' && applies(statement))) {
    return 'ExplicitlyDenied';
  }
  return statements.some((statement) => statement.Effect === 'Allow' && applies(statement))
    ? 'Allowed'
    : 'ImplicitlyDenied';
}

function contextValues(key: string, context: RequestContext): string[] | undefined {
  const tag = /^(?:aws|ec2):(ResourceTag|RequestTag)\/(.+)$/.exec(key);
  if (tag) {
    const tags = tag[1] === 'ResourceTag' ? context.resourceTags : context.requestTags;
    const value = tags?.[tag[2] as string];
    return value === undefined ? undefined : [value];
  }
  if (key.toLowerCase() === 'aws:tagkeys') {
    return context.requestTags === undefined ? undefined : Object.keys(context.requestTags);
  }
  const value = context.keys?.[key];
  return value === undefined ? undefined : [value];
}

function conditionsHold(
  conditions: Record<string, Record<string, unknown>>,
  context: RequestContext,
  refs: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(conditions).every(([operator, block]) =>
    Object.entries(block).every(([key, wanted]) => {
      const patterns = [wanted].flat().map((value) => resolveIntrinsics(value, refs));
      return conditionHolds(operator, key, patterns, contextValues(key, context));
    }),
  );
}

function conditionHolds(
  operator: string,
  key: string,
  patterns: readonly string[],
  values: readonly string[] | undefined,
): boolean {
  const [qualifier, base] = operator.includes(':') ? operator.split(':') : [undefined, operator];
  const ifExists = (base as string).endsWith('IfExists');
  const name = (base as string).replace(/IfExists$/, '');
  if (name === 'Null') {
    if (qualifier) throw new Error(`Unsupported condition operator ${operator}`);
    return patterns.some((pattern) => (pattern === 'true') === (values === undefined));
  }
  const match = matcher(name, operator);
  if (qualifier === undefined && MULTI_VALUED.has(key.toLowerCase())) {
    throw new Error(`${key} holds several values: ${operator} needs ForAllValues or ForAnyValue`);
  }
  if (qualifier === 'ForAllValues') return (values ?? []).every((value) => match(value, patterns));
  if (qualifier === 'ForAnyValue') return (values ?? []).some((value) => match(value, patterns));
  if (qualifier !== undefined) throw new Error(`Unsupported condition operator ${operator}`);
  if (values === undefined) return ifExists || name.startsWith('StringNot');
  return values.some((value) => match(value, patterns));
}

/** Whether one value passes the operator given the policy's values (any of them, or none for Not). */
function matcher(name: string, operator: string): (value: string, patterns: readonly string[]) => boolean {
  switch (name) {
    case 'StringEquals':
      return (value, patterns) => patterns.includes(value);
    case 'StringNotEquals':
      return (value, patterns) => !patterns.includes(value);
    case 'StringLike':
      return (value, patterns) => patterns.some((pattern) => globMatches(pattern, value));
    case 'StringNotLike':
      return (value, patterns) => !patterns.some((pattern) => globMatches(pattern, value));
    default:
      throw new Error(`Unsupported condition operator ${operator}`);
  }
}
