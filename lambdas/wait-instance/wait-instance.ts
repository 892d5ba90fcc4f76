import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { findInstance } from '@shared/ec2';
import { InstanceNotRunningError, RestoreJobFailedError } from '@shared/errors';
import type { Logger } from '@shared/logger';
import type { Clock } from '@shared/time';
import { type InstanceState, requireSlices, type WorkflowState } from '@shared/workflow-state';

export interface WaitInstanceDeps {
  readonly ec2: EC2Client;
  readonly now: Clock;
  /** Seconds between checks (INSTANCE_POLL_SECONDS). */
  readonly pollSeconds: number;
  /** How long the instance may take to be running, from the first check (INSTANCE_TIMEOUT_SECONDS). */
  readonly timeoutSeconds: number;
  readonly logger?: Logger;
}

/** States an instance does not come back from on its own: the restore produced no usable machine. */
const GONE_OR_STOPPING = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

/**
 * Step 7: wait until the instance the restore job created is running. Called in a loop; each call
 * describes the instance once. Not found right after the job completed is EC2's eventual
 * consistency, so it counts as "not yet", like `pending`, until the timeout.
 */
export async function waitInstance(state: WorkflowState, deps: WaitInstanceDeps): Promise<InstanceState> {
  const { restoreJob } = requireSlices(state, 'restoreJob');
  const instanceId = restoreJob.createdInstanceId;
  if (!instanceId) {
    throw new RestoreJobFailedError(
      `Restore job ${restoreJob.id} (${restoreJob.status}) names no created instance, so there is nothing to wait for. ` +
        'Look up the job in the AWS Backup console (Jobs → Restore jobs).',
    );
  }
  const now = deps.now();
  const previous =
    state.instance && !state.instance.ready && state.instance.instanceId === instanceId
      ? state.instance
      : null;
  const firstCheckedAt = previous?.firstCheckedAt ?? now.toISOString();
  const polls = (previous?.polls ?? 0) + 1;

  const instance = await findInstance(deps.ec2, instanceId);
  const stateName = instance?.State?.Name ?? 'not-found';
  const base = {
    instanceId,
    state: stateName,
    privateIp: instance?.PrivateIpAddress ?? null,
    publicIp: instance?.PublicIpAddress ?? null,
    subnetId: instance?.SubnetId ?? null,
    vpcId: instance?.VpcId ?? null,
    instanceProfileArn: instance?.IamInstanceProfile?.Arn ?? null,
    firstCheckedAt,
    polls,
  };

  if (stateName === 'running') {
    deps.logger?.info('restored instance is running', { instanceId, polls });
    return { ...base, runningAt: now.toISOString(), ready: true, nextWaitSeconds: 0 };
  }
  if (instance && GONE_OR_STOPPING.has(stateName)) {
    throw new InstanceNotRunningError(notRunningMessage(instanceId, stateName, instance));
  }

  const waited = (now.getTime() - Date.parse(firstCheckedAt)) / 1000;
  const remaining = Math.ceil(deps.timeoutSeconds - waited);
  if (remaining <= 0) {
    throw new InstanceNotRunningError(
      instance
        ? `Restored instance ${instanceId} was still ${stateName} ${Math.round(waited)}s after the restore job completed ` +
            `(limit ${deps.timeoutSeconds}s, ${polls} checks). Look at it in the EC2 console (state, system log); ` +
            'raise INSTANCE_TIMEOUT_SECONDS if this instance type is known to boot slowly.'
        : `EC2 still does not know instance ${instanceId} ${Math.round(waited)}s after restore job ${restoreJob.id} ` +
            `reported creating it (limit ${deps.timeoutSeconds}s, ${polls} checks). Check the job's created resource in ` +
            'the AWS Backup console and that this workflow looks in the same account and Region.',
    );
  }
  deps.logger?.info('restored instance not running yet', { instanceId, state: stateName, polls });
  return {
    ...base,
    runningAt: null,
    ready: false,
    nextWaitSeconds: Math.max(1, Math.min(deps.pollSeconds, remaining)),
  };
}

function notRunningMessage(instanceId: string, stateName: string, instance: Instance): string {
  const reason = instance.StateReason?.Message ?? instance.StateTransitionReason ?? '';
  const why = reason ? ` (${reason})` : ' (EC2 gave no reason)';
  return (
    `Restored instance ${instanceId} is ${stateName} instead of running${why}. The restore produced no usable ` +
    'instance: common causes are EBS volumes encrypted with a KMS key the instance may not use ' +
    '(Client.InvalidKMSKey.InvalidState, Client.InternalError), a volume or capacity limit ' +
    '(Client.VolumeLimitExceeded, Server.InsufficientInstanceCapacity), or someone stopping or terminating it. ' +
    'Look at its state transition reason and system log in the EC2 console.'
  );
}
