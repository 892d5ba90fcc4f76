/**
 * The synthesised policies are what the workflow runs with (local/iam/): take one permission out
 * of one principal (`iam.revoke`) and the run fails at the call that needs it, naming the
 * principal and the action, where the same run with the policies as synthesised succeeds.
 */
import { DEMO } from '@test/helpers/scenarios';
import { explain, type Harness, startHarness, type WorkflowRun } from '@test/helpers/workflow-run';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function request(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { instanceId: DEMO.instance, ssh: { port: 2222 }, ...extra };
}

async function runWithout(principal: string, action: string, input = request()): Promise<WorkflowRun> {
  harness = await startHarness({ iam: revoked(principal, action) });
  return harness.run(input);
}

function revoked(principal: string, action: string) {
  return {
    roles: [{ name: DEMO.instanceRole }, { name: DEMO.restoreRole, passRoles: [DEMO.instanceRole] }],
    restoreRoleName: DEMO.restoreRole,
    revoke: [{ principal, action }],
  };
}

/** `assumed-role/<the function's role>/<the function's name>`, as AWS names a Lambda caller. */
const lambdaCaller = (functionId: string) =>
  new RegExp(`User: arn:aws:sts::123456789012:assumed-role/\\w+/ec2-restore-${functionId} is not authorized`);

function liveRestoredInstances(h: Harness): string[] {
  return [...h.emulator.world.instances.values()]
    .filter((i) => i.id !== DEMO.instance && i.state !== 'terminated' && i.state !== 'shutting-down')
    .map((i) => i.id);
}

describe('a permission taken out of the synthesised policies', () => {
  it('control: with every permission as synthesised the demo restore succeeds, profile reattached', async () => {
    harness = await startHarness();
    const r = await harness.run(request({ instanceProfile: 'reattach' }));
    explain(r, () =>
      expect(r.output).toMatchObject({ status: 'RESTORED', instanceProfile: { action: 'associated' } }),
    );
  });

  it("StartRestoreJob's iam:PassRole of the restore role: the start is refused, no job runs", async () => {
    const r = await runWithout('start-restore-job', 'iam:PassRole');

    explain(r, () => {
      expect(r.status).toBe('FAILED');
      expect(r.cause).toMatch(lambdaCaller('start-restore-job'));
      expect(r.cause).toContain(
        'iam:PassRole on resource: arn:aws:iam::123456789012:role/ec2-restore-restore-role because no identity-based policy allows the iam:PassRole action',
      );
    });
    expect(harness?.emulator.world.restoreJobs.size).toBe(0);
  });

  it("AssociateIamInstanceProfile's iam:PassRole of the instance role: reattaching is refused", async () => {
    const r = await runWithout(
      'reattach-instance-profile',
      'iam:PassRole',
      request({ instanceProfile: 'reattach' }),
    );

    explain(r, () => {
      expect(r.error).toBe('InstanceProfileError');
      expect(r.cause).toMatch(lambdaCaller('reattach-instance-profile'));
      expect(r.cause).toContain(
        'not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/app-instance-role',
      );
    });
  });

  it("cleanup's ec2:TerminateInstances: Cleanup is refused; HandleFailure's own role then terminates the copy", async () => {
    const r = await runWithout('cleanup', 'ec2:TerminateInstances', request({ mode: 'test' }));

    explain(r, () => {
      expect(r.status).toBe('FAILED');
      expect(r.cause).toMatch(lambdaCaller('cleanup'));
      expect(r.cause).toMatch(
        /not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance\/i-/,
      );
    });
    expect(
      r.history.some(
        (e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'HandleFailure',
      ),
    ).toBe(true);
    expect(liveRestoredInstances(harness as Harness)).toEqual([]);
  });

  it("the SSH check's ssm:GetParameter on the key pair's private key: the check cannot read the key", async () => {
    const r = await runWithout('check-ssh', 'ssm:GetParameter');

    explain(r, () => {
      expect(r.status).toBe('FAILED');
      expect(r.cause).toMatch(lambdaCaller('check-ssh'));
      expect(r.cause).toContain(
        `not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/ec2/keypair/${DEMO.keyPairId}`,
      );
    });
  });

  it('refuses a revocation that names no statement, so a typo cannot pass as a removed permission', async () => {
    await expect(startHarness({ iam: revoked('check-ssh', 'ec2:TerminateInstances') })).rejects.toThrow(
      /iam\.revoke: no Allow statement of check-ssh .* names ec2:TerminateInstances/,
    );
  });
});
