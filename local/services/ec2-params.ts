/**
 * EC2's Query request parameters: flattened, 1-indexed form fields (`InstanceId.1`,
 * `Filter.1.Value.1`, `TagSpecification.1.Tag.1.Key`), read the way botocore's EC2 serializer
 * writes them, with EC2's errors for missing and malformed values; and MaxResults/NextToken paging.
 */
import { AwsError } from '../aws-error';
import type { Ec2Filter } from '../world';

// ---------------------------------------------------------------- request parameters

/** EC2's flattened Query parameters, read the way botocore's EC2 serializer writes them. */
export class Ec2Params {
  constructor(private readonly params: URLSearchParams) {}

  names(): string[] {
    return [...this.params.keys()];
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  string(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw missingParameter(name);
    return value;
  }

  bool(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (/^true$/i.test(value)) return true;
    if (/^false$/i.test(value)) return false;
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${value}) for parameter ${name} is invalid. Expected: 'true' or 'false'.`,
    );
  }

  int(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${value}) for parameter ${name} is invalid. Expected an integer.`,
      );
    }
    return Number(value);
  }

  /** `Prefix.1`, `Prefix.2`, … in index order. */
  list(prefix: string): string[] {
    return this.indexed(prefix).map(([index]) => this.params.get(`${prefix}.${index}`) ?? '');
  }

  requiredList(prefix: string): string[] {
    const values = this.list(prefix);
    if (values.length === 0) throw missingParameter(`${prefix}.1`);
    return values;
  }

  filters(): Ec2Filter[] {
    return this.indexed('Filter').map(([index]) => {
      const name = this.string(`Filter.${index}.Name`);
      if (!name) throw new AwsError('InvalidParameterValue', `The filter 'null' is invalid`);
      return { name, values: this.list(`Filter.${index}.Value`) };
    });
  }

  /** `Prefix.N.Key` / `Prefix.N.Value` pairs. */
  tags(prefix: string): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const [index] of this.indexed(prefix)) {
      const key = this.string(`${prefix}.${index}.Key`);
      if (key === undefined) throw missingParameter(`${prefix}.${index}.Key`);
      tags[key] = this.string(`${prefix}.${index}.Value`) ?? '';
    }
    return tags;
  }

  /** Tags from `TagSpecification.N` entries, which must all be for `resourceType`. */
  tagSpecification(resourceType: string): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const [index] of this.indexed('TagSpecification')) {
      const type = this.string(`TagSpecification.${index}.ResourceType`);
      if (type !== resourceType) {
        throw new AwsError(
          'InvalidParameterValue',
          `'${type ?? 'null'}' is not a valid taggable resource type for this operation.`,
        );
      }
      Object.assign(tags, this.tags(`TagSpecification.${index}.Tag`));
    }
    return tags;
  }

  /** `IamInstanceProfile.Arn` or `IamInstanceProfile.Name`. */
  profileRef(): { arn?: string; name?: string } {
    const arn = this.string('IamInstanceProfile.Arn');
    const name = this.string('IamInstanceProfile.Name');
    if (!arn && !name) throw missingParameter('IamInstanceProfile');
    return { ...(arn ? { arn } : {}), ...(name ? { name } : {}) };
  }

  /** The distinct N of every `prefix.N` or `prefix.N.…` parameter, ascending. */
  private indexed(prefix: string): [number][] {
    const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)(?:\\.|$)`);
    const indexes = new Set<number>();
    for (const key of this.params.keys()) {
      const match = pattern.exec(key);
      if (match?.[1]) indexes.add(Number(match[1]));
    }
    return [...indexes].sort((a, b) => a - b).map((i) => [i]);
  }
}

export function missingParameter(name: string): AwsError {
  return new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
}

// ---------------------------------------------------------------- pagination

/** MaxResults/NextToken over a fully computed result; the token is opaque to callers. */
export function paginate<T>(
  items: readonly T[],
  p: Ec2Params,
  action: string,
): { page: T[]; nextToken: string | undefined } {
  const maxResults = p.int('MaxResults');
  if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    );
  }
  const token = p.string('NextToken');
  const offset = token === undefined ? 0 : decodeToken(token, action);
  const end = maxResults === undefined ? items.length : offset + maxResults;
  return {
    page: items.slice(offset, end),
    nextToken: end < items.length ? encodeToken(action, end) : undefined,
  };
}

function encodeToken(action: string, offset: number): string {
  return Buffer.from(JSON.stringify({ a: action, o: offset })).toString('base64url');
}

function decodeToken(token: string, action: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'a' in parsed &&
      'o' in parsed &&
      parsed.a === action &&
      typeof parsed.o === 'number' &&
      Number.isInteger(parsed.o) &&
      parsed.o >= 0
    ) {
      return parsed.o;
    }
  } catch {
    // Falls through to the error below: a token that is not ours is invalid, whatever it holds.
  }
  throw new AwsError('InvalidParameterValue', `Invalid value '${token}' for nextToken`);
}
