/**
 * Runs rendered ASL in aws-local-stepfunctions with every Task replaced by a local function, and
 * records the states it visits. For testing the state machine's routing without AWS or Lambdas.
 */

import { States } from '@shared/state-names';
import type { Asl } from '@state-machines/rendered-asl';
import { StateMachine } from 'aws-local-stepfunctions';

export type TaskStub = (input: unknown) => unknown;

export interface LocalRun {
  readonly visited: string[];
  readonly output: unknown;
  readonly error: { Error: string; Cause: string } | null;
}

export async function runLocally(
  asl: Asl,
  input: unknown,
  stubs: Record<string, TaskStub>,
  executionName = 'test-execution',
): Promise<LocalRun> {
  const machine = new StateMachine(structuredClone(asl) as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const waits = Object.fromEntries(
    Object.entries(asl.States)
      .filter(([, s]) => s.Type === 'Wait')
      .map(([name]) => [name, 0]),
  );
  const retries = Object.fromEntries(
    Object.entries(asl.States)
      .filter(([, s]) => Array.isArray(s.Retry))
      .map(([name]) => [name, 0]),
  );
  const missing = (name: string) => () => {
    throw new Error(`no stub for Task ${name}`);
  };
  const handlers = Object.fromEntries(
    Object.entries(asl.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => [name, async (i: unknown) => (stubs[name] ?? missing(name))(i)]),
  );
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: waits,
      retryIntervalOverrides: retries,
    },
    context: {
      Execution: {
        Id: `arn:aws:states:us-east-1:000000000000:execution:restore-instance:${executionName}`,
        Name: executionName,
      },
    } as never,
  });
  const visited: string[] = [];
  let error: LocalRun['error'] = null;
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') visited.push(event.state.name);
      if (event.type === 'ExecutionFailed') error = { Error: event.Error, Cause: String(event.Cause) };
    }
  })();
  const output = await execution.result.catch(() => null);
  await logs;
  return { visited, output, error };
}

/** Happy-path stubs: each Task returns the slice the real step would, with loops taking two turns. */
export function happyStubs(mode: 'recovery' | 'test' = 'recovery', dryRun = false): Record<string, TaskStub> {
  const turns = (first: object, last: object): TaskStub => {
    let calls = 0;
    return () => (++calls === 1 ? first : last);
  };
  return {
    [States.ValidateInput]: () => ({ mode, dryRun }),
    [States.SelectRecoveryPoint]: () => ({ recoveryPoint: { arn: 'rp' } }),
    [States.ResolveSource]: () => ({ instanceId: 'i-source' }),
    [States.PlanRestore]: () => ({ metadata: {} }),
    [States.StartRestoreJob]: () => ({ id: 'job', done: false, nextWaitSeconds: 600 }),
    [States.PollRestoreJob]: turns({ done: false, nextWaitSeconds: 60 }, { done: true, nextWaitSeconds: 0 }),
    [States.WaitForInstance]: turns(
      { ready: false, nextWaitSeconds: 10 },
      { ready: true, nextWaitSeconds: 0 },
    ),
    [States.TagResources]: () => ({ taggedResourceIds: ['i-new'] }),
    [States.ReattachInstanceProfile]: turns(
      { done: false, nextWaitSeconds: 5 },
      { done: true, nextWaitSeconds: 0 },
    ),
    [States.EnsurePublicAddress]: () => ({ action: 'allocated' }),
    [States.CheckSsh]: turns({ done: false, nextWaitSeconds: 15 }, { done: true, nextWaitSeconds: 0 }),
    [States.CleanUp]: () => ({ instanceTerminated: true, elasticIpReleased: true }),
    [States.Report]: () => ({ status: mode === 'test' ? 'VALIDATED_AND_CLEANED_UP' : 'RESTORED' }),
    [States.HandleFailure]: () => {
      throw new Error('HandleFailure must not run on the happy path');
    },
  };
}
