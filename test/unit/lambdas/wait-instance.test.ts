import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { step } from '@lambdas/wait-instance/handler';
import { type WaitInstanceDeps, waitInstance } from '@lambdas/wait-instance/wait-instance';
import { InstanceNotRunningError, RestoreJobFailedError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { requireSlices, type WorkflowState } from '@shared/workflow-state';
import { rejection } from '@test/helpers/failure';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const POLL = 10;
const TIMEOUT = 900;
const COMPLETED = 1205;

function deps(secondsAfterT0: number): WaitInstanceDeps {
  return {
    ec2: clients.ec2,
    now: () => at(secondsAfterT0),
    pollSeconds: POLL,
    timeoutSeconds: TIMEOUT,
    logger: captureLogger().logger,
  };
}

function ec2Shows(instance: Partial<Instance>): void {
  mocks.ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: IDS.restoredInstance, ...instance }] }],
  });
}

const RUNNING: Partial<Instance> = {
  State: { Code: 16, Name: 'running' },
  PrivateIpAddress: IDS.privateIp,
  PublicIpAddress: IDS.publicIp,
  SubnetId: IDS.subnet,
  VpcId: IDS.vpc,
  IamInstanceProfile: { Arn: IDS.profileArn, Id: 'AIPAEXAMPLE' },
};

/** The state right after the restore job completed: no instance slice yet. */
const afterRestore = (): WorkflowState => stateAfter('restore');

describe('wait-instance', () => {
  it('reports pending, then running with its addresses, network and profile over two calls', async () => {
    ec2Shows({ State: { Code: 0, Name: 'pending' }, PrivateIpAddress: IDS.privateIp, SubnetId: IDS.subnet });
    const first = await waitInstance(afterRestore(), deps(COMPLETED));
    ec2Shows(RUNNING);

    const second = await waitInstance({ ...afterRestore(), instance: first }, deps(COMPLETED + POLL));

    expect(first).toMatchObject({
      instanceId: IDS.restoredInstance,
      state: 'pending',
      firstCheckedAt: at(COMPLETED).toISOString(),
      runningAt: null,
      polls: 1,
      ready: false,
      nextWaitSeconds: POLL,
    });
    expect(second).toEqual({
      instanceId: IDS.restoredInstance,
      state: 'running',
      privateIp: IDS.privateIp,
      publicIp: IDS.publicIp,
      subnetId: IDS.subnet,
      vpcId: IDS.vpc,
      instanceProfileArn: IDS.profileArn,
      firstCheckedAt: at(COMPLETED).toISOString(),
      runningAt: at(COMPLETED + POLL).toISOString(),
      polls: 2,
      ready: true,
      nextWaitSeconds: 0,
    });
    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      InstanceIds: [IDS.restoredInstance],
    });
  });

  it('reports no public IP and no profile when the instance has neither', async () => {
    ec2Shows({ State: { Code: 16, Name: 'running' }, PrivateIpAddress: IDS.privateIp });

    const instance = await waitInstance(afterRestore(), deps(COMPLETED));

    expect(instance).toMatchObject({ ready: true, publicIp: null, instanceProfileArn: null });
  });

  it('keeps waiting when EC2 does not know the new instance yet (eventual consistency)', async () => {
    mocks.ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound', 'does not exist'));

    const instance = await waitInstance(afterRestore(), deps(COMPLETED));

    expect(instance).toMatchObject({ state: 'not-found', ready: false, polls: 1, nextWaitSeconds: POLL });
  });

  it.each(['stopped', 'terminated', 'shutting-down', 'stopping'])(
    'fails with InstanceNotRunningError naming the state and EC2’s reason when the instance is %s',
    async (name) => {
      ec2Shows({
        State: { Code: 80, Name: name as 'stopped' },
        StateReason: {
          Code: 'Client.InvalidKMSKey.InvalidState',
          Message: 'Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state',
        },
      });

      const error = await rejection(waitInstance(afterRestore(), deps(COMPLETED)));

      expect(error).toBeInstanceOf(InstanceNotRunningError);
      expect(error.message).toContain(`is ${name} instead of running`);
      expect(error.message).toContain('The KMS key provided is in an incorrect state');
    },
  );

  it('fails with InstanceNotRunningError once the instance has been pending for longer than the timeout', async () => {
    ec2Shows({ State: { Code: 0, Name: 'pending' } });
    const previous = {
      ...requireSlices(stateAfter('instance'), 'instance').instance,
      state: 'pending',
      firstCheckedAt: at(COMPLETED).toISOString(),
      runningAt: null,
      polls: 90,
      ready: false,
      nextWaitSeconds: POLL,
    };

    const error = await rejection(
      waitInstance({ ...afterRestore(), instance: previous }, deps(COMPLETED + TIMEOUT)),
    );

    expect(error).toBeInstanceOf(InstanceNotRunningError);
    expect(error.message).toContain(`still pending ${TIMEOUT}s`);
  });

  it('fails with InstanceNotRunningError when EC2 still does not know the instance at the timeout', async () => {
    mocks.ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound', 'does not exist'));
    const first = await waitInstance(afterRestore(), deps(COMPLETED));

    const error = await rejection(
      waitInstance({ ...afterRestore(), instance: first }, deps(COMPLETED + TIMEOUT)),
    );

    expect(error).toBeInstanceOf(InstanceNotRunningError);
    expect(error.message).toContain(`EC2 still does not know instance ${IDS.restoredInstance}`);
  });

  it('measures the timeout from the first check and shortens the last wait to it', async () => {
    ec2Shows({ State: { Code: 0, Name: 'pending' } });
    const first = await waitInstance(afterRestore(), deps(COMPLETED));

    const later = await waitInstance({ ...afterRestore(), instance: first }, deps(COMPLETED + TIMEOUT - 4));

    expect(later).toMatchObject({
      firstCheckedAt: at(COMPLETED).toISOString(),
      polls: 2,
      nextWaitSeconds: 4,
    });
  });

  it('fails when the restore job names no created instance', async () => {
    const { restoreJob } = requireSlices(afterRestore(), 'restoreJob');
    const state = { ...afterRestore(), restoreJob: { ...restoreJob, createdInstanceId: null } };

    const error = await rejection(waitInstance(state, deps(COMPLETED)));

    expect(error).toBeInstanceOf(RestoreJobFailedError);
    expect(mocks.ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 0);
  });

  it('runs through the Lambda handler with INSTANCE_POLL_SECONDS', async () => {
    ec2Shows({ State: { Code: 0, Name: 'pending' } });
    const handler = createHandler(step, {
      env: { INSTANCE_POLL_SECONDS: '7', INSTANCE_TIMEOUT_SECONDS: '600', IN_CALL_WAIT_SECONDS: '0' },
      clients,
      now: () => at(COMPLETED),
      logger: captureLogger().logger,
    });

    const instance = await handler(afterRestore());

    expect(instance).toMatchObject({ ready: false, nextWaitSeconds: 7 });
  });

  it('checks again inside one handler call until the instance runs (IN_CALL_WAIT_SECONDS)', async () => {
    mocks.ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [
          { Instances: [{ InstanceId: IDS.restoredInstance, State: { Code: 0, Name: 'pending' } }] },
        ],
      })
      .resolves({ Reservations: [{ Instances: [{ InstanceId: IDS.restoredInstance, ...RUNNING }] }] });
    let clock = COMPLETED;
    const pauses: number[] = [];
    const handler = createHandler(step, {
      env: { IN_CALL_WAIT_SECONDS: '30' },
      clients,
      now: () => at(clock),
      sleep: async (seconds) => {
        pauses.push(seconds);
        clock += seconds;
      },
      logger: captureLogger().logger,
    });

    const instance = await handler(afterRestore());

    expect(instance).toMatchObject({ ready: true, polls: 2, firstCheckedAt: at(COMPLETED).toISOString() });
    expect(pauses).toEqual([2]);
    expect(mocks.ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
  });
});
