/**
 * AWS Backup's restJson1 protocol over the world (aws-facts.md A.0–A.9): operations are told
 * apart by method and path, URI labels arrive percent-encoded (an EC2 recovery point ARN holds a
 * `/`), list paths end in a slash (in botocore's model; the SDK v3 sends them without), bodies are PascalCase JSON with timestamps as epoch seconds,
 * and errors carry the code in `x-amzn-ErrorType` and the body. Backup's rules and errors live in
 * the world; this file only translates.
 *
 * Over 400 lines: one wire format per file, and Backup's routes, bodies and error envelopes read
 * best side by side; the rules themselves are in ../world/backup-*.ts.
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../aws-error';
import type { RecoveryPoint, RestoreJob, World } from '../world';
import { epochSeconds, isJsonObject, type JsonObject, parseJsonObjectBody } from './json-protocol';
import type { ParsedOperation, ServiceAdapter, WireRequest, WireResponse } from './service';

const DEFAULT_PAGE_SIZE = 100;
const RESTORE_JOB_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'ABORTED', 'FAILED'] as const;
const VALIDATION_STATUSES = ['FAILED', 'SUCCESSFUL', 'TIMED_OUT', 'VALIDATING'] as const;
/** The backup plan the emulated recovery points come from (the console's daily EC2 plan). */
const PLAN_NAME = 'EC2';
const RETENTION_DAYS = 30;

interface BackupCall {
  /** URI labels, decoded. */
  readonly labels: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body (parsed on demand, so a GET never fails on one). */
  body(): JsonObject;
}

/** A JSON object to answer 200 with, or null for an operation whose success is 204 with no body. */
type Handler = (call: BackupCall) => JsonObject | null;

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly operation: string;
  readonly handler: Handler;
}

export class BackupAdapter implements ServiceAdapter {
  readonly service = 'backup' as const;
  private readonly routes: readonly Route[];

  constructor(private readonly world: World) {
    // botocore's model ends list paths in a slash and the SDK v3 (Smithy) model does not, so
    // AWS accepts both spellings; a route written with the slash matches either.
    const route = (spec: string, operation: string, handler: Handler): Route[] => {
      const [method = '', path = ''] = spec.split(' ');
      const paths = path.endsWith('/') ? [path, path.slice(0, -1)] : [path];
      return paths.map((p) => ({ method, segments: p.split('/'), operation, handler }));
    };
    this.routes = [
      route('GET /resources/{resourceArn}/recovery-points/', 'ListRecoveryPointsByResource', (c) =>
        this.listRecoveryPointsByResource(c),
      ),
      route('GET /backup-vaults/', 'ListBackupVaults', (c) => this.listBackupVaults(c)),
      route('GET /backup-vaults/{backupVaultName}/recovery-points/', 'ListRecoveryPointsByBackupVault', (c) =>
        this.listRecoveryPointsByBackupVault(c),
      ),
      route(
        'GET /backup-vaults/{backupVaultName}/recovery-points/{recoveryPointArn}',
        'DescribeRecoveryPoint',
        (c) => this.describeRecoveryPoint(c),
      ),
      route(
        'GET /backup-vaults/{backupVaultName}/recovery-points/{recoveryPointArn}/restore-metadata',
        'GetRecoveryPointRestoreMetadata',
        (c) => this.getRecoveryPointRestoreMetadata(c),
      ),
      route('GET /tags/{resourceArn}/', 'ListTags', (c) => this.listTags(c)),
      route('PUT /restore-jobs', 'StartRestoreJob', (c) => this.startRestoreJob(c)),
      route('GET /restore-jobs/', 'ListRestoreJobs', (c) => this.listRestoreJobs(c)),
      route('GET /restore-jobs/{restoreJobId}', 'DescribeRestoreJob', (c) => this.describeRestoreJob(c)),
      route('PUT /restore-jobs/{restoreJobId}/validations', 'PutRestoreValidationResult', (c) =>
        this.putRestoreValidationResult(c),
      ),
    ].flat();
  }

  parse(request: WireRequest): ParsedOperation {
    // Split the raw path first: a decoded ARN label would contain `/` and break the routing.
    const segments = request.path.split('/');
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const labels = matchSegments(route.segments, segments);
      if (!labels) continue;
      let body: JsonObject | undefined;
      const call: BackupCall = {
        labels,
        query: request.query,
        body: () => {
          body ??= parseJsonObjectBody(request);
          return body;
        },
      };
      return {
        operation: route.operation,
        invoke: (): WireResponse => {
          const output = route.handler(call);
          return output === null
            ? { status: 204, headers: { 'x-amzn-RequestId': request.requestId }, body: '' }
            : {
                status: 200,
                headers: { 'content-type': 'application/json', 'x-amzn-RequestId': request.requestId },
                body: JSON.stringify(output),
              };
        },
      };
    }
    // What restJson1 services answer for a method and path that name no operation.
    throw new AwsError(
      'UnknownOperationException',
      `Unknown operation: ${request.method} ${request.path}`,
      404,
    );
  }

  errorResponse(error: AwsError, request: WireRequest): WireResponse {
    return {
      status: error.status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-ErrorType': error.code,
        'x-amzn-RequestId': request.requestId,
      },
      // Backup's exception shapes model `Code` and `Message`; `__type` and `message` are what
      // generic JSON error parsers look for first.
      body: JSON.stringify({
        __type: error.code,
        Code: error.code,
        Message: error.message,
        message: error.message,
      }),
    };
  }

  // ---------------------------------------------------------------- recovery points

  private listRecoveryPointsByResource(call: BackupCall): JsonObject {
    const resourceArn = label(call, 'resourceArn');
    optionalBooleanQuery(call.query, 'managedByAWSBackupOnly');
    const points = undocumentedOrder(this.world.backup.listRecoveryPointsByResource(resourceArn));
    const { page, nextToken } = paginate(points, (p) => p.arn, call.query);
    return {
      RecoveryPoints: page.map((p) => ({
        RecoveryPointArn: p.arn,
        CreationDate: epochSeconds(p.creationDate),
        Status: p.status,
        StatusMessage: p.statusMessage ?? undefined,
        // Note the name: this list says BackupSizeBytes where every other shape says BackupSizeInBytes.
        BackupSizeBytes: p.sizeBytes,
        BackupVaultName: p.vault,
        IsParent: false,
        ResourceName: this.resourceName(p),
        VaultType: 'BACKUP_VAULT',
        EncryptionKeyType: 'AWS_OWNED_KMS_KEY',
      })),
      NextToken: nextToken,
    };
  }

  private listRecoveryPointsByBackupVault(call: BackupCall): JsonObject {
    const vault = label(call, 'backupVaultName');
    this.checkAccount(call.query.get('backupVaultAccountId'), vault);
    const planId = call.query.get('backupPlanId');
    const parentArn = call.query.get('parentRecoveryPointArn');
    const filter = {
      resourceArn: call.query.get('resourceArn') ?? undefined,
      resourceType: call.query.get('resourceType') ?? undefined,
      createdBefore: dateQuery(call.query, 'createdBefore'),
      createdAfter: dateQuery(call.query, 'createdAfter'),
    };
    const points = this.world.backup
      .listRecoveryPointsByVault(vault, filter)
      // Every point comes from the one plan, and none is a composite's child.
      .filter(() => (planId === null || planId === this.planId()) && parentArn === null);
    const { page, nextToken } = paginate(undocumentedOrder(points), (p) => p.arn, call.query);
    return { RecoveryPoints: page.map((p) => this.recoveryPointJson(p)), NextToken: nextToken };
  }

  private describeRecoveryPoint(call: BackupCall): JsonObject {
    const vault = label(call, 'backupVaultName');
    this.checkAccount(call.query.get('backupVaultAccountId'), vault);
    const point = this.world.backup.describeRecoveryPoint(vault, label(call, 'recoveryPointArn'));
    return { ...this.recoveryPointJson(point), StorageClass: 'WARM' };
  }

  private getRecoveryPointRestoreMetadata(call: BackupCall): JsonObject {
    const vault = label(call, 'backupVaultName');
    this.checkAccount(call.query.get('backupVaultAccountId'), vault);
    const point = this.world.backup.describeRecoveryPoint(vault, label(call, 'recoveryPointArn'));
    return {
      BackupVaultArn: this.world.backup.mustGetVault(point.vault).arn,
      RecoveryPointArn: point.arn,
      ResourceType: 'EC2',
      RestoreMetadata: { ...point.metadata },
    };
  }

  /** Tags of a recovery point (what the fleet workflow matches on) or a vault (none here). */
  private listTags(call: BackupCall): JsonObject {
    const arn = label(call, 'resourceArn');
    const point = this.world.backup.recoveryPoints.get(arn);
    const isVault = [...this.world.backup.vaults.values()].some((v) => v.arn === arn);
    if (!point && !isVault) throw new AwsError('ResourceNotFoundException', `Resource ${arn} not found`);
    const entries = [...(point?.tags ?? new Map<string, string>())].sort(([a], [b]) => a.localeCompare(b));
    const { page, nextToken } = paginate(entries, ([key]) => key, call.query);
    return { Tags: Object.fromEntries(page), NextToken: nextToken };
  }

  /** The RecoveryPointByBackupVault shape, which DescribeRecoveryPoint extends. */
  private recoveryPointJson(p: RecoveryPoint): JsonObject {
    return {
      RecoveryPointArn: p.arn,
      BackupVaultName: p.vault,
      BackupVaultArn: this.world.backup.mustGetVault(p.vault).arn,
      ResourceArn: p.resourceArn,
      ResourceType: 'EC2',
      CreatedBy: {
        BackupPlanId: this.planId(),
        BackupPlanArn: `arn:aws:backup:${this.world.region}:${this.world.accountId}:backup-plan:${this.planId()}`,
        BackupPlanName: PLAN_NAME,
        BackupPlanVersion: Buffer.from(this.stableUuid('plan-version')).toString('base64'),
        BackupRuleId: this.stableUuid('rule'),
        BackupRuleName: PLAN_NAME,
        BackupRuleCron: `cron(0 ${this.world.scenario.backupPlan?.hourUtc ?? 21} * * ? *)`,
        BackupRuleTimezone: 'Etc/UTC',
      },
      IamRoleArn: `arn:aws:iam::${this.world.accountId}:role/service-role/AWSBackupDefaultServiceRole`,
      Status: p.status,
      StatusMessage: p.statusMessage ?? undefined,
      CreationDate: epochSeconds(p.creationDate),
      InitiationDate: epochSeconds(p.creationDate),
      CompletionDate: epochSeconds(p.completionDate),
      BackupSizeInBytes: p.sizeBytes,
      CalculatedLifecycle: {
        DeleteAt: epochSeconds(new Date(p.creationDate.getTime() + RETENTION_DAYS * 86_400_000)),
      },
      Lifecycle: { DeleteAfterDays: RETENTION_DAYS },
      IsEncrypted: false,
      IsParent: false,
      ResourceName: this.resourceName(p),
      VaultType: 'BACKUP_VAULT',
      EncryptionKeyType: 'AWS_OWNED_KMS_KEY',
    };
  }

  /** Backup reports the source's Name tag as it was when the point was taken. */
  private resourceName(p: RecoveryPoint): string | undefined {
    return p.tags.get('Name') ?? this.world.ec2.instances.instances.get(p.instanceId)?.tags.get('Name');
  }

  /** The emulated account owns every vault; another account's vault is not found. */
  private checkAccount(accountId: string | null, vault: string): void {
    if (accountId !== null && accountId !== this.world.accountId) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Backup vault ${vault} does not exist in account ${accountId}`,
      );
    }
  }

  // ---------------------------------------------------------------- vaults

  private listBackupVaults(call: BackupCall): JsonObject {
    const vaultType = call.query.get('vaultType');
    const shared = optionalBooleanQuery(call.query, 'shared');
    const vaults = [...this.world.backup.vaults.values()].filter(
      () => (vaultType === null || vaultType === 'BACKUP_VAULT') && shared !== true,
    );
    const { page, nextToken } = paginate(vaults, (v) => v.name, call.query);
    return {
      BackupVaultList: page.map((v) => ({
        BackupVaultName: v.name,
        BackupVaultArn: v.arn,
        VaultType: 'BACKUP_VAULT',
        VaultState: 'AVAILABLE',
        CreationDate: epochSeconds(v.creationDate),
        EncryptionKeyArn: `arn:aws:kms:${this.world.region}:${this.world.accountId}:key/${this.stableUuid(`vault-key:${v.name}`)}`,
        NumberOfRecoveryPoints: [...this.world.backup.recoveryPoints.values()].filter(
          (p) => p.vault === v.name,
        ).length,
        Locked: false,
      })),
      NextToken: nextToken,
    };
  }

  // ---------------------------------------------------------------- restore jobs

  private startRestoreJob(call: BackupCall): JsonObject {
    const body = call.body();
    const recoveryPointArn = optionalString(body, 'RecoveryPointArn');
    const metadata = body.Metadata;
    if (recoveryPointArn === undefined) throw missingParameter('RecoveryPointArn');
    if (metadata === undefined || metadata === null) throw missingParameter('Metadata');
    if (!isJsonObject(metadata))
      throw new AwsError('SerializationException', 'Metadata must be a JSON object');
    const job = this.world.backup.startRestoreJob({
      recoveryPointArn,
      // The world rejects values that are not strings, with AWS's error for it.
      metadata: metadata as Record<string, string>,
      iamRoleArn: optionalString(body, 'IamRoleArn'),
      idempotencyToken: optionalString(body, 'IdempotencyToken'),
      resourceType: optionalString(body, 'ResourceType'),
      copySourceTags: optionalBoolean(body, 'CopySourceTagsToRestoredResource') ?? false,
    });
    return { RestoreJobId: job.id };
  }

  private describeRestoreJob(call: BackupCall): JsonObject {
    return this.restoreJobJson(this.world.backup.describeRestoreJob(label(call, 'restoreJobId')));
  }

  private listRestoreJobs(call: BackupCall): JsonObject {
    const q = call.query;
    const status = enumQuery(q, 'status', RESTORE_JOB_STATUSES);
    const resourceType = q.get('resourceType');
    const accountId = q.get('accountId');
    const createdBefore = dateQuery(q, 'createdBefore');
    const createdAfter = dateQuery(q, 'createdAfter');
    const completeBefore = dateQuery(q, 'completeBefore');
    const completeAfter = dateQuery(q, 'completeAfter');
    const jobs = [...this.world.backup.restoreJobs.values()].filter((job) => {
      const created = job.createdAt.getTime();
      const completed = job.completedAt?.getTime();
      return (
        (status === undefined || job.status === status) &&
        (resourceType === null || resourceType === 'EC2') &&
        (accountId === null || accountId === this.world.accountId) &&
        (createdBefore === undefined || created <= createdBefore.getTime()) &&
        (createdAfter === undefined || created >= createdAfter.getTime()) &&
        (completeBefore === undefined ||
          (completed !== undefined && completed <= completeBefore.getTime())) &&
        (completeAfter === undefined || (completed !== undefined && completed >= completeAfter.getTime())) &&
        // No emulated job comes from a restore testing plan or has a parent.
        q.get('restoreTestingPlanArn') === null &&
        q.get('parentJobId') === null
      );
    });
    const { page, nextToken } = paginate(jobs, (j) => j.id, q);
    return { RestoreJobs: page.map((j) => this.restoreJobJson(j)), NextToken: nextToken };
  }

  private putRestoreValidationResult(call: BackupCall): null {
    const id = label(call, 'restoreJobId');
    const body = call.body();
    const status = optionalString(body, 'ValidationStatus');
    optionalString(body, 'ValidationStatusMessage');
    if (status === undefined) throw missingParameter('ValidationStatus');
    if (!(VALIDATION_STATUSES as readonly string[]).includes(status)) {
      throw new AwsError(
        'InvalidParameterValueException',
        `Invalid ValidationStatus ${status}; expected one of ${VALIDATION_STATUSES.join(', ')}`,
      );
    }
    this.world.backup.putRestoreValidationResult(id, status);
    return null;
  }

  /** DescribeRestoreJob's output, which is also ListRestoreJobs' item (RestoreJobsListMember). */
  private restoreJobJson(job: RestoreJob): JsonObject {
    const point = this.world.backup.recoveryPoints.get(job.recoveryPointArn);
    return {
      AccountId: this.world.accountId,
      RestoreJobId: job.id,
      RecoveryPointArn: job.recoveryPointArn,
      SourceResourceArn: point?.resourceArn,
      BackupVaultArn: point ? this.world.backup.vaults.get(point.vault)?.arn : undefined,
      CreationDate: epochSeconds(job.createdAt),
      CompletionDate: job.completedAt ? epochSeconds(job.completedAt) : undefined,
      Status: job.status,
      StatusMessage: job.statusMessage ?? undefined,
      PercentDone: this.world.backup.percentDone(job),
      BackupSizeInBytes: point?.sizeBytes,
      IamRoleArn: job.iamRoleArn,
      ExpectedCompletionTimeMinutes: Math.ceil(job.durationMs / 60_000),
      CreatedResourceArn:
        job.status === 'COMPLETED' && job.createdInstanceId
          ? this.world.ec2.instances.instanceArn(job.createdInstanceId)
          : undefined,
      ResourceType: 'EC2',
      RecoveryPointCreationDate: point ? epochSeconds(point.creationDate) : undefined,
      ValidationStatus: job.validationStatus ?? undefined,
      ValidationStatusMessage: job.validationMessage ?? undefined,
      IsParent: false,
    };
  }

  // ---------------------------------------------------------------- stable identifiers

  private planId(): string {
    return this.stableUuid('plan');
  }

  /** A UUID that is the same on every call for this account and purpose. */
  private stableUuid(purpose: string): string {
    const hex = createHash('sha256')
      .update(`${this.world.accountId}:${this.world.region}:${purpose}`)
      .digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

// ---------------------------------------------------------------- routing

/** The decoded labels when `actual` (raw path segments) fits `pattern`, else null. */
function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const labels: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = actual[i] ?? '';
    const labelName = /^\{(\w+)\}$/.exec(part)?.[1];
    if (labelName === undefined) {
      if (segment !== part) return null;
      continue;
    }
    if (segment === '') return null;
    try {
      labels[labelName] = decodeURIComponent(segment);
    } catch {
      throw new AwsError(
        'InvalidParameterValueException',
        `Malformed percent-encoding in path segment ${segment}`,
      );
    }
  }
  return labels;
}

function label(call: BackupCall, name: string): string {
  const value = call.labels[name];
  if (value === undefined) throw new AwsError('InternalFailure', `emulator route lacks label ${name}`, 500);
  return value;
}

// ---------------------------------------------------------------- lists

/**
 * AWS documents no order for Backup's lists (aws-facts A.1). The emulator sorts by creation date
 * and then rotates by half, so that (from three points on) neither the first nor the last item is
 * the newest or the oldest: a caller that assumes an order picks the wrong point in tests.
 */
function undocumentedOrder(points: readonly RecoveryPoint[]): RecoveryPoint[] {
  const sorted = [...points].sort(
    (a, b) => a.creationDate.getTime() - b.creationDate.getTime() || a.arn.localeCompare(b.arn),
  );
  const half = Math.floor(sorted.length / 2);
  return [...sorted.slice(half), ...sorted.slice(0, half)];
}

/**
 * One page of `items`. The NextToken is opaque to callers; it names the first item of the next
 * page, so a page boundary survives items appearing before it.
 */
function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  query: URLSearchParams,
): { page: T[]; nextToken: string | undefined } {
  const maxResults = integerQuery(query, 'maxResults', 1, 1000) ?? DEFAULT_PAGE_SIZE;
  const token = query.get('nextToken');
  let start = 0;
  if (token !== null) {
    const key = decodeToken(token);
    start = items.findIndex((item) => keyOf(item) === key);
    if (start < 0)
      throw new AwsError('InvalidParameterValueException', 'The NextToken is invalid or has expired.');
  }
  const page = items.slice(start, start + maxResults);
  const next = items[start + maxResults];
  return { page, nextToken: next === undefined ? undefined : encodeToken(keyOf(next)) };
}

function encodeToken(key: string): string {
  return Buffer.from(JSON.stringify({ v: 1, next: key })).toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isJsonObject(parsed) && typeof parsed.next === 'string') return parsed.next;
  } catch {
    // Falls through to the error below.
  }
  throw new AwsError('InvalidParameterValueException', 'The NextToken is invalid or has expired.');
}

// ---------------------------------------------------------------- input members

function missingParameter(name: string): AwsError {
  return new AwsError(
    'MissingParameterValueException',
    `Missing required parameter in request body: ${name}`,
  );
}

function optionalString(body: JsonObject, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsError('SerializationException', `${name} must be a string`);
  return value;
}

function optionalBoolean(body: JsonObject, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AwsError('SerializationException', `${name} must be a boolean`);
  return value;
}

function integerQuery(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new AwsError(
      'InvalidParameterValueException',
      `Invalid value for ${name}: ${value}; must be between ${min} and ${max}`,
    );
  }
  return n;
}

function optionalBooleanQuery(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw new AwsError(
      'InvalidParameterValueException',
      `Invalid value for ${name}: ${value}; must be true or false`,
    );
  }
  return value === 'true';
}

/** Timestamps in query strings are ISO-8601 date-times (epoch seconds are tolerated too). */
function dateQuery(query: URLSearchParams, name: string): Date | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new AwsError(
      'InvalidParameterValueException',
      `Invalid value for ${name}: ${value}; expected an ISO-8601 date-time`,
    );
  }
  return new Date(ms);
}

function enumQuery<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const match = allowed.find((a) => a === value);
  if (match === undefined) {
    throw new AwsError(
      'InvalidParameterValueException',
      `Invalid value for ${name}: ${value}; expected one of ${allowed.join(', ')}`,
    );
  }
  return match;
}
