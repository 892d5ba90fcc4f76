/**
 * User data often carries bootstrap secrets, and the workflow state is logged whole (the state
 * machine's log at level ALL, the execution history, outputs, e-mails). A recovery point whose
 * restore metadata holds user data with a marker is restored on the emulator in every mode, and
 * the marker, raw or in base64, must appear nowhere but in the restore job's own metadata, which
 * must hold the user data exactly: the restored instance still gets it.
 */
import { randomBytes } from 'node:crypto';
import { DEMO, demoRecoveryPoint } from '@test/helpers/scenarios';
import { explain, type Harness, startHarness, type WorkflowRun } from '@test/helpers/workflow-run';

const MARKER = `userdata-leak-marker-${randomBytes(6).toString('hex')}`;
const USER_DATA = Buffer.from(
  `#!/bin/bash\nexport DB_PASSWORD='${MARKER}'\n/opt/app/bootstrap --token "$DB_PASSWORD"\n`,
).toString('base64');

/**
 * Every text the marker leaves in base64, wherever it sits in the encoded data: the marker
 * encoded at each of the three alignments, without the characters its neighbours also decide.
 */
function base64Forms(marker: string): string[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.from(`${'\0'.repeat(offset)}${marker}`).toString('base64');
    // Character i holds bits 6i..6i+5: those wholly inside the marker's bytes.
    return encoded.slice(Math.ceil((offset * 4) / 3), Math.floor(((offset + marker.length) * 4) / 3));
  });
}

const NEEDLES = [MARKER, USER_DATA, ...base64Forms(MARKER)];

/** Where the marker shows up, if anywhere: history, output, error, Lambda logs. */
function leaks(harness: Harness, run: WorkflowRun<unknown>): string[] {
  const places = {
    history: JSON.stringify(run.history),
    output: JSON.stringify(run.output),
    error: `${run.error ?? ''}\n${run.cause ?? ''}`,
    'Lambda logs': harness.emulator.lambdaLogs.join('\n'),
  };
  return Object.entries(places).flatMap(([where, text]) =>
    NEEDLES.filter((needle) => text.includes(needle)).map(
      (needle) => `user data in the ${where} (${needle === MARKER ? 'raw' : 'base64'})`,
    ),
  );
}

/** The newest recovery point of the demo instance, with restore metadata that holds user data. */
function scenarioWithUserData(iam?: { passRoles: string[] }) {
  return {
    backupPlan: undefined,
    ...(iam && {
      iam: {
        roles: [{ name: DEMO.instanceRole }, { name: DEMO.restoreRole, passRoles: iam.passRoles }],
        restoreRoleName: DEMO.restoreRole,
      },
    }),
    recoveryPoints: [
      demoRecoveryPoint({
        DisableApiTermination: 'false',
        UserData: USER_DATA,
        'aws:backup:request-id': '0f6f1f6e-0000-4000-8000-000000000001',
      }),
    ],
  };
}

function request(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { instanceId: DEMO.instance, ssh: { port: 2222 }, ...extra };
}

/** The user data the restore job that created this instance was started with. */
function userDataLaunchedWith(harness: Harness, instanceId: string | undefined): string | undefined {
  const job = [...harness.emulator.world.restoreJobs.values()].find(
    (j) => j.createdInstanceId === instanceId,
  );
  return job?.metadata.UserData;
}

describe('user data stays out of everything but the restore call', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(scenarioWithUserData());
  });
  afterAll(async () => {
    await harness.stop();
  });

  it('recovery mode: the instance is launched with the user data, and nothing else holds it', async () => {
    const r = await harness.run(request());

    explain(r, () => expect(r.output?.status).toBe('RESTORED'));
    expect(userDataLaunchedWith(harness, r.output?.instance?.instanceId)).toBe(USER_DATA);
    expect(leaks(harness, r)).toEqual([]);
  });

  it('test mode: validated and cleaned up with the user data, and nothing else holds it', async () => {
    const r = await harness.run(request({ mode: 'test' }));

    explain(r, () => expect(r.output?.status).toBe('VALIDATED_AND_CLEANED_UP'));
    expect(userDataLaunchedWith(harness, r.output?.instance?.instanceId)).toBe(USER_DATA);
    expect(leaks(harness, r)).toEqual([]);
  });

  it('dry run: the plan says how long the user data is and its digest, never the data', async () => {
    const r = await harness.run(request({ dryRun: true }));

    explain(r, () =>
      expect(r.output).toMatchObject({
        status: 'PLANNED',
        plan: {
          redactedMetadata: {
            UserData: { bytes: USER_DATA.length, sha256: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
          },
        },
      }),
    );
    expect(r.output?.plan?.metadata).not.toHaveProperty('UserData');
    expect(leaks(harness, r)).toEqual([]);
  });

  it('the scan finds the marker, raw and in base64 at any alignment, when it is there', () => {
    const run = { history: [], output: null, error: null, cause: null } as unknown as WorkflowRun<unknown>;
    const logs = harness.emulator.lambdaLogs as string[];
    const found: string[][] = [];
    for (const planted of [
      `{"message":"oops","userData":"${USER_DATA}"}`,
      `{"script":"export DB_PASSWORD='${MARKER}'"}`,
      ...[1, 2].map((shift) => Buffer.from(`${'x'.repeat(shift)}${MARKER}`).toString('base64')),
    ]) {
      logs.push(planted);
      found.push(leaks(harness, run));
      logs.pop();
    }

    expect(found.map((f) => f.length > 0)).toEqual([true, true, true, true]);
    expect(found[1]).toEqual(['user data in the Lambda logs (raw)']);
  });
});

describe('user data stays out of a failing run', () => {
  // A restore role that may not pass the profile now stops at PlanRestore's PassRole pre-flight,
  // before any job; AWS Backup failing the job itself is injected instead.
  it('a restore AWS Backup fails leaks no user data', async () => {
    const harness = await startHarness({
      ...scenarioWithUserData(),
      faults: {
        restoreJob: {
          durationMinutes: 5,
          outcome: 'FAILED',
          statusMessage:
            'You are not authorized to perform this operation. Encoded authorization failure message: x',
        },
      },
    });
    try {
      const r = await harness.run(request({ instanceProfile: 'passrole' }));

      explain(r, () => expect(r.error).toBe('RestoreJobFailedError'));
      const [job] = [...harness.emulator.world.restoreJobs.values()];
      expect(job?.metadata.UserData).toBe(USER_DATA);
      expect(leaks(harness, r)).toEqual([]);
    } finally {
      await harness.stop();
    }
  });
});
