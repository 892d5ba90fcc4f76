/** `ec2-restore list`, `status` and `recovery-points` against the emulator, for people and for scripts. */
import { DURATION } from '@test/helpers/cli-format';
import { type CliEmulator, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { DEMO } from '@test/helpers/scenarios';

let world: CliEmulator;
let executionArn: string;
let name: string;

beforeAll(async () => {
  world = await startCliEmulator();
  const started = await runInProcess(
    ['start', '--instance-id', DEMO.instance, '--ssh-port', '2222', '--json'],
    {
      env: world.env,
    },
  );
  ({ executionArn, name } = JSON.parse(started.stdout));
  await executionClosed(world.emulator, executionArn);
});

afterAll(() => world.stop());

describe('ec2-restore list', () => {
  let fleetArn: string;
  let fleetName: string;

  beforeAll(async () => {
    // A fleet execution, started after the restore: newest first puts it on top.
    const started = await runInProcess(
      ['fleet', '--instance-ids', DEMO.instance, '--ssh-port', '2222', '--dry-run', '--json'],
      { env: world.env },
    );
    ({ executionArn: fleetArn, name: fleetName } = JSON.parse(started.stdout));
    await executionClosed(world.emulator, fleetArn);
  });

  it('shows the executions of both workflows newest first in a table, fleets marked, filtered by status', async () => {
    const { code, stdout } = await runInProcess(['list', '--status', 'succeeded'], { env: world.env });

    expect(code).toBe(0);
    const [header, ...rows] = stdout.split('\n');
    expect(header).toMatch(/^STARTED \(UTC\)\s+KIND\s+STATUS\s+TOOK\s+NAME$/);
    const row = (kind: string, executionName: string) =>
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+${kind}\\s+SUCCEEDED\\s+${DURATION}\\s+${executionName}$`,
      );
    const listed = rows.filter((r) => /^\d{4}-/.test(r));
    expect(listed).toContainEqual(expect.stringMatching(row('fleet', fleetName)));
    expect(listed).toContainEqual(expect.stringMatching(row('restore', name)));
    // The fleet's child (plan-fleet-…-i-…) is a restore-instance execution: only the fleet is marked.
    expect(listed.filter((r) => / fleet /.test(r))).toHaveLength(1);
    const started = listed.map((r) => r.slice(0, 16));
    expect(started).toEqual([...started].sort().reverse());
  });

  it('lists only restores, and says how to see fleets, when the fleet state machine is not configured', async () => {
    const { code, stdout } = await runInProcess(['list'], {
      env: { ...world.env, EC2_RESTORE_FLEET_STATE_MACHINE_ARN: undefined },
    });

    expect(code).toBe(0);
    expect(stdout).not.toMatch(/ fleet /);
    expect(stdout).toMatch(new RegExp(`\\s+restore\\s+SUCCEEDED\\s+${DURATION}\\s+${name}\\n`));
    expect(stdout).toContain(
      'Fleets too: export EC2_RESTORE_FLEET_STATE_MACHINE_ARN (the restore-fleet state machine).',
    );
  });

  it('prints one JSON document under --json, each execution with its kind, and says so when nothing matches', async () => {
    const json = await runInProcess(['list', '--json'], { env: world.env });
    const running = await runInProcess(['list', '--status', 'RUNNING'], { env: world.env });

    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({
      stateMachineArn: world.emulator.stateMachineArns.restoreInstance,
      fleetStateMachineArn: world.emulator.stateMachineArns.restoreFleet,
    });
    expect(doc.executions).toContainEqual({
      executionArn: fleetArn,
      name: fleetName,
      kind: 'fleet',
      status: 'SUCCEEDED',
      startDate: expect.any(String),
      stopDate: expect.any(String),
    });
    expect(doc.executions).toContainEqual({
      executionArn,
      name,
      kind: 'restore',
      status: 'SUCCEEDED',
      startDate: expect.any(String),
      stopDate: expect.any(String),
    });
    const starts = doc.executions.map((e: { startDate: string }) => Date.parse(e.startDate));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(running.stdout).toBe(
      `No RUNNING executions of ${world.emulator.stateMachineArns.restoreInstance} or ${world.emulator.stateMachineArns.restoreFleet}.\n`,
    );
  });

  it('rejects an unknown --status with exit 2', async () => {
    const { code, stderr } = await runInProcess(['list', '--status', 'DONE'], { env: world.env });

    expect(code).toBe(2);
    expect(stderr).toContain('--status: must be one of RUNNING, SUCCEEDED, FAILED');
  });
});

describe('ec2-restore status', () => {
  it('shows a succeeded restore with its summary, exit 0; --json holds the output', async () => {
    const human = await runInProcess(['status', name], { env: world.env });
    const json = await runInProcess(['status', executionArn, '--json'], { env: world.env });

    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^status {5}SUCCEEDED$/m);
    expect(human.stdout).toMatch(/^console {4}https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\/home/m);
    expect(human.stdout).toMatch(new RegExp(`total \\(RTO\\)\\s+${DURATION}\\n`));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      executionArn,
      name,
      status: 'SUCCEEDED',
      error: null,
      failedStep: null,
      output: { status: 'RESTORED', ssh: { reachable: true } },
    });
  });
});

describe('ec2-restore status of an execution that does not exist', () => {
  it('is bad usage, exit 2, saying there is no such execution, by name or by ARN', async () => {
    const byName = await runInProcess(['status', 'no-such-restore'], { env: world.env });
    const missingArn = executionArn.replace(/:[^:]+$/, ':no-such-restore');
    const byArn = await runInProcess(['status', missingArn, '--json'], { env: world.env });

    expect(byName).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'ec2-restore: No such execution: no restore-instance or restore-fleet execution is named "no-such-restore" in us-east-1.\n' +
        '  fix: Check the ARN or name (`ec2-restore list` shows recent executions), the Region, and the state machine.\n',
    });
    expect(byArn.code).toBe(2);
    expect(byArn.stderr).toBe(
      `ec2-restore: No such execution: ${missingArn} in us-east-1.\n` +
        '  fix: Check the ARN or name (`ec2-restore list` shows recent executions), the Region, and the state machine.\n',
    );
    expect(JSON.parse(byArn.stdout)).toEqual({
      error: {
        code: 'ExecutionNotFound',
        message: `No such execution: ${missingArn} in us-east-1.`,
        fix: expect.stringContaining('ec2-restore list'),
      },
    });
  });
});

describe('ec2-restore recovery-points', () => {
  it('lists the points newest first with creation time, age, vault and status', async () => {
    const { code, stdout } = await runInProcess(['recovery-points', '--instance-id', DEMO.instance], {
      env: world.env,
    });

    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`Recovery points for ${DEMO.instance} in us-east-1, newest first:`);
    expect(lines[2]).toMatch(/^CREATED \(UTC\)\s+AGE\s+VAULT\s+STATUS\s+RECOVERY POINT$/);
    const rows = lines.slice(3).filter((l) => /^\d{4}-/.test(l));
    const expected = [...world.emulator.world.recoveryPoints.values()].filter(
      (p) => p.instanceId === DEMO.instance,
    );
    expect(rows).toHaveLength(expected.length);
    for (const row of rows)
      expect(row).toMatch(
        /^\S+ \S+\s+\d+[dhms][^ ]*( \d+[hms])?\s+EC2\s+COMPLETED\s+arn:aws:ec2:us-east-1::image\/ami-/,
      );
    const created = rows.map((r) => r.slice(0, 16));
    expect(created).toEqual([...created].sort().reverse());
  });

  it('--json gives each point with its age in seconds, newest first', async () => {
    const { stdout } = await runInProcess(
      ['recovery-points', '--instance-id', DEMO.instance, '--vault', 'EC2', '--json'],
      {
        env: world.env,
      },
    );

    const doc = JSON.parse(stdout);
    expect(doc.resourceArn).toBe(`arn:aws:ec2:us-east-1:123456789012:instance/${DEMO.instance}`);
    expect(doc.recoveryPoints.length).toBeGreaterThan(1);
    const dates = doc.recoveryPoints.map((p: { creationDate: string }) => Date.parse(p.creationDate));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    expect(doc.recoveryPoints[0]).toEqual({
      recoveryPointArn: expect.stringMatching(/^arn:aws:ec2:us-east-1::image\/ami-/),
      backupVaultName: 'EC2',
      creationDate: expect.any(String),
      ageSeconds: expect.any(Number),
      status: 'COMPLETED',
    });
  });

  it('says so for an instance without recovery points', async () => {
    const { code, stdout } = await runInProcess(['recovery-points', '--instance-id', 'i-0000000000000000f'], {
      env: world.env,
    });

    expect({ code, stdout }).toEqual({
      code: 0,
      stdout: 'No recovery points for i-0000000000000000f in us-east-1.\n',
    });
  });

  it('exits 2 for a vault that does not exist, listing the ones that do', async () => {
    const { code, stderr } = await runInProcess(
      ['recovery-points', '--instance-id', DEMO.instance, '--vault', 'Archive'],
      {
        env: world.env,
      },
    );

    expect(code).toBe(2);
    expect(stderr).toBe(
      'ec2-restore: --vault: there is no backup vault "Archive" in us-east-1.\n  fix: Vaults here: EC2.\n',
    );
  });

  it('exits 2 for a malformed or missing --instance-id', async () => {
    const malformed = await runInProcess(['recovery-points', '--instance-id', 'web-1'], { env: world.env });
    const missing = await runInProcess(['recovery-points'], { env: world.env });

    expect(malformed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--instance-id: must look like'),
    });
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("required option '--instance-id <id>'"),
    });
  });
});
