/**
 * One emulator per measurement, with every API call it answers timestamped on the simulated clock
 * and the wall clock, and helpers to start executions through the SDK (as a client would) and read
 * their full history. Histories are read in-process (the same GetExecutionHistory the front door
 * serves) so that the benchmark's own reads never appear in the request log it measures.
 */
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type Emulator, type EmulatorOptions, FAKE_CREDENTIALS, startEmulator } from '@local/emulator';
import type { ScenarioInput } from '@local/scenario';

export interface ApiCall {
  /** `<service>:<Operation>`, as the emulator logs it. */
  readonly api: string;
  readonly status: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
}

export interface FinishedExecution {
  readonly executionArn: string;
  readonly status: string;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: unknown;
  readonly history: readonly HistoryEvent[];
}

export interface BenchEmulator {
  readonly emulator: Emulator;
  readonly calls: readonly ApiCall[];
  /** Wall milliseconds startEmulator took. */
  readonly startupMs: number;
  start(stateMachineArn: string, input: unknown, name: string): Promise<string>;
  finish(executionArn: string): Promise<FinishedExecution>;
  history(executionArn: string): HistoryEvent[];
  stop(): Promise<void>;
}

const API_LINE = /^([a-z0-9]+:[A-Za-z]+) (\d{3})/;

export async function startBenchEmulator(
  scenario: ScenarioInput,
  functionEnv?: EmulatorOptions['functionEnv'],
): Promise<BenchEmulator> {
  const calls: ApiCall[] = [];
  let clock: Emulator['clock'] | undefined;
  const began = Date.now();
  const emulator = await startEmulator({
    scenario,
    ...(functionEnv && { functionEnv }),
    log: (line) => {
      const match = API_LINE.exec(line);
      if (!match?.[1] || !match[2] || !clock) return;
      calls.push({ api: match[1], status: Number(match[2]), simulatedMs: clock.nowMs(), wallMs: Date.now() });
    },
  });
  clock = emulator.clock;
  const startupMs = Date.now() - began;
  const sfn = new SFNClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: FAKE_CREDENTIALS,
  });

  const history = (executionArn: string): HistoryEvent[] => {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = emulator.sfn.getExecutionHistory({ executionArn, maxResults: 1000, nextToken });
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  };

  return {
    emulator,
    calls,
    startupMs,
    async start(stateMachineArn, input, name) {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      if (!executionArn) throw new Error(`StartExecution ${name} returned no execution ARN`);
      return executionArn;
    },
    async finish(executionArn) {
      const described: DescribeExecutionOutput = await emulator.sfn.waitForExecution(executionArn);
      return {
        executionArn,
        status: described.status ?? 'UNKNOWN',
        error: described.error ?? null,
        cause: described.cause ?? null,
        output: described.output ? JSON.parse(described.output) : null,
        history: history(executionArn),
      };
    },
    history,
    async stop() {
      sfn.destroy();
      await emulator.stop();
    },
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The highest number of events in any one second (events given as millisecond timestamps). */
export function peakPerSecond(timestampsMs: Iterable<number>): number {
  const buckets = new Map<number, number>();
  let peak = 0;
  for (const ms of timestampsMs) {
    const second = Math.floor(ms / 1000);
    const count = (buckets.get(second) ?? 0) + 1;
    buckets.set(second, count);
    if (count > peak) peak = count;
  }
  return peak;
}
