/** The rendered restore-fleet ASL: valid, committed, and shaped so one child never stops the others. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupClient } from '@aws-sdk/client-backup';
import { resolveFleetTargets } from '@lambdas/resolve-fleet-targets/resolve-fleet-targets';
import { MAX_FLEET_TARGETS } from '@shared/fleet-request';
import type { ChildFailure } from '@shared/fleet-state';
import { FleetStates } from '@shared/state-names';
import { renderRestoreFleetAsl } from '@state-machines/render';
import { committedRestoreFleetAsl, restoreInstanceArn } from '@state-machines/rendered-asl';
import {
  INLINE_MAP_MAX_TARGETS,
  iterationStateName,
  type MapMode,
} from '@state-machines/restore-fleet/restore-fleet';
import aslValidator from 'asl-validator';

const asl = renderRestoreFleetAsl();
const committedPath = join(__dirname, '../../../state-machines/restore-fleet/restore-fleet.asl.json');
type State = Record<string, unknown> & {
  ItemProcessor?: { ProcessorConfig?: unknown; States: Record<string, Record<string, unknown>> };
};
const PAYLOAD_LIMIT_BYTES = 256 * 1024;
const mapOf: Record<MapMode, string> = {
  inline: FleetStates.RestoreEach,
  distributed: FleetStates.RestoreEachDistributed,
};

describe('restore-fleet state machine', () => {
  it('renders ASL that asl-validator accepts', () => {
    const result = aslValidator(structuredClone(asl));

    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('matches the committed restore-fleet.asl.json (run `npm run render-asl` after changing the construct)', () => {
    expect(JSON.parse(readFileSync(committedPath, 'utf8'))).toEqual(asl);
  });

  it('gives the emulator, from the committed file, exactly what a render for its Region and account gives', () => {
    const target = { region: 'eu-west-3', accountId: '210987654321' };

    expect(committedRestoreFleetAsl(target)).toEqual(renderRestoreFleetAsl(target));
  });

  it('takes the inline Map up to INLINE_MAP_MAX_TARGETS targets and the Distributed Map beyond', () => {
    expect(asl.States[FleetStates.ChooseMapMode]).toEqual({
      Type: 'Choice',
      Choices: [
        {
          Variable: '$.plan.targetCount',
          NumericGreaterThan: INLINE_MAP_MAX_TARGETS,
          Next: FleetStates.RestoreEachDistributed,
        },
      ],
      Default: FleetStates.RestoreEach,
    });
    expect((asl.States[FleetStates.RestoreEach] as State).ItemProcessor?.ProcessorConfig).toEqual({
      Mode: 'INLINE',
    });
    expect((asl.States[FleetStates.RestoreEachDistributed] as State).ItemProcessor?.ProcessorConfig).toEqual({
      Mode: 'DISTRIBUTED',
      ExecutionType: 'STANDARD',
    });
  });

  it('renders a lowered inline limit only when asked to', () => {
    const lowered = renderRestoreFleetAsl({ inlineMapMaxTargets: 2 });

    expect(lowered.States[FleetStates.ChooseMapMode]).toMatchObject({
      Choices: [{ NumericGreaterThan: 2 }],
    });
  });

  it.each(['inline', 'distributed'] as const)(
    'runs the same iteration in the %s Map: children with startExecution.sync:2 under the requested concurrency, every failure caught',
    (mode) => {
      const map = asl.States[mapOf[mode]] as State;
      const states = map.ItemProcessor?.States ?? {};
      const name = (state: string) => iterationStateName(state, mode);

      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.plan.targets',
        MaxConcurrencyPath: '$.plan.request.maxConcurrency',
        Next: FleetStates.Summarise,
      });
      expect(Object.keys(states).sort()).toEqual(
        [
          FleetStates.RestoreInstance,
          FleetStates.RecordSuccess,
          FleetStates.IsChildFailure,
          FleetStates.ReadChildFailure,
          FleetStates.RecordChildFailure,
          FleetStates.RecordFailure,
        ]
          .map(name)
          .sort(),
      );
      expect(states[name(FleetStates.RestoreInstance)]).toMatchObject({
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: restoreInstanceArn(), 'Name.$': '$.target.executionName' },
        Catch: [{ ErrorEquals: ['States.ALL'], Next: name(FleetStates.IsChildFailure) }],
        Retry: [
          expect.objectContaining({
            ErrorEquals: expect.arrayContaining(['StepFunctions.ThrottlingException']),
            JitterStrategy: 'FULL',
          }),
        ],
      });
    },
  );

  it('keeps a fleet of MAX_FLEET_TARGETS inside the 256 KiB payload at its largest, with a tenth to spare', async () => {
    // Prepare: the worst case the limit is sized for. An id list (held in the input and the
    // request), an 80-character fleet name, defaults with overrides and tags, and every child
    // failed with a 400-character cause (the real ones run about 260).
    const fleetName = 'f'.repeat(80);
    const instanceIds = Array.from(
      { length: MAX_FLEET_TARGETS },
      (_, i) => `i-${String(i).padStart(17, '0')}`,
    );
    const input = {
      instanceIds,
      backupVaultName: 'EC2-Production-Vault',
      maxConcurrency: 10,
      defaults: {
        mode: 'test',
        publicIp: 'never',
        ssh: { port: 2222, username: 'ec2-user' },
        overrides: {
          subnetId: 'subnet-0123456789abcdef0',
          securityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef1'],
          instanceType: 'm7g.large',
        },
        tags: { Team: 'platform', CostCenter: '1234', Purpose: 'disaster-recovery-drill' },
      },
    };
    const execution = {
      id: `arn:aws:states:ap-northeast-1:123456789012:execution:restore-fleet:${fleetName}`,
      name: fleetName,
      startTime: '2026-11-29T06:11:18.067Z',
    };

    // Act: the state after ResolveTargets, and after the Map put its results in the targets' place.
    const plan = await resolveFleetTargets(input, fleetName, { backup: new BackupClient({}) });
    const results: ChildFailure[] = plan.targets.map((t) => ({
      instanceId: t.instanceId,
      status: 'FAILED',
      executionArn: `arn:aws:states:ap-northeast-1:123456789012:execution:restore-instance:${t.executionName}`,
      error: 'RestoreJobFailedError',
      cause: 'c'.repeat(400),
    }));
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    const afterResolve = bytes({ input, execution, plan });
    const afterMap = bytes({ input, execution, plan: { ...plan, targets: results } });

    // Assess
    expect(plan.targets).toHaveLength(MAX_FLEET_TARGETS);
    expect(Math.max(afterResolve, afterMap)).toBeLessThan(PAYLOAD_LIMIT_BYTES * 0.9);
  });
});
