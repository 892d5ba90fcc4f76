/**
 * SSM Parameter Store over awsJson1_1 (aws-facts.md D): `POST /` with
 * `X-Amz-Target: AmazonSSM.<Operation>`, JSON in and out, errors as `{"__type": …, "message": …}`.
 * Only the calls the workflow makes (GetParameter for key-pair private keys) and the one tests use
 * to seed values (PutParameter). Parameter rules live in the world; this file only translates.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { AwsError } from '../aws-error';
import type { Parameter, World } from '../world';
import {
  awsJsonErrorResponse,
  awsJsonOperation,
  awsJsonResponse,
  epochSeconds,
  type JsonObject,
  parseJsonObjectBody,
} from './json-protocol';
import type { ParsedOperation, ServiceAdapter, WireRequest, WireResponse } from './service';

const TARGET_PREFIX = 'AmazonSSM';
const PARAMETER_TYPES: readonly Parameter['type'][] = ['String', 'StringList', 'SecureString'];
/** Error shapes whose text member the SSM model names `Message` rather than `message`. */
const CAPITAL_MESSAGE_CODES: ReadonlySet<string> = new Set(['InternalServerError']);
/** KMS ciphertext blobs start with these bytes, which is why they read `AQICAHh…` in base64. */
const KMS_BLOB_HEADER = Buffer.from([0x01, 0x02, 0x02, 0x00, 0x78]);

type Handler = (input: JsonObject) => JsonObject;

export class SsmAdapter implements ServiceAdapter {
  readonly service = 'ssm' as const;
  private readonly operations: Readonly<Record<string, Handler>>;
  /** Keys this emulator's fake "encryption" of SecureString values; new per process. */
  private readonly ciphertextKey = randomBytes(32);

  constructor(private readonly world: World) {
    this.operations = {
      GetParameter: (input) => this.getParameter(input),
      PutParameter: (input) => this.putParameter(input),
    };
  }

  parse(request: WireRequest): ParsedOperation {
    const operation = request.method === 'POST' ? awsJsonOperation(request, TARGET_PREFIX) : null;
    const handler =
      operation !== null && Object.hasOwn(this.operations, operation)
        ? this.operations[operation]
        : undefined;
    if (operation === null || !handler) {
      // What SSM's Coral front end answers for a target it does not know (HTTP 400).
      throw new AwsError(
        'UnknownOperationException',
        `Unknown operation ${operation ?? '(no X-Amz-Target)'}`,
      );
    }
    return {
      operation,
      invoke: () => awsJsonResponse('1.1', request, handler(parseJsonObjectBody(request))),
    };
  }

  errorResponse(error: AwsError, request: WireRequest): WireResponse {
    return awsJsonErrorResponse('1.1', error, request, CAPITAL_MESSAGE_CODES);
  }

  private getParameter(input: JsonObject): JsonObject {
    const reference = requiredString(input, 'Name');
    const withDecryption = optionalBoolean(input, 'WithDecryption') ?? false;
    const { name, selector } = this.resolveName(reference.trim());
    const parameter = this.world.ssm.getParameter(name);
    if (selector !== null) checkSelector(parameter, selector);
    const value =
      parameter.type === 'SecureString' && !withDecryption ? this.ciphertextOf(parameter) : parameter.value;
    return {
      Parameter: {
        Name: parameter.name,
        Type: parameter.type,
        Value: value,
        Version: parameter.version,
        ...(selector !== null ? { Selector: `:${selector}` } : {}),
        LastModifiedDate: epochSeconds(parameter.lastModified),
        ARN: this.parameterArn(parameter.name),
        DataType: 'text',
      },
    };
  }

  private putParameter(input: JsonObject): JsonObject {
    const name = requiredString(input, 'Name');
    const value = requiredString(input, 'Value');
    const requestedType = optionalString(input, 'Type');
    const overwrite = optionalBoolean(input, 'Overwrite') ?? false;
    if (value === '') {
      throw validationError(
        `Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    if (name.includes('/') && !name.startsWith('/')) {
      throw new AwsError('ValidationException', 'Parameter name must be a fully qualified name.');
    }
    if (requestedType !== undefined && !isParameterType(requestedType)) {
      throw validationError(
        `Value '${requestedType}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [${PARAMETER_TYPES.join(', ')}]`,
      );
    }
    // Overwriting may leave the type out (it stays as it was); creating may not.
    const type = requestedType ?? this.world.ssm.parameters.get(name)?.type;
    if (type === undefined) {
      throw new AwsError('ValidationException', 'A parameter type is required when you create a parameter.');
    }
    const version = this.world.ssm.putParameter(name, type, value, overwrite);
    return { Version: version, Tier: 'Standard' };
  }

  /**
   * `Name` may be a name or the parameter's ARN, either followed by `:<version>` or `:<label>`
   * (aws-facts D). Names cannot contain `:`, so the first one after the name starts the selector.
   */
  private resolveName(reference: string): { name: string; selector: string | null } {
    const arn = /^arn:aws[a-z-]*:ssm:([^:]+):(\d{12}):parameter\/([^:]+)(?::(.+))?$/.exec(reference);
    if (arn) {
      const [, region, account, path = '', selector] = arn;
      if (region !== this.world.region || account !== this.world.accountId) {
        throw new AwsError('ParameterNotFound', `Parameter ${reference} not found.`);
      }
      // The ARN drops a hierarchical name's leading slash; a name with slashes inside must have one.
      const name = path.includes('/') || this.world.ssm.parameters.has(`/${path}`) ? `/${path}` : path;
      return { name, selector: selector ?? null };
    }
    const colon = reference.indexOf(':');
    if (colon < 0) return { name: reference, selector: null };
    return { name: reference.slice(0, colon), selector: reference.slice(colon + 1) };
  }

  private parameterArn(name: string): string {
    return `arn:aws:ssm:${this.world.region}:${this.world.accountId}:parameter/${name.replace(/^\//, '')}`;
  }

  /**
   * What SSM returns for a SecureString read without decryption: the KMS ciphertext, base64. The
   * emulator derives opaque bytes from the name and version with a per-process key, so the value
   * is stable across reads but never contains or reveals the plaintext.
   */
  private ciphertextOf(parameter: Parameter): string {
    const length = 64 + Math.ceil(parameter.value.length / 16) * 16;
    const blocks: Buffer[] = [KMS_BLOB_HEADER];
    for (let size = KMS_BLOB_HEADER.length, i = 0; size < length; size += 32, i++) {
      blocks.push(
        createHmac('sha256', this.ciphertextKey)
          .update(`${parameter.name}\0${parameter.version}\0${i}`)
          .digest(),
      );
    }
    return Buffer.concat(blocks).subarray(0, length).toString('base64');
  }
}

function checkSelector(parameter: Parameter, selector: string): void {
  if (/^\d+$/.test(selector)) {
    if (Number(selector) === parameter.version) return;
    throw new AwsError(
      'ParameterVersionNotFound',
      `Systems Manager could not find version ${selector} of ${parameter.name}. Verify the version and try again.`,
    );
  }
  // The world keeps no labels, so no label selects a version.
  throw new AwsError(
    'ParameterVersionNotFound',
    `Systems Manager could not find a version of ${parameter.name} labelled ${selector}. Verify the label and try again.`,
  );
}

function isParameterType(value: string): value is Parameter['type'] {
  return (PARAMETER_TYPES as readonly string[]).includes(value);
}

/** SSM's input validation error (Coral's wording). */
function validationError(problem: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: ${problem}`);
}

function memberName(name: string): string {
  return `${name[0]?.toLowerCase() ?? ''}${name.slice(1)}`;
}

function requiredString(input: JsonObject, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined) {
    throw validationError(
      `Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(input: JsonObject, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsError('SerializationException', `${name} must be a string`);
  return value;
}

function optionalBoolean(input: JsonObject, name: string): boolean | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AwsError('SerializationException', `${name} must be a boolean`);
  return value;
}
