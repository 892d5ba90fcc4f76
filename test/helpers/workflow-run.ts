/**
 * Runs the real restore-instance ASL, with the real Lambda code, on a fresh emulator, and hands
 * back what a test needs to judge it: status, output or error, the full history and the world.
 * A failing expectation prints the history, and so does a run that does not close by its deadline,
 * so a red test explains itself.
 */
import { type HistoryEvent, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { readHistory } from '@cli/progress';
import { type Emulator, FAKE_CREDENTIALS, startEmulator } from '@local/emulator';
import type { ScenarioInput } from '@local/scenario';
import type { FleetOutput } from '@shared/fleet-state';
import type { RestoreOutput } from '@shared/workflow-state';
import { executionClosed, formatHistory } from './execution-closed';
import { demoScenario } from './scenarios';

export interface WorkflowRun<O = RestoreOutput> {
  readonly executionArn: string;
  readonly status: string;
  readonly output: O | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly history: HistoryEvent[];
}

export interface Harness {
  readonly emulator: Emulator;
  readonly sfn: SFNClient;
  /** `<service>:<Operation> <status>` for every API call the emulator answered, Step Functions' included. */
  readonly apiCalls: readonly string[];
  run(input: Record<string, unknown>, name?: string): Promise<WorkflowRun>;
  /** The same on the restore-fleet state machine. */
  runFleet(input: Record<string, unknown>, name?: string): Promise<WorkflowRun<FleetOutput>>;
  /** The same on any state machine the test deployed itself. */
  runOn<O>(stateMachineArn: string, input: Record<string, unknown>, name?: string): Promise<WorkflowRun<O>>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * Real milliseconds a run may take before it fails with its history; default 45 000, half
   * jest's 90 s test timeout. A test that runs longer raises both.
   */
  readonly deadlineMs?: number;
  /**
   * The stack's rules and schedules (the janitor), on by default as in the emulator. Off for a
   * test that counts the workflow's own calls in `apiCalls`: the janitor's calls land there too.
   */
  readonly events?: boolean;
}

let runs = 0;

export async function startHarness(
  overrides: Partial<ScenarioInput> = {},
  { deadlineMs, events }: HarnessOptions = {},
): Promise<Harness> {
  const apiCalls: string[] = [];
  const emulator = await startEmulator({
    scenario: demoScenario(overrides),
    ...(events !== undefined && { events }),
    log: (line) => {
      if (/^[a-z0-9]+:\S+ \d{3}/.test(line)) apiCalls.push(line);
    },
  });
  const sfn = new SFNClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: FAKE_CREDENTIALS,
  });
  return {
    emulator,
    sfn,
    apiCalls,
    run: (input, name) => execute(emulator.stateMachineArns.restoreInstance, input, name),
    runFleet: (input, name) => execute<FleetOutput>(emulator.stateMachineArns.restoreFleet, input, name),
    runOn: execute,
    async stop() {
      sfn.destroy();
      await emulator.stop();
    },
  };

  async function execute<O = RestoreOutput>(
    stateMachineArn: string,
    input: Record<string, unknown>,
    name = `test-${process.pid}-${++runs}`,
  ): Promise<WorkflowRun<O>> {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    if (!executionArn) throw new Error('StartExecution returned no execution ARN');
    const described = await executionClosed(emulator, executionArn, { deadlineMs });
    const history = await readHistory(sfn, executionArn);
    return {
      executionArn,
      status: described.status ?? 'UNKNOWN',
      output: described.output ? (JSON.parse(described.output) as O) : null,
      error: described.error ?? null,
      cause: described.cause ?? null,
      history,
    };
  }
}

/** Expectations on a run that print its history when they fail. */
export function explain<T>(run: WorkflowRun<unknown>, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof Error) {
      error.message += `\n\nExecution ${run.executionArn} ended ${run.status} ${run.error ?? ''}\n${run.cause ?? ''}\nHistory:\n${formatHistory(run.history)}`;
    }
    throw error;
  }
}

/**
 * Private key material must never leave Parameter Store: not in the history, the output, or the
 * Lambda logs. Scans for the key's base64 body lines (any 40-character run of them would do).
 */
export function leakedSecrets(harness: Harness, run: WorkflowRun<unknown>): string[] {
  const secrets = [...harness.emulator.world.keyPairs.values()].flatMap((k) =>
    k.privateKey
      .split('\n')
      .filter((line) => !line.startsWith('-----') && line.trim().length >= 40)
      .map((line) => line.trim()),
  );
  const places = {
    history: JSON.stringify(run.history),
    output: JSON.stringify(run.output),
    logs: harness.emulator.lambdaLogs.join('\n'),
  };
  return Object.entries(places)
    .filter(([, text]) => secrets.some((s) => text.includes(s)))
    .map(([where]) => `private key material in the ${where}`);
}
