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
