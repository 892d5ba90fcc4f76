/**
 * The embedded AWS: `startEmulator({ scenario, port })` builds the world from a scenario, serves
 * Backup, EC2, SSM, IAM and Step Functions on one loopback endpoint, runs real SSH hosts for the
 * instances, deploys the rendered state machines and runs their Lambda tasks in-process with the
 * same handlers, environment and SDK clients they have in AWS (pointed at this endpoint).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { createProbeHandler } from '@lambdas/ssh-probe/handler';
import { FLEET_STEPS, STEPS } from '@lambdas/steps';
import { createAwsClients } from '@shared/clients';
import { type AnyFunctionId, FLEET_FUNCTION_IDS, FUNCTION_IDS } from '@shared/env';
import { functionEnvironments } from '@shared/function-environments';
import { createHandler, type StepHandler } from '@shared/handler';
import { createLogger } from '@shared/logger';
import {
  committedRestoreFleetAsl,
  committedRestoreInstanceAsl,
  functionArn,
} from '@state-machines/rendered-asl';
import { createEmulatedApi, newRestApiId } from './apigateway/emulated-api';
import type { CloudFormationTemplate } from './apigateway/synthesised-api';
import { type ClockMode, SimulatedClock } from './clock';
import type { EmulatedEvents } from './events/emulated-events';
import { SnsTopics } from './events/sns-topics';
import { FaultInjector } from './faults';
import { createEmulatedIam, type EmulatedIam, scenarioTemplate } from './iam/emulated-iam';
import { probeAddress, reserveLoopbackRange } from './loopback-reservation';
import { loadScenarioFile, parseScenario, type Scenario, type ScenarioInput } from './scenario';
import { startHttpFrontDoor } from './server';
import { BackupAdapter } from './services/backup';
import { Ec2Adapter } from './services/ec2';
import { IamAdapter } from './services/iam';
import { LambdaFunctions, LambdaInvokeRoute } from './services/lambda';
import type { ServiceAdapter } from './services/service';
import { SfnAdapter } from './services/sfn';
import { SsmAdapter } from './services/ssm';
import { StepFunctionsEmulator } from './sfn/step-functions';
import { SshHosts } from './ssh-hosts';
import { defaultLoopbackOctet, World } from './world';

export const DEMO_SCENARIO_PATH = join(__dirname, 'scenarios', 'demo.json');
export const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIAEMULATOR00000000',
  secretAccessKey: 'emulator-secret-not-a-real-key',
};
const TICK_MS = 50;

export interface EmulatorOptions {
  /** Synthesise the REST API (seconds) while starting rather than on its first request. */
  readonly api?: boolean;
  /** A parsed scenario, a raw scenario object, or a path to a scenario file. Default: the demo. */
  readonly scenario?: Scenario | ScenarioInput | string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Request log (one line per API call). */
  readonly log?: (line: string) => void;
  /**
   * Extra environment for step Lambdas, over what CDK would give them: e.g. a fixed 30 s poll
   * (`POLL_MIN_SECONDS`/`POLL_MAX_SECONDS`) for the naive baseline the benchmarks compare with.
   */
  readonly functionEnv?: Partial<Record<AnyFunctionId, Record<string, string>>>;
  /**
   * Errors of the emulator itself while it runs (an instance's address held by another process,
   * so its sshd cannot listen): the affected instance fails, and this says why.
   */
  readonly onError?: (message: string) => void;
  /** The clock's mode, over the scenario's `clock.mode`. */
  readonly clockMode?: ClockMode;
  /** The mode when neither this nor the scenario says; default `event`. */
  readonly defaultClockMode?: ClockMode;
  /**
   * Run the orchestrator stack's EventBridge rules and Scheduler schedules (the janitor, scheduled
   * restore tests) from its synthesised template (local/README.md, Events and schedules): the
   * same template IAM enforcement reads (cached on disk, local/iam/synthesised-stack.ts), so no
   * second synthesis. `{ template }` reads a template synthesised elsewhere instead (`npx cdk
   * synth Ec2RestoreOrchestrator -c …`). Default on; `false`, or EC2_RESTORE_EVENTS=off in the
   * environment when this option is not given, turns them off.
   */
  readonly events?: boolean | { readonly template: CloudFormationTemplate };
}

export interface Emulator {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly stateMachineArns: { readonly restoreInstance: string; readonly restoreFleet: string };
  /** The orchestrator's REST API (local/README.md, The REST API): what `--via-api` takes. */
  readonly apiUrl: string;
  readonly world: World;
  readonly clock: SimulatedClock;
  readonly faults: FaultInjector;
  readonly sfn: StepFunctionsEmulator;
  readonly sshHosts: SshHosts;
  /**
   * Functions Lambda Invoke (`POST /2015-03-31/functions/{name}/invocations`) reaches, besides the
   * state machines' steps: e.g. one in-VPC SSH probe per `world.network.sshProbes()` entry.
   */
  readonly functions: LambdaFunctions;
  /** Every line the in-process Lambdas logged, as CloudWatch Logs would hold them. */
  readonly lambdaLogs: readonly string[];
  /** Lambda invocations per function id. */
  readonly invocations: ReadonlyMap<AnyFunctionId, number>;
  /**
   * Simulated seconds the step Lambdas of an execution spent pausing inside their calls
   * (shared/in-call-wait.ts), per execution ARN: on AWS that time is billed Lambda duration.
   */
  readonly inCallPauseSeconds: ReadonlyMap<string, number>;
  /** The emulator's own errors so far (see `EmulatorOptions.onError`). */
  readonly errors: readonly string[];
  /** The loopback range this emulator holds: 127.<octet>.0.0/16. */
  readonly loopbackOctet: number;
  /** The stack's rules and schedules at work; undefined unless started with `events: true`. */
  readonly events: EmulatedEvents | undefined;
  /** SNS Publish to the stack's topic (what was notified). */
  readonly sns: SnsTopics;
  /** What a client needs: AWS_ENDPOINT_URL, AWS_REGION, credentials, state machine ARNs. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** The IAM it enforces: principals, their keys, the synthesised policies (local/README.md, IAM). */
  readonly iam: EmulatedIam;
  stop(): Promise<void>;
}

export function resolveScenario(scenario: EmulatorOptions['scenario']): Scenario {
  if (scenario === undefined) return loadScenarioFile(DEMO_SCENARIO_PATH);
  if (typeof scenario === 'string') return loadScenarioFile(scenario);
  return parseScenario(scenario);
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const scenario = resolveScenario(options.scenario);
  const clock = new SimulatedClock(
    scenario.clock.speed,
    scenario.clock.start ? Date.parse(scenario.clock.start) : undefined,
    { mode: options.clockMode ?? scenario.clock.mode ?? options.defaultClockMode ?? 'event' },
  );
  const errors: string[] = [];
  const log = (line: string) => {
    options.log?.(line);
    if (line.startsWith('emulator error: ')) {
      const message = line.slice('emulator error: '.length);
      errors.push(message);
      options.onError?.(message);
    }
  };
  // The range is reserved before anything is served, so READY means no other emulator shares it.
  const addressGuard = (ip: string) => probeAddress(ip, scenario.sshPort);
  const reservation = await reserveLoopbackRange({
    pinned: scenario.loopbackOctet,
    start: defaultLoopbackOctet(),
    port: scenario.sshPort,
    build: (octet) => {
      const candidate = new World(scenario, clock, { octet, addressGuard, log });
      const { loopback } = candidate;
      // What the range hands out first: the scenario's addresses and the next public ones.
      const next = [`${loopback.elasticPrefix}.10`, `${loopback.autoPublicPrefix}.10`];
      return { value: candidate, addresses: [...loopback.inUse(), ...next] };
    },
  });
  const world = reservation.value;
  const faults = new FaultInjector(scenario.faults);
  const sshHosts = new SshHosts(
    scenario.sshPort,
    options.log,
    ({ instanceId, cause }) =>
      world.failOnHost(instanceId, `the sshd of ${instanceId} cannot listen: ${cause}`),
    () => clock.hold(),
  );
  const lambdaLogs: string[] = [];
  const invocations = new Map<AnyFunctionId, number>();
  const inCallPauseSeconds = new Map<string, number>();
  // Which execution a running handler works for, so that its pauses are counted against it.
  const invocationContext = new AsyncLocalStorage<string | undefined>();
  const { region, accountId } = scenario;
  const stateMachineArn = (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
  // Each Lambda signs with its own role's key, each integration runs as its role (iam/).
  const restApiId = newRestApiId();
  const iam = createEmulatedIam({
    world,
    scenario,
    adminKey: FAKE_CREDENTIALS,
    stateMachineArns: {
      restoreInstance: stateMachineArn('restore-instance'),
      restoreFleet: stateMachineArn('restore-fleet'),
    },
    functionArn: (id) => functionArn(id, { region, accountId }),
    restApiId,
    log,
  });
  const asStateMachineRole = (
    executionArn: string,
    action: string,
    resource: string,
    service: 'lambda' | 'sfn',
  ) => {
    // arn:aws:states:<region>:<account>:execution:<state machine>:<name>
    const [, , , , , , machine = '', name = ''] = executionArn.split(':');
    const principal = iam.stateMachinePrincipal(stateMachineArn(machine), name);
    if (principal) iam.enforcer.check(principal, [{ action, resource, context: {} }], service);
  };

  // Handlers are bound once the endpoint is known (their SDK clients point at it).
  const handlers = new Map<string, { id: AnyFunctionId; handler: StepHandler<unknown> }>();
  const sfn = new StepFunctionsEmulator({
    clock,
    region,
    accountId,
    authorize: (executionArn, action, resource) => asStateMachineRole(executionArn, action, resource, 'sfn'),
    runTask: (resource, input, context) => {
      const target = handlers.get(resource);
      if (!target) return undefined;
      asStateMachineRole(context.executionArn, 'lambda:InvokeFunction', resource, 'lambda');
      invocations.set(target.id, (invocations.get(target.id) ?? 0) + 1);
      const executionArn = (input as { execution?: { id?: unknown } } | null)?.execution?.id;
      return invocationContext.run(typeof executionArn === 'string' ? executionArn : undefined, () =>
        target.handler(input),
      );
    },
  });

  const tick = () => {
    world.tick();
    // Binding-checks of new addresses are in flight: an instance boots only once they are done.
    const checked = clock.hold();
    void world.checkLaunches().finally(checked);
    sshHosts.sync(world.sshTargets());
  };
  // An event clock jumps to the world's next change too, and the world moves there at once.
  clock.addDueSource(() => world.nextDueMs(clock.nowMs()));
  clock.onAdvance(tick);
  const sfnAdapter = new SfnAdapter(sfn);
  const functions = new LambdaFunctions();
  const sns = new SnsTopics(clock.now);
  const api = createEmulatedApi({
    restApiId,
    region,
    accountId,
    credentials: iam.enforcer.knownCredentials,
    invokeDenial: (accessKeyId, methodArn) => iam.enforcer.apiInvokeDenial(accessKeyId, methodArn),
    stateMachineArns: () => ({
      restoreInstance: restoreInstance.stateMachineArn,
      restoreFleet: restoreFleet.stateMachineArn,
    }),
    stepFunctions: runningAs(sfnAdapter, iam),
    template: () => iam.template,
    log: options.log,
  });
  const frontDoor = startHttpFrontDoor(options.host ?? '127.0.0.1', options.port ?? 0, {
    adapters: {
      ec2: new Ec2Adapter(world),
      iam: new IamAdapter(world),
      backup: new BackupAdapter(world),
      ssm: new SsmAdapter(world),
      sfn: sfnAdapter,
      sns,
    },
    routes: [
      api,
      new LambdaInvokeRoute(functions, { region, accountId }, options.log, (request, arn) =>
        iam.enforcer.authorizeInvoke(request, arn),
      ),
    ],
    authorize: (service, operation, request) => iam.enforcer.authorizeRequest(service, operation, request),
    faults,
    beforeRequest: tick,
    track: () => clock.hold(),
    log: options.log,
  });
  const { server, endpoint } = await frontDoor.catch(async (error: unknown) => {
    await reservation.release();
    throw error;
  });

  const clientSets: ReturnType<typeof createAwsClients>[] = [];
  const clientsOf = (id: AnyFunctionId) => {
    const clients = createAwsClients({
      endpoint,
      region,
      credentials: iam.credentialsFor(id),
      maxAttempts: 3,
    });
    clientSets.push(clients);
    return clients;
  };
  // One in-VPC SSH probe per world probe, as the CDK construct deploys one per sshProbeNetworks
  // entry: the same handler, its sockets bound to the probe's own address inside the VPC.
  const sshProbes = world.network.sshProbes();
  for (const probe of sshProbes) {
    functions.register(probe.functionName, createProbeHandler({ localAddress: probe.sourceAddress }));
  }
  const env = functionEnvironments({
    restoreRoleArn: world.restoreRoleArn,
    sshProbes: sshProbes.map((p) => ({
      vpcId: p.vpcId,
      functionName: p.functionName,
      ingressGroupId: p.ingressGroupId,
      ports: [scenario.sshPort],
    })),
  });
  const logger = createLogger('ec2-restore-orchestrator', (line) => lambdaLogs.push(line));
  const bind = (id: AnyFunctionId, step: unknown, stepEnv: Record<string, string>) => {
    const handler = createHandler(step as never, {
      env: stepEnv,
      clients: clientsOf(id),
      now: clock.now,
      sleep: (seconds) => {
        const executionArn = invocationContext.getStore();
        if (executionArn)
          inCallPauseSeconds.set(executionArn, (inCallPauseSeconds.get(executionArn) ?? 0) + seconds);
        return clock.sleep(seconds);
      },
      logger,
    });
    handlers.set(functionArn(id, { region, accountId }), { id, handler: handler as StepHandler<unknown> });
  };
  for (const id of FUNCTION_IDS) bind(id, STEPS[id], { ...env[id], ...options.functionEnv?.[id] });
  for (const id of FLEET_FUNCTION_IDS) bind(id, FLEET_STEPS[id], { ...options.functionEnv?.[id] });
  const restoreInstance = sfn.createStateMachine({
    name: 'restore-instance',
    definition: JSON.stringify(committedRestoreInstanceAsl({ region, accountId })),
    roleArn: `arn:aws:iam::${accountId}:role/ec2-restore-state-machine`,
    type: 'STANDARD',
  });

  const restoreFleet = sfn.createStateMachine({
    name: 'restore-fleet',
    definition: JSON.stringify(committedRestoreFleetAsl({ region, accountId })),
    roleArn: `arn:aws:iam::${accountId}:role/ec2-restore-state-machine`,
    type: 'STANDARD',
  });

  // Loaded only when asked for: it reaches the janitor's code and its SDK clients.
  const eventsOn = options.events ?? process.env.EC2_RESTORE_EVENTS?.toLowerCase() !== 'off';
  const { EmulatedEvents, loadStackEvents } = eventsOn
    ? (require('./events/stack-template') as typeof import('./events/stack-template'))
    : ({} as Partial<typeof import('./events/stack-template')>);
  // The template IAM enforcement already read, else the same disk-cached synthesis.
  const eventsTemplate = () =>
    typeof options.events === 'object'
      ? options.events.template
      : (iam.template ?? scenarioTemplate(scenario).template);
  const events =
    EmulatedEvents && loadStackEvents
      ? new EmulatedEvents({
          clock,
          sfn,
          world,
          sns,
          stack: loadStackEvents(
            {
              region,
              accountId,
              restoreStateMachineArn: restoreInstance.stateMachineArn,
              fleetStateMachineArn: restoreFleet.stateMachineArn,
              restoreRoleArn: world.restoreRoleArn,
            },
            eventsTemplate(),
          ),
          region,
          accountId,
          // The janitor signs as its synthesised role: enforcement checks its policy too.
          clientOptions: {
            endpoint,
            region,
            credentials: iam.credentialsForRunner('janitor', 'ec2-restore-janitor'),
            maxAttempts: 3,
          },
          createClients: createAwsClients,
          lambdaLog: (line) => lambdaLogs.push(line),
          log: options.log,
        })
      : undefined;
  if (options.api) await api.ready();
  const ticker = setInterval(tick, TICK_MS);
  ticker.unref();
  tick();

  const clientEnv = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    EC2_RESTORE_STATE_MACHINE_ARN: restoreInstance.stateMachineArn,
    EC2_RESTORE_FLEET_STATE_MACHINE_ARN: restoreFleet.stateMachineArn,
    // The CLI's default SSH port: the emulated sshd listens where an unprivileged process may.
    ...(scenario.sshPort === 22 ? {} : { EC2_RESTORE_SSH_PORT: String(scenario.sshPort) }),
  };

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    region,
    accountId,
    stateMachineArns: {
      restoreInstance: restoreInstance.stateMachineArn,
      restoreFleet: restoreFleet.stateMachineArn,
    },
    apiUrl: api.url(endpoint),
    world,
    clock,
    faults,
    sfn,
    sshHosts,
    functions,
    events,
    sns,
    lambdaLogs,
    invocations,
    inCallPauseSeconds,
    errors,
    loopbackOctet: reservation.octet,
    clientEnv,
    iam,
    stop: () => {
      stopped ??= (async () => {
        clearInterval(ticker);
        events?.stop();
        clock.dispose();
        sfn.stopAll();
        await sshHosts.closeAll();
        for (const clients of clientSets) for (const client of Object.values(clients)) client.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await reservation.release();
      })();
      return stopped;
    },
  };
}

/** The Step Functions adapter as the REST API's integration role calls it: each action checked first. */
function runningAs(adapter: ServiceAdapter, iam: EmulatedIam): ServiceAdapter {
  return {
    service: adapter.service,
    errorResponse: (error, request) => adapter.errorResponse(error, request),
    parse: (request) => {
      const parsed = adapter.parse(request);
      return {
        operation: parsed.operation,
        invoke: async () => {
          const principal = iam.apiIntegrationPrincipal();
          if (principal) await iam.enforcer.authorizeAs(principal, 'sfn', parsed.operation, request);
          return parsed.invoke();
        },
      };
    },
  };
}
