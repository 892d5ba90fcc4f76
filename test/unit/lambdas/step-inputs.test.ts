/**
 * Every step checks its own event with its own schema: a well-formed event passes, and an event
 * the state machine could only have built by mistake is rejected before any AWS call, naming the
 * step and the field.
 */
import { FLEET_STEPS, STEPS } from '@lambdas/steps';
import type { AnyFunctionId } from '@shared/env';
import { functionEnvironments } from '@shared/function-environments';
import { type AnyStep, createHandler, parseInput } from '@shared/handler';
import { captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { IDS, initialState, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const env = functionEnvironments({ restoreRoleArn: IDS.restoreRoleArn });

interface Row {
  /** An event the state machine builds for this step. */
  readonly event: () => unknown;
  /** Where to break it, and with what (undefined: remove the field). */
  readonly path: readonly (string | number)[];
  readonly value: unknown;
}

const success = { instanceId: IDS.sourceInstance, executionArn: IDS.executionArn, status: 'RESTORED' };
const failure = (step: string) => ({
  ...stateAfter('plan'),
  error: { Error: 'States.Timeout', Cause: 'took too long' },
  failedStep: step,
});

const ROWS: { readonly [F in AnyFunctionId]: Row } = {
  'validate-input': { event: () => initialState(), path: ['execution', 'name'], value: undefined },
  'select-recovery-point': { event: () => stateAfter('validate'), path: ['request'], value: undefined },
  'resolve-source': {
    event: () => stateAfter('select'),
    path: ['selection', 'recoveryPoint', 'arn'],
    value: 42,
  },
  'plan-restore': { event: () => stateAfter('resolve'), path: ['source'], value: undefined },
  'start-restore-job': { event: () => stateAfter('plan'), path: ['plan', 'metadata'], value: 'x' },
  'poll-restore-job': { event: () => stateAfter('restore'), path: ['restoreJob', 'polls'], value: -1 },
  'wait-instance': { event: () => stateAfter('restore'), path: ['restoreJob'], value: undefined },
  'tag-resources': { event: () => stateAfter('instance'), path: ['instance', 'instanceId'], value: null },
  // An optional slice (the previous turn's, while the association settles) is checked when it is there.
  'reattach-instance-profile': {
    event: () => stateAfter('profile'),
    path: ['profile', 'action'],
    value: 'bogus',
  },
  'ensure-public-address': {
    event: () => stateAfter('profile'),
    path: ['plan', 'subnetMapsPublicIp'],
    value: 'no',
  },
  'check-ssh': { event: () => stateAfter('address'), path: ['request', 'ssh', 'port'], value: 0 },
  cleanup: {
    event: () => stateAfter('ssh', { request: { instanceId: IDS.sourceInstance, mode: 'test' } }),
    path: ['request'],
    value: undefined,
  },
  'handle-failure': { event: () => failure('PlanRestore'), path: ['error', 'Error'], value: 42 },
  report: { event: () => stateAfter('ssh'), path: ['selection'], value: undefined },
  'resolve-fleet-targets': {
    event: () => ({
      input: { tag: { key: 'AWSBackup', value: 'EC2' } },
      execution: initialState().execution,
    }),
    path: ['execution'],
    value: undefined,
  },
  'summarise-fleet': {
    event: () => ({ results: [success], unusable: [], note: null }),
    path: ['note'],
    value: 5,
  },
};

const steps: Record<AnyFunctionId, AnyStep> = { ...STEPS, ...FLEET_STEPS };

function broken(event: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(event) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

it('has a row for every step of both workflows', () => {
  expect(Object.keys(ROWS).sort()).toEqual(Object.keys(steps).sort());
});

describe.each(Object.entries(ROWS) as [AnyFunctionId, Row][])('%s', (id, row) => {
  const step = steps[id];

  it('accepts the event the state machine builds', () => {
    expect(() => parseInput(step, row.event())).not.toThrow();
  });

  it(`rejects a malformed ${row.path.join('.')} with the step and the field, before any AWS call`, async () => {
    const handler = createHandler(step, {
      env: (env as Record<string, Record<string, string>>)[id] ?? {},
      clients,
      logger: captureLogger().logger,
    });
    const rejection = handler(broken(row.event(), row.path, row.value));
    await expect(rejection).rejects.toThrow(TypeError);
    await expect(rejection).rejects.toThrow(
      new RegExp(`^${id} received an invalid event: .*\\b${row.path.join('\\.')}: `),
    );
    for (const mock of Object.values(mocks)) expect(mock.calls()).toHaveLength(0);
  });
});

it('summarise-fleet needs no execution in its payload', async () => {
  const handler = createHandler(FLEET_STEPS['summarise-fleet'], { env: {}, logger: captureLogger().logger });
  await expect(handler({ results: [success], unusable: [], note: null })).resolves.toMatchObject({
    total: 1,
    succeeded: 1,
    failed: 0,
  });
});

it('summarise-fleet tells a failed child from a success by its error', () => {
  const parsed = parseInput(FLEET_STEPS['summarise-fleet'], {
    results: [
      {
        instanceId: IDS.sourceInstance,
        executionArn: IDS.executionArn,
        status: 'FAILED',
        error: 'E',
        cause: 'c',
      },
    ],
    unusable: [],
    note: null,
  }) as { results: unknown[] };
  expect(parsed.results[0]).toEqual({
    instanceId: IDS.sourceInstance,
    executionArn: IDS.executionArn,
    status: 'FAILED',
    error: 'E',
    cause: 'c',
  });
});
