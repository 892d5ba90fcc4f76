/** AWS Backup's resources: vaults, recovery points (the AMIs behind them) and restore jobs. */
import { AwsError } from '../aws-error';
import { newRestoreJobId } from '../ids';
import type { BackupVault, RecoveryPoint, RestoreJob, WorldContext } from './types';

/** Hears a restore job's creation (`previous` undefined) and every change of its status. */
export type RestoreJobListener = (job: RestoreJob, previous: RestoreJob['status'] | undefined) => void;

export class BackupStore {
  readonly vaults = new Map<string, BackupVault>();
  readonly recoveryPoints = new Map<string, RecoveryPoint>();
  readonly restoreJobs = new Map<string, RestoreJob>();
  private readonly jobListeners: RestoreJobListener[] = [];

  constructor(private readonly world: WorldContext) {}

  addVault(name: string, creationDate: Date): void {
    const { region, accountId } = this.world;
    this.vaults.set(name, {
      name,
      arn: `arn:aws:backup:${region}:${accountId}:backup-vault:${name}`,
      creationDate,
    });
  }

  addRecoveryPoint(p: Omit<RecoveryPoint, 'arn' | 'resourceArn' | 'completionDate' | 'sizeBytes'>): void {
    const arn = `arn:aws:ec2:${this.world.region}::image/${p.imageId}`;
    this.recoveryPoints.set(arn, {
      ...p,
      arn,
      resourceArn: this.world.ec2.instances.instanceArn(p.instanceId),
      completionDate: new Date(p.creationDate.getTime() + 420_000),
      sizeBytes: 8 * 1024 ** 3,
    });
  }

  listRecoveryPointsByResource(resourceArn: string): RecoveryPoint[] {
    return [...this.recoveryPoints.values()].filter((p) => p.resourceArn === resourceArn);
  }

  listRecoveryPointsByVault(
    vault: string,
    filter: { resourceArn?: string; resourceType?: string; createdBefore?: Date; createdAfter?: Date },
  ): RecoveryPoint[] {
    this.mustGetVault(vault);
    return [...this.recoveryPoints.values()].filter(
      (p) =>
        p.vault === vault &&
        (!filter.resourceArn || p.resourceArn === filter.resourceArn) &&
        (!filter.resourceType || filter.resourceType === 'EC2') &&
        (!filter.createdBefore || p.creationDate.getTime() <= filter.createdBefore.getTime()) &&
        (!filter.createdAfter || p.creationDate.getTime() >= filter.createdAfter.getTime()),
    );
  }

  describeRecoveryPoint(vault: string, arn: string): RecoveryPoint {
    this.mustGetVault(vault);
    const point = this.recoveryPoints.get(arn);
    if (!point || point.vault !== vault) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Recovery point ${arn} not found in backup vault ${vault}`,
      );
    }
    return point;
  }

  mustGetVault(name: string): BackupVault {
    const vault = this.vaults.get(name);
    if (!vault) throw new AwsError('ResourceNotFoundException', `Backup vault ${name} does not exist`);
    return vault;
  }

  /** EC2's DescribeImages: the AMIs behind the recovery points (AWSBackup_<instanceId>_<jobId>). */
  describeImages(ids: readonly string[]): RecoveryPoint[] {
    const images = [...this.recoveryPoints.values()];
    const missing = ids.find((id) => !images.some((p) => p.imageId === id));
    if (missing) throw new AwsError('InvalidAMIID.NotFound', `The image id '[${missing}]' does not exist`);
    return ids.length > 0 ? images.filter((p) => ids.includes(p.imageId)) : images;
  }

  startRestoreJob(req: {
    recoveryPointArn: string;
    metadata: Record<string, string>;
    iamRoleArn: string | undefined;
    idempotencyToken: string | undefined;
    resourceType: string | undefined;
    copySourceTags: boolean;
  }): RestoreJob {
    const point = this.recoveryPoints.get(req.recoveryPointArn);
    if (!point)
      throw new AwsError('ResourceNotFoundException', `Recovery point ${req.recoveryPointArn} not found`);
    if (req.resourceType && req.resourceType !== 'EC2') {
      throw new AwsError(
        'InvalidParameterValueException',
        `Resource type ${req.resourceType} does not match the recovery point (EC2)`,
      );
    }
    if (point.status !== 'COMPLETED' && point.status !== 'AVAILABLE') {
      throw new AwsError(
        'InvalidRequestException',
        `Recovery point ${point.arn} is ${point.status} and cannot be restored`,
      );
    }
    if (!req.iamRoleArn)
      throw new AwsError(
        'MissingParameterValueException',
        'IamRoleArn is required to restore an EC2 instance',
      );
    const now = this.world.clock.now();
    // Idempotency tokens are honoured for an hour (aws-facts A.7).
    if (req.idempotencyToken) {
      const previous = [...this.restoreJobs.values()].find(
        (j) =>
          j.idempotencyToken === req.idempotencyToken && now.getTime() - j.createdAt.getTime() < 3_600_000,
      );
      if (previous) return previous;
    }
    for (const [key, value] of Object.entries(req.metadata)) {
      if (typeof value !== 'string')
        throw new AwsError('InvalidParameterValueException', `Metadata value for ${key} must be a string`);
    }
    const faults = this.world.faults;
    const fault = { ...faults.restoreJob, ...faults.restoreJobsBySource[point.instanceId] };
    const job: RestoreJob = {
      id: newRestoreJobId(),
      recoveryPointArn: point.arn,
      metadata: { ...req.metadata },
      iamRoleArn: req.iamRoleArn,
      idempotencyToken: req.idempotencyToken ?? null,
      copySourceTags: req.copySourceTags,
      createdAt: now,
      durationMs: (fault.durationMinutes ?? 10) * 60_000,
      fault,
      status: 'PENDING',
      statusMessage: null,
      completedAt: null,
      createdInstanceId: null,
      validationStatus: null,
      validationMessage: null,
    };
    this.restoreJobs.set(job.id, this.observed(job));
    for (const listener of this.jobListeners) listener(job, undefined);
    return job;
  }

  /** `listener` hears each restore job's creation and status changes (Restore Job State Change events). */
  onRestoreJobChange(listener: RestoreJobListener): void {
    this.jobListeners.push(listener);
  }

  /**
   * The job with its status observed: the rules that move it (backup-restore-rules.ts) assign
   * `status`, and every listener hears the change. Listeners are called while the rules are still
   * filling in the outcome (createdInstanceId follows status), so they read the job later.
   */
  private observed(job: RestoreJob): RestoreJob {
    let status = job.status;
    Object.defineProperty(job, 'status', {
      enumerable: true,
      configurable: true,
      get: () => status,
      set: (next: RestoreJob['status']) => {
        const previous = status;
        status = next;
        if (next !== previous) for (const listener of this.jobListeners) listener(job, previous);
      },
    });
    return job;
  }

  describeRestoreJob(id: string): RestoreJob {
    const job = this.restoreJobs.get(id);
    if (!job) throw new AwsError('ResourceNotFoundException', `Restore job ${id} not found`);
    return job;
  }

  /** Percent done as AWS reports it (a string such as "45.00%"). */
  percentDone(job: RestoreJob): string {
    if (job.status === 'COMPLETED') return '100.00%';
    if (job.status === 'PENDING') return '0.00%';
    const fraction = Math.min(0.99, (this.world.clock.nowMs() - job.createdAt.getTime()) / job.durationMs);
    return `${(fraction * 100).toFixed(2)}%`;
  }

  putRestoreValidationResult(id: string, status: string): void {
    const job = this.describeRestoreJob(id);
    // Unconfirmed whether AWS accepts this for jobs no restore testing plan created (aws-facts
    // A.9, H.4); failing is the safe assumption, so the workflow must tolerate it.
    if (job.status !== 'COMPLETED')
      throw new AwsError(
        'InvalidRequestException',
        `Restore job ${id} is ${job.status}; only completed jobs can be validated`,
      );
    throw new AwsError(
      'InvalidRequestException',
      `Restore job ${id} was not created by a restore testing plan; validation status ${status} cannot be set`,
    );
  }
}
