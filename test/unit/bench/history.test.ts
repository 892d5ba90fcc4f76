/**
 * The bench's transitions-by-phase table names the states of the state machine that runs: every
 * state of restore-instance's rendered ASL is in exactly one phase or on the failure path, and no
 * phase names a state the machine does not have (a renamed or removed state fails here, not as
 * a silently wrong table).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFailurePathState, PHASES, transitionsByPhase } from '../../../bench/history';

interface AslStates {
  States: Record<string, { Branches?: AslStates[]; ItemProcessor?: AslStates }>;
}

const asl = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', '..', 'state-machines', 'restore-instance', 'restore-instance.asl.json'),
    'utf8',
  ),
) as AslStates;

function stateNames(machine: AslStates): string[] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    name,
    ...(state.Branches ?? []).flatMap(stateNames),
    ...(state.ItemProcessor ? stateNames(state.ItemProcessor) : []),
  ]);
}

const inAsl = stateNames(asl);
const inPhases = PHASES.flatMap((p) => [...p.states] as string[]);

it('every state of the ASL is in exactly one phase or on the failure path', () => {
  const unplaced = inAsl.filter((s) => !inPhases.includes(s) && !isFailurePathState(s));
  expect(unplaced).toEqual([]);
  expect(inPhases.length).toBe(new Set(inPhases).size);
});

it('every state a phase names is in the ASL', () => {
  expect(inPhases.filter((s) => !inAsl.includes(s))).toEqual([]);
});

it('a state in no phase stops the count instead of landing on the failure path', () => {
  const entered = (name: string) => ({
    id: 1,
    timestamp: new Date(0),
    type: 'TaskStateEntered' as const,
    stateEnteredEventDetails: { name },
  });
  expect(transitionsByPhase([entered('ValidateInput'), entered('RecordCheckSshFailure')])).toMatchObject({
    'before the job': 1,
    'failure path': 1,
  });
  expect(() => transitionsByPhase([entered('IsTestMode')])).toThrow(/IsTestMode is in no phase/);
});
