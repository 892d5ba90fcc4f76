/** The rendered restore-fleet ASL: valid, committed, and shaped so one child never stops the others. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRestoreFleetAsl } from '@state-machines/render';
import aslValidator from 'asl-validator';

const asl = renderRestoreFleetAsl();
const committedPath = join(__dirname, '../../../state-machines/restore-fleet/restore-fleet.asl.json');
type State = Record<string, unknown> & {
  ItemProcessor?: { States: Record<string, Record<string, unknown>> };
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

  it('runs children with startExecution.sync:2 under the requested concurrency, catching every child failure', () => {
    const map = asl.States.RestoreEach as State;
    const child = map.ItemProcessor?.States.RestoreInstance ?? {};

    expect(map).toMatchObject({ Type: 'Map', MaxConcurrencyPath: '$.plan.request.maxConcurrency' });
    expect(child).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { 'Name.$': '$.target.executionName' },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'RecordFailure' }],
      Retry: [
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(['StepFunctions.ThrottlingException']),
          JitterStrategy: 'FULL',
        }),
      ],
    });
  });
});
