import { type BackupClient, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { awsErrorCode, errorMessage } from '@shared/errors';
import type { Logger } from '@shared/logger';
import { type Clock, secondsBetween } from '@shared/time';
import { type RestoreOutput, requireSlices, type Timings, type WorkflowState } from '@shared/workflow-state';

export interface ReportDeps {
  readonly backup: BackupClient;
  readonly sns: SNSClient;
  readonly now: Clock;
  readonly logger: Logger;
  /** Publish the output here when set. */
  readonly notificationTopicArn?: string;
}

/** Refusals AWS Backup gives for jobs that no restore testing plan created (aws-facts A.9), or an already-set status. */
const VALIDATION_REFUSALS = new Set([
  'InvalidRequestException',
  'ResourceNotFoundException',
  'AccessDeniedException',
  'AccessDenied',
]);

const MAX_VALIDATION_MESSAGE = 1000;
/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
const MAX_SUBJECT = 100;

/**
 * Step 12: the contract output (docs/contract.md §2). In test mode it also records the outcome on the
 * restore job (best effort: Backup accepts it only for some jobs), and when a topic is configured
 * it publishes the output. Neither side effect can fail a restore that has already succeeded.
 */
export async function report(state: WorkflowState, deps: ReportDeps): Promise<RestoreOutput> {
  const draft = buildOutput(state, deps.now());
  const validationReported =
    draft.mode === 'test' && draft.status !== 'PLANNED' ? await reportValidation(state, draft, deps) : null;
  const output: RestoreOutput = { ...draft, validationReported };
  if (deps.notificationTopicArn) await publish(deps, deps.notificationTopicArn, output);
  return output;
}

/** The execution output, from the workflow state alone. */
export function buildOutput(
  state: WorkflowState,
  now: Date,
  validationReported: boolean | null = null,
): RestoreOutput {
  const { request, selection, source, plan, execution } = requireSlices(
    state,
    'request',
    'selection',
    'source',
    'plan',
  );
  const timings = computeTimings(state, now);
  const common = {
    mode: request.mode,
    executionArn: execution.id,
    source: {
      instanceId: source.instanceId,
      instanceProfileArn: source.instanceProfileArn,
      keyName: source.keyName,
    },
    recoveryPoint: {
      arn: selection.recoveryPoint.arn,
      backupVaultName: selection.recoveryPoint.backupVaultName,
      creationDate: selection.recoveryPoint.creationDate,
      ageSeconds: selection.recoveryPoint.ageSeconds,
    },
    timings,
    validationReported,
  };
  if (request.dryRun) {
    return {
      ...common,
      status: 'PLANNED',
      restoreJob: null,
      instance: null,
      elasticIp: null,
      publicAddress: null,
      instanceProfile: null,
      ssh: null,
      plan,
      cleanup: null,
    };
  }

  const { restoreJob, instance, address, profile, ssh } = requireSlices(state, 'restoreJob', 'instance');
  // Test mode's status promises the cleanup happened; without its slice the state machine is miswired.
  const cleanup = request.mode === 'test' ? requireSlices(state, 'cleanup').cleanup : null;
  const elasticIp =
    (address?.action === 'allocated' || address?.action === 'reused') &&
    address.allocationId &&
    address.publicIp
      ? { allocationId: address.allocationId, publicIp: address.publicIp, reason: address.reason }
      : null;
  return {
    ...common,
    status: request.mode === 'test' ? 'VALIDATED_AND_CLEANED_UP' : 'RESTORED',
    restoreJob: { id: restoreJob.id, status: restoreJob.status },
    instance: {
      instanceId: instance.instanceId,
      privateIp: instance.privateIp,
      // The instance slice was read before the address step attached (or found) the public address.
      publicIp: address?.publicIp ?? instance.publicIp,
      subnetId: instance.subnetId,
      instanceProfileArn: profile?.instanceProfileArn ?? instance.instanceProfileArn,
    },
    elasticIp,
    publicAddress: address ? { action: address.action, reason: address.reason } : null,
    instanceProfile: profile ? { action: profile.action, arn: profile.instanceProfileArn } : null,
    ssh:
      ssh?.enabled === true
        ? {
            reachable: ssh.reachable,
            host: ssh.host,
            port: ssh.port,
            username: ssh.username,
            attempts: ssh.attempts,
            hostKeyFingerprint: ssh.hostKeyFingerprint,
            // Issue 12: where the check came from, the host-key verification and the checks run.
            from: ssh.from,
            probeFunction: ssh.probeFunction ?? null,
            hostKeyVerified: ssh.hostKeyVerified ?? null,
            hostKeyVerification: ssh.hostKeyVerification ?? null,
            checks: ssh.checks ?? [],
            securityGroups: ssh.securityGroups ?? null,
          }
        : null,
    plan: null,
    cleanup: cleanup
      ? { instanceTerminated: cleanup.instanceTerminated, elasticIpReleased: cleanup.elasticIpReleased }
      : null,
  };
}

/** Seconds per phase; null for a phase that did not run (dry run, SSH disabled, …). */
export function computeTimings(state: WorkflowState, now: Date): Timings {
  const { execution, selection, restoreJob, instance, profile, address, ssh } = state;
  return {
    selectSeconds: secondsBetween(execution.startTime, selection?.completedAt),
    restoreJobSeconds: secondsBetween(restoreJob?.startedAt, restoreJob?.completedAt),
    bootSeconds: secondsBetween(restoreJob?.completedAt, instance?.runningAt),
    profileSeconds: secondsBetween(profile?.startedAt, profile?.completedAt),
    addressSeconds: secondsBetween(address?.startedAt, address?.completedAt),
    sshReadySeconds: secondsBetween(instance?.runningAt, ssh?.readyAt),
    totalSeconds: secondsBetween(execution.startTime, now.toISOString()) ?? 0,
  };
}

async function reportValidation(
  state: WorkflowState,
  output: RestoreOutput,
  deps: ReportDeps,
): Promise<boolean> {
  const restoreJobId = output.restoreJob?.id;
  if (!restoreJobId) return false;
  try {
    await deps.backup.send(
      new PutRestoreValidationResultCommand({
        RestoreJobId: restoreJobId,
        ValidationStatus: 'SUCCESSFUL',
        ValidationStatusMessage: validationMessage(state, output),
      }),
    );
    return true;
  } catch (error) {
    const code = awsErrorCode(error);
    const details = { restoreJobId, errorName: code, errorMessage: errorMessage(error) };
    // The restore and its cleanup have succeeded; a refused or failed write of the verdict is
    // recorded in the output (validationReported false) rather than turned into a failed restore.
    if (code && VALIDATION_REFUSALS.has(code)) {
      deps.logger.warn('AWS Backup refused the validation result for this restore job', details);
    } else {
      deps.logger.error('could not record the validation result on the restore job', details);
    }
    return false;
  }
}

function validationMessage(state: WorkflowState, output: RestoreOutput): string {
  const instanceId = output.instance?.instanceId ?? 'the restored instance';
  const ssh = output.ssh;
  const sshPart = ssh
    ? `SSH as ${ssh.username} to ${ssh.host}:${ssh.port} succeeded after ${ssh.attempts} attempt(s)` +
      `${ssh.hostKeyFingerprint ? ` (host key ${ssh.hostKeyFingerprint})` : ''}` +
      `${output.timings.sshReadySeconds !== null ? `, ${output.timings.sshReadySeconds}s after boot` : ''}`
    : 'SSH check disabled by request';
  const cleanupPart = state.cleanup ? '; test resources cleaned up' : '';
  const text = `${instanceId} reached running; ${sshPart}${cleanupPart}. Execution ${output.executionArn}`;
  return text.length <= MAX_VALIDATION_MESSAGE ? text : `${text.slice(0, MAX_VALIDATION_MESSAGE - 1)}…`;
}

async function publish(deps: ReportDeps, topicArn: string, output: RestoreOutput): Promise<void> {
  const subject = `ec2-restore ${output.status}: ${output.source.instanceId}`.replace(/[^\x20-\x7e]/g, '?');
  try {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subject.slice(0, MAX_SUBJECT),
        Message: JSON.stringify(output, null, 2),
      }),
    );
  } catch (error) {
    deps.logger.error('could not publish the restore notification; the restore itself is unaffected', {
      topicArn,
      errorName: awsErrorCode(error),
      errorMessage: errorMessage(error),
    });
  }
}
