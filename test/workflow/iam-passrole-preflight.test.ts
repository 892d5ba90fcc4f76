/**
 * The PassRole pre-flight (lambdas/plan-restore/passrole-preflight.ts) against the emulator's IAM,
 * which answers SimulatePrincipalPolicy with the evaluator it enforces: a restore role that may
 * pass the profile's role lets the restore start; one that may not fails PlanRestore with
 * PreflightError before any restore job; plan-restore without iam:SimulatePrincipalPolicy fails
 * safe, naming the permission.
 */
import { DEMO } from '@test/helpers/scenarios';
import { explain, type Harness, startHarness } from '@test/helpers/workflow-run';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const passrole = {
  instanceId: DEMO.instance,
  ssh: { port: 2222 },
  instanceProfile: 'passrole',
  dryRun: true,
};
const simulations = (h: Harness) =>
  h.apiCalls.filter((line) => line.startsWith('iam:SimulatePrincipalPolicy '));

it('passes when the synthesised restore role may pass the instance role to EC2', async () => {
  harness = await startHarness();
  const r = await harness.run(passrole);

  explain(r, () => expect(r.status).toBe('SUCCEEDED'));
  expect(simulations(harness)).toEqual(['iam:SimulatePrincipalPolicy 200']);
  expect(JSON.stringify(r.output)).toContain(
    'may pass arn:aws:iam::123456789012:role/app-instance-role to EC2',
  );
});

it('fails with PreflightError, before any restore job, when the restore role may not pass it', async () => {
  harness = await startHarness({
    iam: {
      roles: [{ name: DEMO.instanceRole }, { name: DEMO.restoreRole }],
      restoreRoleName: DEMO.restoreRole,
    },
  });
  const r = await harness.run({ ...passrole, dryRun: false });

  explain(r, () => {
    expect(r.error).toBe('PreflightError');
    expect(r.cause).toContain(
      'restore role arn:aws:iam::123456789012:role/ec2-restore-restore-role may not pass the role inside instance profile app-profile, arn:aws:iam::123456789012:role/app-instance-role, to EC2 (iam:SimulatePrincipalPolicy: explicitDeny)',
    );
  });
  expect(harness.emulator.world.restoreJobs.size).toBe(0);
});

it('fails safe, naming the permission, when plan-restore may not simulate', async () => {
  harness = await startHarness({
    iam: {
      roles: [{ name: DEMO.instanceRole }, { name: DEMO.restoreRole, passRoles: [DEMO.instanceRole] }],
      restoreRoleName: DEMO.restoreRole,
      revoke: [{ principal: 'plan-restore', action: 'iam:SimulatePrincipalPolicy' }],
    },
  });
  const r = await harness.run({ ...passrole, dryRun: false });

  explain(r, () => {
    expect(r.error).toBe('PreflightError');
    expect(r.cause).toContain(
      '(AccessDenied); grant this function iam:SimulatePrincipalPolicy on the restore role',
    );
  });
  expect(simulations(harness)).toEqual(['iam:SimulatePrincipalPolicy 403 AccessDenied']);
});
