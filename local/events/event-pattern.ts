/**
 * EventBridge event patterns, matched as EventBridge matches them: every field the pattern names
 * must match (fields it does not name are ignored); a leaf is a list of alternatives, each an
 * exact value or a content filter; an event field that is an array matches when any element does.
 * Content filters: `prefix`, `suffix`, `anything-but` (a value, a list, or `{prefix}`), `exists`,
 * `equals-ignore-case` and `numeric`. Any other filter is refused by name rather than guessed
 * (a rule the emulator cannot read must not silently match nothing, or everything).
 */

export type EventPattern = { readonly [field: string]: EventPattern | readonly unknown[] };

export class UnsupportedPatternError extends Error {}

/** Throws UnsupportedPatternError when the pattern uses something this matcher does not implement. */
export function checkPattern(pattern: unknown, path = ''): void {
  if (!isObject(pattern))
    throw new UnsupportedPatternError(`event pattern ${path || '(root)'} must be an object`);
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (Array.isArray(value)) {
      for (const alternative of value) if (isObject(alternative)) checkFilter(alternative, at);
    } else if (isObject(value)) checkPattern(value, at);
    else throw new UnsupportedPatternError(`event pattern field ${at} must be a list or an object`);
  }
}

export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isObject(event)) return false;
  for (const [key, expected] of Object.entries(pattern)) {
    const value = event[key];
    if (Array.isArray(expected)) {
      if (!matchesLeaf(expected, value)) return false;
    } else if (!matchesPattern(expected as EventPattern, value)) return false;
  }
  return true;
}

function matchesLeaf(alternatives: readonly unknown[], value: unknown): boolean {
  // `exists: false` is the one filter that matches an absent field.
  if (value === undefined) return alternatives.some((a) => isObject(a) && a.exists === false);
  const values = Array.isArray(value) ? value : [value];
  return alternatives.some((alternative) =>
    isObject(alternative)
      ? 'exists' in alternative
        ? alternative.exists === true
        : values.some((v) => matchesFilter(alternative, v))
      : values.some((v) => v === alternative),
  );
}

function matchesFilter(filter: Record<string, unknown>, value: unknown): boolean {
  const [name, operand] = Object.entries(filter)[0] ?? [];
  switch (name) {
    case 'prefix':
      return typeof value === 'string' && typeof operand === 'string' && value.startsWith(operand);
    case 'suffix':
      return typeof value === 'string' && typeof operand === 'string' && value.endsWith(operand);
    case 'equals-ignore-case':
      return (
        typeof value === 'string' &&
        typeof operand === 'string' &&
        value.toLowerCase() === operand.toLowerCase()
      );
    case 'anything-but':
      if (isObject(operand) && typeof operand.prefix === 'string') {
        return typeof value === 'string' && !value.startsWith(operand.prefix);
      }
      return !(Array.isArray(operand) ? operand : [operand]).includes(value);
    case 'numeric':
      return typeof value === 'number' && matchesNumeric(operand as unknown[], value);
    default:
      throw new UnsupportedPatternError(`event pattern filter ${name} is not supported by the emulator`);
  }
}

function matchesNumeric(conditions: readonly unknown[], value: number): boolean {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const ok = {
      '=': value === bound,
      '<': value < bound,
      '<=': value <= bound,
      '>': value > bound,
      '>=': value >= bound,
    }[conditions[i] as string];
    if (!ok) return false;
  }
  return true;
}

const SUPPORTED = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);

function checkFilter(filter: Record<string, unknown>, at: string): void {
  const names = Object.keys(filter);
  const unsupported = names.find((n) => !SUPPORTED.has(n));
  if (names.length !== 1 || unsupported) {
    throw new UnsupportedPatternError(
      `event pattern field ${at}: filter ${JSON.stringify(filter)} is not supported by the emulator (it implements ${[...SUPPORTED].join(', ')})`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
