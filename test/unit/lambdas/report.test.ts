import { PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { PublishCommand } from '@aws-sdk/client-sns';
import { step } from '@lambdas/report/handler';
import { buildOutput, type ReportDeps, report } from '@lambdas/report/report';
import { createHandler } from '@shared/handler';
import { requireSlices, type WorkflowState } from '@shared/workflow-state';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const NOW = at(1300);
const TOPIC_ARN = `arn:aws:sns:us-east-1:${IDS.account}:ec2-restore-notifications`;

function deps(overrides: Partial<ReportDeps> = {}) {
  const { logger, lines } = captureLogger();
  const reportDeps: ReportDeps = {
    backup: clients.backup,
    sns: clients.sns,
    now: () => NOW,
    logger,
    ...overrides,
  };
  return { lines, deps: reportDeps };
}

const cleanedUp = {
  instanceTerminated: true,
  elasticIpReleased: true,
  terminatedInstanceIds: [IDS.restoredInstance],
  releasedAllocationIds: [IDS.allocationId],
  completedAt: at(1290).toISOString(),
};

function testModeState(): WorkflowState {
  return stateAfter('ssh', { request: { instanceId: IDS.sourceInstance, mode: 'test' }, cleanup: cleanedUp });
}

describe('report: buildOutput', () => {
  it('assembles the RESTORED output of a recovery from the workflow state', () => {
    const output = buildOutput(stateAfter('ssh'), NOW);

    expect(output).toEqual({
      status: 'RESTORED',
      mode: 'recovery',
      executionArn: IDS.executionArn,
      source: { instanceId: IDS.sourceInstance, instanceProfileArn: IDS.profileArn, keyName: IDS.keyName },
      recoveryPoint: {
        arn: IDS.recoveryPointArn,
        backupVaultName: IDS.vault,
        creationDate: '2026-11-27T21:00:00.000Z',
        ageSeconds: 46_800,
      },
      restoreJob: { id: IDS.restoreJobId, status: 'COMPLETED' },
      instance: {
        instanceId: IDS.restoredInstance,
        privateIp: IDS.privateIp,
        publicIp: IDS.publicIp,
        subnetId: IDS.subnet,
        instanceProfileArn: IDS.profileArn,
      },
      elasticIp: {
        allocationId: IDS.allocationId,
        publicIp: IDS.publicIp,
        reason: `subnet ${IDS.subnet} does not auto-assign public IPv4 addresses`,
      },
      publicAddress: {
        action: 'allocated',
        reason: `subnet ${IDS.subnet} does not auto-assign public IPv4 addresses`,
      },
      instanceProfile: { action: 'associated', arn: IDS.profileArn },
      ssh: {
        reachable: true,
        host: IDS.publicIp,
        port: 22,
        username: 'ec2-user',
        attempts: 2,
        hostKeyFingerprint: 'SHA256:abc',
        // Issue 12's fields; a state from before them has none of them set.
        from: undefined,
        probeFunction: null,
        hostKeyVerified: null,
        hostKeyVerification: null,
        checks: [],
        securityGroups: null,
      },
      plan: null,
      timings: expect.any(Object),
      cleanup: null,
      validationReported: null,
    });
  });

  it('measures each phase between the timestamps the steps recorded', () => {
    const output = buildOutput(stateAfter('ssh'), NOW);

    expect(output.timings).toEqual({
      selectSeconds: 2, // 10:00:00 → 10:00:02
      restoreJobSeconds: 1200, // 10:00:05 → 10:20:05
      bootSeconds: 35, // 10:20:05 → 10:20:40
      profileSeconds: 10, // 10:20:45 → 10:20:55
      addressSeconds: 2, // 10:20:56 → 10:20:58
      sshReadySeconds: 50, // 10:20:40 → 10:21:30
      totalSeconds: 1300, // 10:00:00 → now
    });
  });

  it('returns PLANNED with the plan and no restore job or instance for a dry run', () => {
    const state = stateAfter('plan', { request: { instanceId: IDS.sourceInstance, dryRun: true } });

    const output = buildOutput(state, NOW);

    expect(output).toMatchObject({
      status: 'PLANNED',
      restoreJob: null,
      instance: null,
      elasticIp: null,
      ssh: null,
    });
    expect(output.plan).toEqual(requireSlices(state, 'plan').plan);
    expect(output.timings).toMatchObject({
      selectSeconds: 2,
      restoreJobSeconds: null,
      sshReadySeconds: null,
    });
  });

  it('returns VALIDATED_AND_CLEANED_UP with the cleanup result in test mode', () => {
    const output = buildOutput(testModeState(), NOW);

    expect(output.status).toBe('VALIDATED_AND_CLEANED_UP');
    expect(output.cleanup).toEqual({ instanceTerminated: true, elasticIpReleased: true });
  });

  it('gives no Elastic IP when none was needed, but says why', () => {
    const base = requireSlices(stateAfter('ssh'), 'address');
    const state = {
      ...base,
      address: {
        ...base.address,
        action: 'not-needed' as const,
        reason: 'the instance already has public IP 127.100.0.55',
        allocationId: null,
        associationId: null,
        publicIp: '127.100.0.55',
      },
    };

    const output = buildOutput(state, NOW);

    expect(output.elasticIp).toBeNull();
    expect(output.publicAddress).toEqual({
      action: 'not-needed',
      reason: 'the instance already has public IP 127.100.0.55',
    });
    expect(output.instance?.publicIp).toBe('127.100.0.55');
  });

  it('gives ssh null when the check was disabled', () => {
    const base = requireSlices(stateAfter('ssh'), 'ssh');
    const state = { ...base, ssh: { ...base.ssh, enabled: false, reachable: false, readyAt: null } };

    const output = buildOutput(state, NOW);

    expect(output.ssh).toBeNull();
    expect(output.timings.sshReadySeconds).toBeNull();
  });

  it('reports the instance slice’s profile when the profile step did not run', () => {
    const base = requireSlices(stateAfter('ssh'), 'instance');
    const { profile: _profile, ...state } = {
      ...base,
      instance: { ...base.instance, instanceProfileArn: IDS.profileArn },
    };

    const output = buildOutput(state, NOW);

    expect(output.instance?.instanceProfileArn).toBe(IDS.profileArn);
    expect(output.instanceProfile).toBeNull();
  });

  it('refuses to claim a cleanup in test mode when there is no cleanup result', () => {
    const state = stateAfter('ssh', { request: { instanceId: IDS.sourceInstance, mode: 'test' } });

    expect(() => buildOutput(state, NOW)).toThrow(/missing cleanup/);
  });
});

describe('report: side effects', () => {
  it('records a SUCCESSFUL validation on the restore job in test mode', async () => {
    mocks.backup.on(PutRestoreValidationResultCommand).resolves({});

    const output = await report(testModeState(), deps().deps);

    expect(output.validationReported).toBe(true);
    expect(mocks.backup).toHaveReceivedCommandWith(PutRestoreValidationResultCommand, {
      RestoreJobId: IDS.restoreJobId,
      ValidationStatus: 'SUCCESSFUL',
      ValidationStatusMessage: expect.stringContaining(
        `SSH as ec2-user to ${IDS.publicIp}:22 succeeded after 2 attempt(s)`,
      ),
    });
  });

  it.each(['InvalidRequestException', 'ResourceNotFoundException', 'AccessDeniedException'])(
    'tolerates %s from PutRestoreValidationResult (jobs not made by restore testing) and reports false',
    async (code) => {
      mocks.backup.on(PutRestoreValidationResultCommand).rejects(awsError(code));
      const { deps: reportDeps, lines } = deps();

      const output = await report(testModeState(), reportDeps);

      expect(output.validationReported).toBe(false);
      expect(output.status).toBe('VALIDATED_AND_CLEANED_UP');
      expect(lines.join('\n')).toContain(code);
    },
  );

  it('does not report a validation in recovery mode or for a dry run', async () => {
    const dryRun = stateAfter('plan', {
      request: { instanceId: IDS.sourceInstance, mode: 'test', dryRun: true },
    });

    const recovery = await report(stateAfter('ssh'), deps().deps);
    const planned = await report(dryRun, deps().deps);

    expect(recovery.validationReported).toBeNull();
    expect(planned.validationReported).toBeNull();
    expect(mocks.backup.calls()).toHaveLength(0);
  });

  it('publishes the output to the notification topic when one is configured', async () => {
    mocks.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const output = await report(stateAfter('ssh'), deps({ notificationTopicArn: TOPIC_ARN }).deps);

    expect(mocks.sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: `ec2-restore RESTORED: ${IDS.sourceInstance}`,
    });
    const message = mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    expect(JSON.parse(message)).toEqual(output);
  });

  it('publishes nothing without a topic', async () => {
    await report(stateAfter('ssh'), deps().deps);

    expect(mocks.sns.calls()).toHaveLength(0);
  });

  it('logs a failed publish and still returns the output', async () => {
    mocks.sns.on(PublishCommand).rejects(awsError('AuthorizationErrorException', 'not allowed'));
    const { deps: reportDeps, lines } = deps({ notificationTopicArn: TOPIC_ARN });

    const output = await report(stateAfter('ssh'), reportDeps);

    expect(output.status).toBe('RESTORED');
    expect(lines.join('\n')).toContain('could not publish the restore notification');
  });

  it('runs through the Lambda handler with the topic from the environment', async () => {
    mocks.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const handler = createHandler(step, {
      env: { NOTIFICATION_TOPIC_ARN: TOPIC_ARN },
      clients,
      now: () => NOW,
      logger: captureLogger().logger,
    });

    const output = await handler(stateAfter('ssh'));

    expect(output.status).toBe('RESTORED');
    expect(mocks.sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN });
  });
});
