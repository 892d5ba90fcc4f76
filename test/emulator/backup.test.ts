/**
 * The AWS Backup adapter on the wire: the unmodified SDK v3 client, raw restJson1 requests, the
 * AWS CLI and botocore's model of each output shape, against the emulator's front door. Restore
 * jobs run on the simulated clock; tests poll them with a deadline.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  BackupClient,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobCommandOutput,
  GetRecoveryPointRestoreMetadataCommand,
  ListBackupVaultsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRecoveryPointsByResourceCommand,
  ListRestoreJobsCommand,
  ListTagsCommand,
  PutRestoreValidationResultCommand,
  paginateListRecoveryPointsByResource,
  type RecoveryPointByResource,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import type { ScenarioInput } from '@local/scenario';
import { BackupAdapter } from '@local/services/backup';
import { SsmAdapter } from '@local/services/ssm';
import { awsCli } from '@test/helpers/aws-cli';
import { awsFailure } from '@test/helpers/failure';
import { clientConfig, type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { PollTimeoutError, pollUntil } from '@test/helpers/poll-until';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import { parseableEd25519Key } from '@test/helpers/ssh-keys';

/** A second backed-up instance whose restores finish in seconds of simulated time. */
const QUICK = 'i-0de00000000000002';
/** A restore role that may not pass the instance role (iam:PassRole). */
const NO_PASS_ROLE = 'restore-role-without-passrole';
const ACCOUNT = '123456789012';
const SIGNED_BACKUP =
  'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/backup/aws4_request, SignedHeaders=host, Signature=0';

const instanceArn = (id: string) => `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${id}`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

/**
 * At speed 300 the demo instance's 10-minute restores take 2 s of real time and stay PENDING for
 * the first 30 simulated seconds (100 ms), long enough to see every state.
 */
function scenario(): ScenarioInput {
  const base = demoScenario({
    clock: { speed: 300 },
    keyPairs: [{ name: DEMO.keyName, id: DEMO.keyPairId, privateKey: parseableEd25519Key() }],
    iam: {
      roles: [
        { name: DEMO.instanceRole },
        { name: DEMO.restoreRole, passRoles: [DEMO.instanceRole] },
        { name: NO_PASS_ROLE },
      ],
      restoreRoleName: DEMO.restoreRole,
    },
    faults: {
      restoreJob: { durationMinutes: 10 },
      restoreJobsBySource: { [QUICK]: { durationMinutes: 0.2 } },
      instanceBootSeconds: 10,
      apiErrors: [
        {
          api: 'backup:ListBackupVaults',
          code: 'ThrottlingException',
          status: 429,
          message: 'Rate exceeded',
        },
      ],
    },
  });
  return {
    ...base,
    instances: [
      ...(base.instances ?? []),
      {
        id: QUICK,
        name: 'worker',
        subnetId: DEMO.subnet,
        securityGroupIds: [DEMO.securityGroup],
        keyName: DEMO.keyName,
        instanceProfileName: DEMO.profileName,
        tags: { AWSBackup: 'EC2' },
      },
    ],
  };
}

let door: FrontDoor;
let backup: BackupClient;

beforeAll(async () => {
  door = await startFrontDoor(scenario(), (world) => ({
    backup: new BackupAdapter(world),
    ssm: new SsmAdapter(world),
  }));
  backup = new BackupClient(clientConfig(door.endpoint));
});
afterAll(() => door.stop());

/** A raw restJson1 request, signed-looking so the front door routes it to Backup. */
async function rawBackup(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; errorType: string | null; text: string }> {
  const response = await fetch(`${door.endpoint}${path}`, {
    method,
    headers: {
      authorization: SIGNED_BACKUP,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body,
  });
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    text: await response.text(),
  };
}

/** The instance's recovery points, oldest first. */
async function pointsOf(instanceId: string): Promise<RecoveryPointByResource[]> {
  const out = await backup.send(
    new ListRecoveryPointsByResourceCommand({ ResourceArn: instanceArn(instanceId) }),
  );
  return [...(out.RecoveryPoints ?? [])].sort(
    (a, b) => (a.CreationDate?.getTime() ?? 0) - (b.CreationDate?.getTime() ?? 0),
  );
}

async function latestPointArn(instanceId: string): Promise<string> {
  const arn = (await pointsOf(instanceId)).at(-1)?.RecoveryPointArn;
  if (!arn) throw new Error(`no recovery point for ${instanceId}`);
  return arn;
}

/** Metadata a restore accepts: the subnet-level network settings, without the original ENI. */
function restorableMetadata(profile: string | undefined): Record<string, string> {
  return {
    InstanceType: 't3.micro',
    SubnetId: DEMO.subnet,
    SecurityGroupIds: JSON.stringify([DEMO.securityGroup]),
    ...(profile === undefined ? {} : { IamInstanceProfileName: profile }),
  };
}

/** Polls DescribeRestoreJob until the job is terminal, recording each status seen. */
async function untilTerminal(
  restoreJobId: string,
): Promise<{ job: DescribeRestoreJobCommandOutput; seen: string[] }> {
  const seen: string[] = [];
  const read = async () => {
    const described = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    if (described.Status && seen.at(-1) !== described.Status) seen.push(described.Status);
    return described;
  };
  try {
    const job = await pollUntil(read, {
      describe: `restore job ${restoreJobId} to end`,
      until: (described) => ['COMPLETED', 'FAILED', 'ABORTED'].includes(described.Status ?? ''),
      intervalMs: 5,
    });
    return { job, seen };
  } catch (error) {
    if (error instanceof PollTimeoutError)
      throw new Error(`${error.message}; statuses seen: ${seen.join(' → ')}`);
    throw error;
  }
}

describe('Backup adapter: recovery points', () => {
  it("lists a resource's recovery points with BackupSizeBytes, epoch-second dates and an order not by date", async () => {
    const out = await backup.send(
      new ListRecoveryPointsByResourceCommand({ ResourceArn: instanceArn(DEMO.instance) }),
    );

    const points = out.RecoveryPoints ?? [];
    expect(points).toHaveLength(3);
    for (const p of points) {
      expect(p).toMatchObject({
        RecoveryPointArn: expect.stringMatching(/^arn:aws:ec2:us-east-1::image\/ami-[0-9a-f]{17}$/),
        Status: 'COMPLETED',
        BackupSizeBytes: 8 * 1024 ** 3,
        BackupVaultName: DEMO.vault,
        IsParent: false,
        ResourceName: 'app-server',
        VaultType: 'BACKUP_VAULT',
        EncryptionKeyType: 'AWS_OWNED_KMS_KEY',
      });
      expect(p.CreationDate).toBeInstanceOf(Date);
      expect(p).not.toHaveProperty('BackupSizeInBytes');
    }
    const times = points.map((p) => p.CreationDate?.getTime() ?? 0);
    const ascending = [...times].sort((a, b) => a - b);
    expect(times).not.toEqual(ascending);
    expect(times).not.toEqual([...ascending].reverse());
    expect(out.NextToken).toBeUndefined();
  });

  it("pages through a resource's recovery points with maxResults 2 and an opaque NextToken", async () => {
    const first = await backup.send(
      new ListRecoveryPointsByResourceCommand({ ResourceArn: instanceArn(DEMO.instance), MaxResults: 2 }),
    );
    const second = await backup.send(
      new ListRecoveryPointsByResourceCommand({
        ResourceArn: instanceArn(DEMO.instance),
        MaxResults: 2,
        NextToken: first.NextToken,
      }),
    );
    const paged: string[] = [];
    for await (const page of paginateListRecoveryPointsByResource(
      { client: backup, pageSize: 2 },
      { ResourceArn: instanceArn(DEMO.instance) },
    )) {
      paged.push(...(page.RecoveryPoints ?? []).map((p) => p.RecoveryPointArn ?? ''));
    }

    expect(first.RecoveryPoints).toHaveLength(2);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(second.RecoveryPoints).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
    const all = [...(first.RecoveryPoints ?? []), ...(second.RecoveryPoints ?? [])].map(
      (p) => p.RecoveryPointArn,
    );
    expect(new Set(all).size).toBe(3);
    expect(paged).toEqual(all);
  });

  it('rejects maxResults outside 1–1000 and a NextToken it did not issue with InvalidParameterValueException', async () => {
    const zero = await awsFailure(
      backup.send(
        new ListRecoveryPointsByResourceCommand({ ResourceArn: instanceArn(DEMO.instance), MaxResults: 0 }),
      ),
    );
    const forged = await awsFailure(
      backup.send(
        new ListRecoveryPointsByResourceCommand({
          ResourceArn: instanceArn(DEMO.instance),
          NextToken: 'bm90LWEtdG9rZW4',
        }),
      ),
    );

    expect(zero).toMatchObject({
      name: 'InvalidParameterValueException',
      code: 'InvalidParameterValueException',
      status: 400,
    });
    expect(forged).toMatchObject({ name: 'InvalidParameterValueException', status: 400 });
  });

  it("lists a vault's recovery points filtered by resource and creation date, with plan and lifecycle", async () => {
    const [oldest, middle, newest] = await pointsOf(QUICK);
    const after = new Date((oldest?.CreationDate?.getTime() ?? 0) + 1000);

    const out = await backup.send(
      new ListRecoveryPointsByBackupVaultCommand({
        BackupVaultName: DEMO.vault,
        ByResourceArn: instanceArn(QUICK),
        ByResourceType: 'EC2',
        ByCreatedAfter: after,
      }),
    );

    const points = out.RecoveryPoints ?? [];
    expect(points.map((p) => p.RecoveryPointArn).sort()).toEqual(
      [middle?.RecoveryPointArn, newest?.RecoveryPointArn].sort(),
    );
    const point = points.find((p) => p.RecoveryPointArn === newest?.RecoveryPointArn);
    const created = point?.CreationDate?.getTime() ?? Number.NaN;
    expect(point).toMatchObject({
      BackupVaultName: DEMO.vault,
      BackupVaultArn: `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:${DEMO.vault}`,
      ResourceArn: instanceArn(QUICK),
      ResourceType: 'EC2',
      ResourceName: 'worker',
      CreatedBy: { BackupPlanName: 'EC2', BackupRuleName: 'EC2', BackupRuleCron: 'cron(0 21 * * ? *)' },
      IamRoleArn: expect.stringMatching(/^arn:aws:iam::123456789012:role\//),
      Status: 'COMPLETED',
      BackupSizeInBytes: 8 * 1024 ** 3,
      Lifecycle: { DeleteAfterDays: 30 },
      IsEncrypted: false,
    });
    expect(point?.CompletionDate?.getTime()).toBeGreaterThan(created);
    expect(point?.CalculatedLifecycle?.DeleteAt?.getTime()).toBe(created + 30 * 86_400_000);
  });

  it('describes a recovery point whose ARN holds a slash, sent percent-encoded in the path', async () => {
    const arn = await latestPointArn(DEMO.instance);

    const described = await backup.send(
      new DescribeRecoveryPointCommand({ BackupVaultName: DEMO.vault, RecoveryPointArn: arn }),
    );
    const raw = await rawBackup(
      'GET',
      `/backup-vaults/${DEMO.vault}/recovery-points/${encodeURIComponent(arn)}`,
    );
    const unencoded = await rawBackup('GET', `/backup-vaults/${DEMO.vault}/recovery-points/${arn}`);

    expect(described).toMatchObject({
      RecoveryPointArn: arn,
      ResourceArn: instanceArn(DEMO.instance),
      ResourceType: 'EC2',
      StorageClass: 'WARM',
      Status: 'COMPLETED',
    });
    expect(raw.status).toBe(200);
    expect(JSON.parse(raw.text)).toMatchObject({ RecoveryPointArn: arn, CreationDate: expect.any(Number) });
    // A raw `/` makes it a different path, which names no operation.
    expect(unencoded).toMatchObject({ status: 404, errorType: 'UnknownOperationException' });
  });

  it("lists a recovery point's tags (copied from the instance by the backup plan), and 404s an unknown ARN", async () => {
    const arn = await latestPointArn(DEMO.instance);

    const tags = await backup.send(new ListTagsCommand({ ResourceArn: arn }));
    const unknown = await awsFailure(
      backup.send(new ListTagsCommand({ ResourceArn: 'arn:aws:ec2:us-east-1::image/ami-0000000000000dead' })),
    );

    expect(tags.Tags).toMatchObject({ AWSBackup: 'EC2' });
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
  });

  it('gets restore metadata as a map of strings, naming the backed-up instance profile', async () => {
    const arn = await latestPointArn(DEMO.instance);

    const out = await backup.send(
      new GetRecoveryPointRestoreMetadataCommand({ BackupVaultName: DEMO.vault, RecoveryPointArn: arn }),
    );

    expect(out).toMatchObject({
      BackupVaultArn: `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:${DEMO.vault}`,
      RecoveryPointArn: arn,
      ResourceType: 'EC2',
      RestoreMetadata: expect.objectContaining({
        InstanceType: 't3.micro',
        KeyName: DEMO.keyName,
        SubnetId: DEMO.subnet,
        IamInstanceProfileName: DEMO.profileName,
        SecurityGroupIds: JSON.stringify([DEMO.securityGroup]),
      }),
    });
    expect(Object.values(out.RestoreMetadata ?? {}).every((v) => typeof v === 'string')).toBe(true);
  });

  it('answers ResourceNotFoundException (400) for an unknown vault or recovery point', async () => {
    const arn = await latestPointArn(DEMO.instance);

    const vault = await awsFailure(
      backup.send(new DescribeRecoveryPointCommand({ BackupVaultName: 'Nope', RecoveryPointArn: arn })),
    );
    const point = await awsFailure(
      backup.send(
        new GetRecoveryPointRestoreMetadataCommand({
          BackupVaultName: DEMO.vault,
          RecoveryPointArn: 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0',
        }),
      ),
    );
    const listing = await awsFailure(
      backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: 'Nope' })),
    );

    for (const error of [vault, point, listing]) {
      expect(error).toMatchObject({
        name: 'ResourceNotFoundException',
        code: 'ResourceNotFoundException',
        status: 400,
      });
    }
  });

  it('lists backup vaults, after answering an injected throttle in the Backup error envelope', async () => {
    const throttled = await awsFailure(backup.send(new ListBackupVaultsCommand({})));

    const out = await backup.send(new ListBackupVaultsCommand({}));

    expect(throttled).toMatchObject({ name: 'ThrottlingException', status: 429 });
    expect(out.BackupVaultList).toEqual([
      expect.objectContaining({
        BackupVaultName: DEMO.vault,
        BackupVaultArn: `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:${DEMO.vault}`,
        NumberOfRecoveryPoints: 6,
        VaultType: 'BACKUP_VAULT',
        VaultState: 'AVAILABLE',
        CreationDate: expect.any(Date),
        EncryptionKeyArn: expect.stringMatching(/^arn:aws:kms:us-east-1:123456789012:key\//),
      }),
    ]);
  });
});

describe('Backup adapter: restore jobs', () => {
  it('runs a restore job PENDING → RUNNING → COMPLETED and names the instance it created', async () => {
    const arn = await latestPointArn(DEMO.instance);

    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: arn,
        Metadata: restorableMetadata('UseBackedUpValue'),
        IamRoleArn: roleArn(DEMO.restoreRole),
        ResourceType: 'EC2',
      }),
    );
    const id = RestoreJobId ?? '';
    const pending = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id }));
    const { job, seen } = await untilTerminal(id);

    expect(id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(pending).toMatchObject({
      Status: 'PENDING',
      PercentDone: '0.00%',
      ExpectedCompletionTimeMinutes: 10,
    });
    expect(pending.CompletionDate).toBeUndefined();
    expect(pending.CreatedResourceArn).toBeUndefined();
    expect(seen).toEqual(['PENDING', 'RUNNING', 'COMPLETED']);
    expect(job).toMatchObject({
      AccountId: ACCOUNT,
      RestoreJobId: id,
      RecoveryPointArn: arn,
      SourceResourceArn: instanceArn(DEMO.instance),
      BackupVaultArn: `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:${DEMO.vault}`,
      Status: 'COMPLETED',
      PercentDone: '100.00%',
      BackupSizeInBytes: 8 * 1024 ** 3,
      IamRoleArn: roleArn(DEMO.restoreRole),
      ExpectedCompletionTimeMinutes: 10,
      ResourceType: 'EC2',
      CreatedResourceArn: expect.stringMatching(
        /^arn:aws:ec2:us-east-1:123456789012:instance\/i-[0-9a-f]{17}$/,
      ),
    });
    expect((job.CompletionDate?.getTime() ?? 0) - (job.CreationDate?.getTime() ?? 0)).toBe(10 * 60_000);
    expect(job.RecoveryPointCreationDate).toBeInstanceOf(Date);
    const createdId = job.CreatedResourceArn?.split('/')[1] ?? '';
    expect(door.world.instances.has(createdId)).toBe(true);
    expect(door.world.ec2.associations.instanceProfileOf(createdId)?.arn).toBe(
      door.world.iam.instanceProfiles.get(DEMO.profileName)?.arn,
    );
  });

  it('returns the same job for a repeated idempotency token and a new one for another token', async () => {
    const arn = await latestPointArn(QUICK);
    const start = (token: string) =>
      backup.send(
        new StartRestoreJobCommand({
          RecoveryPointArn: arn,
          Metadata: restorableMetadata(undefined),
          IamRoleArn: roleArn(DEMO.restoreRole),
          IdempotencyToken: token,
        }),
      );

    const first = await start('token-a');
    const again = await start('token-a');
    const other = await start('token-b');

    expect(again.RestoreJobId).toBe(first.RestoreJobId);
    expect(other.RestoreJobId).not.toBe(first.RestoreJobId);
  });

  it('fails a restore of the backed-up profile by a role without iam:PassRole, with an encoded authorization message', async () => {
    const arn = await latestPointArn(QUICK);

    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: arn,
        Metadata: restorableMetadata(DEMO.profileName),
        IamRoleArn: roleArn(NO_PASS_ROLE),
      }),
    );
    const { job } = await untilTerminal(RestoreJobId ?? '');

    expect(job.Status).toBe('FAILED');
    expect(job.CreatedResourceArn).toBeUndefined();
    expect(job.CompletionDate).toBeInstanceOf(Date);
    const encoded =
      /^You are not authorized to perform this operation\. Encoded authorization failure message: (\S+)$/.exec(
        job.StatusMessage ?? '',
      )?.[1];
    expect(encoded).toBeDefined();
    const decoded = JSON.parse(Buffer.from(encoded ?? '', 'base64').toString('utf8')) as {
      allowed: boolean;
      context: { action: string; resource: string };
    };
    expect(decoded).toMatchObject({
      allowed: false,
      context: { action: 'iam:PassRole', resource: roleArn(DEMO.instanceRole) },
    });
  });

  it.each([
    [{ InstanceType: 't3.bogus' }, "Invalid value 't3.bogus' for InstanceType. (InvalidParameterValue)"],
    [
      { InstanceType: 'm5.large', CreditSpecification: '{"CpuCredits":"unlimited"}' },
      'The m5.large instance type does not support T2 Unlimited. (InstanceCreditSpecification.NotSupported)',
    ],
    [{ Placement: '{"AvailabilityZone":"us-east-1f"}' }, 'for parameter availabilityZone is invalid'],
  ])('fails a restore that RunInstances would refuse: %j', async (metadata, message) => {
    const arn = await latestPointArn(QUICK);

    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: arn,
        Metadata: { ...restorableMetadata(undefined), ...metadata },
        IamRoleArn: roleArn(DEMO.restoreRole),
      }),
    );
    const { job } = await untilTerminal(RestoreJobId ?? '');

    expect({ status: job.Status, created: job.CreatedResourceArn }).toEqual({
      status: 'FAILED',
      created: undefined,
    });
    expect(job.StatusMessage).toContain(message);
  });

  it('rejects StartRestoreJob without RecoveryPointArn or Metadata, or for an unknown point', async () => {
    const arn = await latestPointArn(QUICK);

    const noPoint = await rawBackup(
      'PUT',
      '/restore-jobs',
      JSON.stringify({ Metadata: {}, IamRoleArn: roleArn(DEMO.restoreRole) }),
    );
    const noMetadata = await awsFailure(
      backup.send(
        new StartRestoreJobCommand({
          RecoveryPointArn: arn,
          Metadata: undefined,
          IamRoleArn: roleArn(DEMO.restoreRole),
        }),
      ),
    );
    const unknown = await awsFailure(
      backup.send(
        new StartRestoreJobCommand({
          RecoveryPointArn: 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0',
          Metadata: restorableMetadata(undefined),
          IamRoleArn: roleArn(DEMO.restoreRole),
        }),
      ),
    );

    expect(noPoint.status).toBe(400);
    expect(noPoint.errorType).toBe('MissingParameterValueException');
    expect(JSON.parse(noPoint.text)).toMatchObject({
      __type: 'MissingParameterValueException',
      Code: 'MissingParameterValueException',
      Message: expect.stringContaining('RecoveryPointArn'),
    });
    expect(noMetadata).toMatchObject({ name: 'MissingParameterValueException', status: 400 });
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
  });

  it('answers DescribeRestoreJob for an unknown id with ResourceNotFoundException', async () => {
    const error = await awsFailure(backup.send(new DescribeRestoreJobCommand({ RestoreJobId: 'NOT-A-JOB' })));

    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      code: 'ResourceNotFoundException',
      status: 400,
    });
  });

  it('lists restore jobs filtered by status and creation time', async () => {
    const start = async (profile: string | undefined, role: string) =>
      (
        await backup.send(
          new StartRestoreJobCommand({
            RecoveryPointArn: await latestPointArn(QUICK),
            Metadata: restorableMetadata(profile),
            IamRoleArn: roleArn(role),
          }),
        )
      ).RestoreJobId ?? '';
    const RestoreJobId = await start(undefined, DEMO.restoreRole);
    const failedId = await start(DEMO.profileName, NO_PASS_ROLE);
    await Promise.all([untilTerminal(RestoreJobId), untilTerminal(failedId)]);

    const completed = await backup.send(
      new ListRestoreJobsCommand({ ByStatus: 'COMPLETED', ByResourceType: 'EC2' }),
    );
    const failed = await backup.send(new ListRestoreJobsCommand({ ByStatus: 'FAILED' }));
    const future = await backup.send(
      new ListRestoreJobsCommand({ ByCreatedAfter: new Date(door.clock.nowMs() + 3_600_000) }),
    );
    const paged = await backup.send(new ListRestoreJobsCommand({ MaxResults: 1 }));

    expect(completed.RestoreJobs?.map((j) => j.RestoreJobId)).toContain(RestoreJobId);
    expect(completed.RestoreJobs?.every((j) => j.Status === 'COMPLETED' && j.CreatedResourceArn)).toBe(true);
    expect(completed.RestoreJobs?.find((j) => j.RestoreJobId === RestoreJobId)).toMatchObject({
      PercentDone: '100.00%',
      SourceResourceArn: instanceArn(QUICK),
      CompletionDate: expect.any(Date),
    });
    expect(failed.RestoreJobs?.map((j) => j.RestoreJobId)).toContain(failedId);
    expect(failed.RestoreJobs?.every((j) => j.Status === 'FAILED')).toBe(true);
    expect(future.RestoreJobs).toEqual([]);
    expect(paged.RestoreJobs).toHaveLength(1);
    expect(paged.NextToken).toEqual(expect.any(String));
  });

  it('rejects PutRestoreValidationResult for a job no restore testing plan created (InvalidRequestException)', async () => {
    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: await latestPointArn(QUICK),
        Metadata: restorableMetadata(undefined),
        IamRoleArn: roleArn(DEMO.restoreRole),
      }),
    );
    await untilTerminal(RestoreJobId ?? '');

    const error = await awsFailure(
      backup.send(new PutRestoreValidationResultCommand({ RestoreJobId, ValidationStatus: 'SUCCESSFUL' })),
    );
    const missing = await rawBackup('PUT', `/restore-jobs/${RestoreJobId}/validations`, '{}');

    expect(error).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(missing).toMatchObject({ status: 400, errorType: 'MissingParameterValueException' });
  });

  it('answers an accepted PutRestoreValidationResult with 204 and no body', async () => {
    const accept = jest
      .spyOn(door.world.backup, 'putRestoreValidationResult')
      .mockImplementation(() => undefined);
    try {
      const sdk = await backup.send(
        new PutRestoreValidationResultCommand({ RestoreJobId: 'ANY-JOB', ValidationStatus: 'VALIDATING' }),
      );
      const raw = await rawBackup(
        'PUT',
        '/restore-jobs/ANY-JOB/validations',
        JSON.stringify({ ValidationStatus: 'FAILED' }),
      );

      expect(sdk.$metadata.httpStatusCode).toBe(204);
      expect(raw).toMatchObject({ status: 204, text: '' });
      expect(accept).toHaveBeenCalledWith('ANY-JOB', 'VALIDATING');
    } finally {
      accept.mockRestore();
    }
  });
});

describe('Backup adapter: restJson1 wire protocol', () => {
  it('routes list paths with and without the trailing slash (botocore sends one, the SDK v3 does not)', async () => {
    const [slash, bare] = await Promise.all([
      rawBackup('GET', '/restore-jobs/'),
      rawBackup('GET', '/restore-jobs'),
    ]);

    expect(slash.status).toBe(200);
    expect(bare.status).toBe(200);
    expect(JSON.parse(bare.text)).toEqual(JSON.parse(slash.text));
  });

  it('answers a method and path that name no operation with 404 UnknownOperationException', async () => {
    const responses = await Promise.all([
      rawBackup('POST', '/restore-jobs'),
      rawBackup('DELETE', '/restore-jobs/ANY-JOB'),
      rawBackup('GET', '/restore-jobs//'),
      rawBackup('GET', '/no-such-resource/'),
    ]);

    for (const response of responses) {
      expect(response).toMatchObject({ status: 404, errorType: 'UnknownOperationException' });
      expect(JSON.parse(response.text)).toMatchObject({
        __type: 'UnknownOperationException',
        message: expect.any(String),
      });
    }
  });

  it('answers a body that is not JSON with 400 SerializationException', async () => {
    const response = await rawBackup('PUT', '/restore-jobs', '{"RecoveryPointArn": ');

    expect(response).toMatchObject({ status: 400, errorType: 'SerializationException' });
    expect(JSON.parse(response.text)).toMatchObject({
      __type: 'SerializationException',
      Code: 'SerializationException',
    });
  });

  it("writes only members of botocore's output shapes, with values of the right form", async () => {
    const arn = await latestPointArn(DEMO.instance);
    const point = `/backup-vaults/${DEMO.vault}/recovery-points/${encodeURIComponent(arn)}`;
    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: await latestPointArn(QUICK),
        Metadata: restorableMetadata(undefined),
        IamRoleArn: roleArn(DEMO.restoreRole),
      }),
    );
    await untilTerminal(RestoreJobId ?? '');
    const calls: [operation: string, path: string][] = [
      [
        'ListRecoveryPointsByResource',
        `/resources/${encodeURIComponent(instanceArn(DEMO.instance))}/recovery-points/`,
      ],
      ['ListRecoveryPointsByBackupVault', `/backup-vaults/${DEMO.vault}/recovery-points/`],
      ['DescribeRecoveryPoint', point],
      ['GetRecoveryPointRestoreMetadata', `${point}/restore-metadata`],
      ['DescribeRestoreJob', `/restore-jobs/${RestoreJobId}`],
      ['ListRestoreJobs', '/restore-jobs/'],
      ['ListBackupVaults', '/backup-vaults/'],
    ];
    const model = await botocoreModel('backup', '2018-11-15');

    const problems: string[] = [];
    for (const [operation, path] of calls) {
      const response = await rawBackup('GET', path);
      expect(response.status).toBe(200);
      const output = model.operations[operation]?.output?.shape ?? `(no output shape for ${operation})`;
      problems.push(...shapeProblems(model, output, JSON.parse(response.text), operation));
    }

    expect(problems).toEqual([]);
  });
});

describe('Backup adapter: AWS CLI (botocore)', () => {
  it('lists recovery points, reads restore metadata by a percent-encoded ARN and describes a restore job', async () => {
    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: await latestPointArn(QUICK),
        Metadata: restorableMetadata(undefined),
        IamRoleArn: roleArn(DEMO.restoreRole),
      }),
    );

    const list = await awsCli(door.endpoint, [
      'backup',
      'list-recovery-points-by-resource',
      '--resource-arn',
      instanceArn(DEMO.instance),
    ]);
    const listed = JSON.parse(list.stdout) as {
      RecoveryPoints: { RecoveryPointArn: string; CreationDate: unknown }[];
    };
    const arn = listed.RecoveryPoints[0]?.RecoveryPointArn ?? '';
    const [metadata, job] = await Promise.all([
      awsCli(door.endpoint, [
        'backup',
        'get-recovery-point-restore-metadata',
        '--backup-vault-name',
        DEMO.vault,
        '--recovery-point-arn',
        arn,
      ]),
      awsCli(door.endpoint, ['backup', 'describe-restore-job', '--restore-job-id', RestoreJobId ?? '']),
    ]);

    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(listed.RecoveryPoints).toHaveLength(3);
    expect(listed.RecoveryPoints.every((p) => typeof p.CreationDate === 'number')).toBe(true);
    expect(metadata).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(metadata.stdout)).toMatchObject({
      RecoveryPointArn: arn,
      RestoreMetadata: expect.objectContaining({ IamInstanceProfileName: DEMO.profileName }),
    });
    expect(job).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(job.stdout)).toMatchObject({
      RestoreJobId,
      Status: expect.stringMatching(/^(PENDING|RUNNING|COMPLETED)$/),
      PercentDone: expect.stringMatching(/^\d{1,3}\.\d{2}%$/),
      CreationDate: expect.any(Number),
      ExpectedCompletionTimeMinutes: 1,
      SourceResourceArn: instanceArn(QUICK),
    });
  });
});

// ---------------------------------------------------------------- botocore's model

interface BotocoreShape {
  readonly type: string;
  readonly members?: Readonly<Record<string, { readonly shape: string }>>;
  readonly member?: { readonly shape: string };
  readonly value?: { readonly shape: string };
  readonly enum?: readonly string[];
}
interface BotocoreModel {
  readonly operations: Readonly<Record<string, { readonly output?: { readonly shape: string } }>>;
  readonly shapes: Readonly<Record<string, BotocoreShape>>;
}

/** botocore's service model (botocore comes with the AWS CLI), gzipped in recent releases. */
async function botocoreModel(service: string, version: string): Promise<BotocoreModel> {
  const { stdout } = await promisify(execFile)('python3', [
    '-c',
    'import botocore, os; print(os.path.dirname(botocore.__file__))',
  ]);
  const path = join(stdout.trim(), 'data', service, version, 'service-2.json');
  const raw = existsSync(path) ? readFileSync(path) : gunzipSync(readFileSync(`${path}.gz`));
  return JSON.parse(raw.toString('utf8')) as BotocoreModel;
}

/** Every key that is not a member of its shape, and every value of the wrong JSON form. */
function shapeProblems(model: BotocoreModel, shapeName: string, value: unknown, path: string): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: unknown shape ${shapeName}`];
  const wrong = (expected: string) => [
    `${path}: expected ${expected} (${shapeName}), got ${JSON.stringify(value)}`,
  ];
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return wrong('an object');
      return Object.entries(value).flatMap(([key, child]) => {
        const member = shape.members?.[key];
        return member
          ? shapeProblems(model, member.shape, child, `${path}.${key}`)
          : [`${path}.${key}: not a member of ${shapeName}`];
      });
    }
    case 'list':
      if (!Array.isArray(value)) return wrong('an array');
      return value.flatMap((item, i) =>
        shapeProblems(model, shape.member?.shape ?? '', item, `${path}[${i}]`),
      );
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return wrong('an object');
      return Object.entries(value).flatMap(([key, child]) =>
        shapeProblems(model, shape.value?.shape ?? '', child, `${path}{${key}}`),
      );
    case 'string':
      if (typeof value !== 'string') return wrong('a string');
      return shape.enum && !shape.enum.includes(value) ? wrong(`one of ${shape.enum.join('|')}`) : [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : wrong('a boolean');
    case 'integer':
    case 'long':
      return Number.isInteger(value) ? [] : wrong('an integer');
    case 'timestamp':
      return typeof value === 'number' && Number.isFinite(value) ? [] : wrong('epoch seconds (a number)');
    default:
      return typeof value === 'number' ? [] : wrong(shape.type);
  }
}
