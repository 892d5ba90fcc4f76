/** EC2's filter and tag semantics, shared by every EC2 store's Describe* calls. */
import { AwsError } from '../aws-error';

export type Tags = Map<string, string>;

export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/** EC2 filter semantics: every filter must match; values within a filter are ORed; `*` and `?` are wildcards. */
export function matchesFilters(
  filters: readonly Ec2Filter[],
  valuesOf: (name: string) => readonly string[] | undefined,
): boolean {
  return filters.every((filter) => {
    const actual = valuesOf(filter.name);
    if (actual === undefined)
      throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    return filter.values.some((pattern) => actual.some((value) => wildcard(pattern).test(value)));
  });
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** `tag:<key>` → the tag's value; `tag-key` → all keys; anything else is not a tag filter. */
export function tagFilterValues(tags: Tags, name: string): readonly string[] | undefined {
  if (name.startsWith('tag:')) {
    const value = tags.get(name.slice(4));
    return value === undefined ? [] : [value];
  }
  if (name === 'tag-key') return [...tags.keys()];
  if (name === 'tag-value') return [...tags.values()];
  return undefined;
}

export function toTags(record: Readonly<Record<string, string>>): Tags {
  return new Map(Object.entries(record));
}

/** A lookup that cannot miss after validation; if it does, that is the emulator's bug. */
export function mustExist<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AwsError('InternalError', `emulator invariant: ${what} vanished`, 500);
  return value;
}
