/**
 * A method's request model as API Gateway's request validator applies it: the body against the
 * model's JSON Schema (draft-04, the only draft API Gateway accepts). ajv reads draft-07, which
 * treats every keyword these models use (type, enum, pattern, properties, additionalProperties,
 * anyOf, required, min/max) as draft-04 does; formats are not checked (restorePointBefore's
 * date-time is checked by the workflow's ValidateInput). API Gateway reports what failed in
 * `$context.error.validationErrorString` in the words of its Java validator
 * (java-json-tools), e.g. `[instance value ("recovery") not found in enum (possible values:
 * ["test"])]`; the common messages are written the same way here, the rest in ajv's words.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

export type ModelCheck =
  | { readonly valid: true }
  | { readonly valid: false; readonly errors: readonly string[] };

export class RequestModel {
  private readonly validate: ValidateFunction;

  constructor(schema: Record<string, unknown>) {
    const { $schema: _draft, ...rest } = schema;
    this.validate = new Ajv({
      strict: false,
      validateFormats: false,
      allErrors: true,
      verbose: true,
    }).compile(rest);
  }

  check(body: string): ModelCheck {
    let value: unknown;
    try {
      value = JSON.parse(body === '' ? '{}' : body);
    } catch (error) {
      return { valid: false, errors: [`Invalid JSON in request body: ${(error as Error).message}`] };
    }
    if (this.validate(value)) return { valid: true };
    // A failed anyOf is one error, as java-json-tools reports it, not one per branch.
    const errors = (this.validate.errors ?? []).filter((error) => !/\/anyOf\/\d+\//.test(error.schemaPath));
    return { valid: false, errors: errors.map(describe) };
  }
}

/** The error list as API Gateway prints it: `[first, second]`. */
export const validationErrorString = (errors: readonly string[]) => `[${errors.join(', ')}]`;

const quoted = (value: unknown) => JSON.stringify(value);

function describe(error: ErrorObject): string {
  const { keyword, params, data } = error;
  switch (keyword) {
    case 'enum':
      return `instance value (${quoted(data)}) not found in enum (possible values: ${quoted(params.allowedValues)})`;
    case 'additionalProperties':
      return `object instance has properties which are not allowed by the schema: [${quoted(params.additionalProperty)}]`;
    case 'required':
      return `object has missing required properties ([${quoted(params.missingProperty)}])`;
    case 'type':
      return `instance type (${jsonType(data)}) does not match any allowed primitive type (allowed: [${quoted(params.type)}])`;
    case 'pattern':
      return `ECMA 262 regex ${quoted(params.pattern)} does not match input string ${quoted(data)}`;
    case 'anyOf':
      return `instance failed to match at least one required schema among ${(error.schema as unknown[]).length}`;
    case 'minLength':
      return `string ${quoted(data)} is too short (length: ${String(data).length}, required minimum: ${params.limit})`;
    case 'maxLength':
      return `string ${quoted(data)} is too long (length: ${String(data).length}, maximum allowed: ${params.limit})`;
    case 'minimum':
      return `numeric instance is lower than the required minimum (minimum: ${params.limit}, found: ${data})`;
    case 'maximum':
      return `numeric instance is greater than the required maximum (maximum: ${params.limit}, found: ${data})`;
    default:
      return `${error.instancePath || '/'} ${error.message ?? keyword}`;
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}
