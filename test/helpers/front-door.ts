/**
 * Starts the emulator's HTTP front door on 127.0.0.1 with only the adapters a test needs, over a
 * world built from an inline scenario. For protocol-level tests of one service at a time.
 */
import type { Server } from 'node:http';
import { AwsError } from '@local/aws-error';
import { SimulatedClock } from '@local/clock';
import { FaultInjector } from '@local/faults';
import { parseScenario, type ScenarioInput } from '@local/scenario';
import { startHttpFrontDoor } from '@local/server';
import type { ServiceAdapter, ServiceName } from '@local/services/service';
import { World } from '@local/world';

export interface FrontDoor {
  readonly endpoint: string;
  readonly world: World;
  readonly clock: SimulatedClock;
  readonly faults: FaultInjector;
  stop(): Promise<void>;
}

/** SDK v3 client settings for the emulator. */
export function clientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
}

export async function startFrontDoor(
  scenario: ScenarioInput,
  makeAdapters: (world: World) => Partial<Record<ServiceName, ServiceAdapter>>,
): Promise<FrontDoor> {
  const parsed = parseScenario(scenario);
  const clock = new SimulatedClock(
    parsed.clock.speed,
    parsed.clock.start ? Date.parse(parsed.clock.start) : undefined,
  );
  const world = new World(parsed, clock);
  const given = makeAdapters(world);
  const unavailable = (service: ServiceName): ServiceAdapter => ({
    service,
    parse: () => {
      throw new AwsError('NotImplemented', `${service} is not part of this test`, 501);
    },
    errorResponse: (error) => ({
      status: error.status,
      headers: { 'content-type': 'text/plain' },
      body: error.message,
    }),
  });
  const adapters = Object.fromEntries(
    (['ec2', 'backup', 'ssm', 'iam', 'sfn'] as const).map((s) => [s, given[s] ?? unavailable(s)]),
  ) as Record<ServiceName, ServiceAdapter>;
  const faults = new FaultInjector(parsed.faults);
  const { server, endpoint } = await startHttpFrontDoor('127.0.0.1', 0, {
    adapters,
    faults,
    beforeRequest: () => world.tick(),
  });
  return { endpoint, world, clock, faults, stop: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
