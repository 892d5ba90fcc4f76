/**
 * Reading the restore metadata that AWS Backup keeps with an EC2 recovery point (aws-facts A.5):
 * a map of strings in which structured values are JSON text. Used by resolve-source (the facts of
 * a source instance that is gone) and plan-restore (what StartRestoreJob will send).
 *
 * The values come from a backup that may be years old or from another tool's hands, so nothing
 * here trusts their shape: malformed JSON reads as "absent" instead of a SyntaxError.
 */
import { createHash } from 'node:crypto';
import { type BackupClient, GetRecoveryPointRestoreMetadataCommand } from '@aws-sdk/client-backup';
import { awsErrorCode, NoRecoveryPointError } from '@shared/errors';
import type { RecoveryPointRef, RedactedValue } from '@shared/workflow-state';

export type RestoreMetadata = Readonly<Record<string, string>>;
export type JsonObject = Readonly<Record<string, unknown>>;

/**
 * Restore-metadata fields whose values must never be logged, kept in the workflow state or
 * returned: only the StartRestoreJob call may carry them. The state is logged whole (the state
 * machine's log level ALL with execution data, the execution history, dry-run outputs, e-mails),
 * so a value that enters it is everywhere.
 *
 * `UserData` (aws-facts A.6): bootstrap scripts often hold passwords, tokens and keys. The other
 * A.5/A.6 keys hold ids, ARNs, sizes and switches; the one free-text field,
 * `NetworkInterfaces[].Description`, is a label shown in the EC2 console and is kept.
 * Matched case-insensitively, since restore testing treats metadata keys that way (A.6).
 */
export const REDACTED_METADATA_FIELDS: readonly string[] = ['UserData'];

const REDACTED = new Set(REDACTED_METADATA_FIELDS.map((field) => field.toLowerCase()));

export function isRedactedField(key: string): boolean {
  return REDACTED.has(key.toLowerCase());
}

export function redactedValue(value: string): RedactedValue {
  return {
    sha256: `sha256:${createHash('sha256').update(value, 'utf8').digest('hex')}`,
    bytes: Buffer.byteLength(value, 'utf8'),
  };
}

/**
 * Text with the values of the redacted fields of `metadata` cut out, for quoting what another
 * party said about the metadata (an AWS error message may echo a parameter's value).
 */
export function scrubRedacted(text: string, metadata: Readonly<Record<string, string>>): string {
  let scrubbed = text;
  for (const [key, value] of Object.entries(metadata)) {
    if (!isRedactedField(key) || value.length === 0) continue;
    // User data is base64 text: its decoded form is cut out as well.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    for (const form of [value, decoded]) {
      if (form.trim().length >= 4) scrubbed = scrubbed.split(form).join(`<${key} redacted>`);
    }
  }
  return scrubbed;
}

/**
 * Metadata split in two: what may be kept in the state and logged, and for each redacted field a
 * digest in place of its value.
 */
export function withholdRedacted(metadata: Readonly<Record<string, string>>): {
  readonly kept: Record<string, string>;
  readonly redacted: Record<string, RedactedValue>;
} {
  const kept: Record<string, string> = {};
  const redacted: Record<string, RedactedValue> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (isRedactedField(key)) redacted[key] = redactedValue(value);
    else kept[key] = value;
  }
  return { kept, redacted };
}

export async function getRestoreMetadata(
  backup: BackupClient,
  point: RecoveryPointRef,
): Promise<RestoreMetadata> {
  try {
    const result = await backup.send(
      new GetRecoveryPointRestoreMetadataCommand({
        BackupVaultName: point.backupVaultName,
        RecoveryPointArn: point.arn,
      }),
    );
    return result.RestoreMetadata ?? {};
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceNotFoundException') {
      throw new NoRecoveryPointError(
        `Recovery point ${point.arn} is no longer in vault ${point.backupVaultName} (expired by its lifecycle or ` +
          'deleted since it was selected); rerun to select another one.',
        { cause: error },
      );
    }
    throw error;
  }
}

/** The parsed JSON text, or undefined when there is none or it is not JSON. */
export function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string value, else null. */
export function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/**
 * Security group ids from `["sg-…"]` (RunInstances style) or `[{"GroupId":"sg-…"}]`
 * (DescribeInstances style); anything else reads as none.
 */
export function groupIds(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((item: unknown) => (isJsonObject(item) ? item.GroupId : item))
    .filter((id): id is string => nonEmpty(id) !== null);
}

/** The parsed `NetworkInterfaces` entries that are objects; null when the key is absent or malformed. */
export function networkInterfaces(metadata: RestoreMetadata): JsonObject[] | null {
  const parsed = parseJson(metadata.NetworkInterfaces);
  return Array.isArray(parsed) ? parsed.filter(isJsonObject) : null;
}

/** The primary interface (DeviceIndex 0), or the first one when none says so. */
export function primaryInterface(interfaces: readonly JsonObject[] | null): JsonObject | null {
  if (!interfaces) return null;
  return interfaces.find((i) => String(i.DeviceIndex) === '0') ?? interfaces[0] ?? null;
}

/** Metadata booleans are "true"/"false" text at the top level and real booleans inside JSON. */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}
