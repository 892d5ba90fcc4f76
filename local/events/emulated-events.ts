/**
 * EventBridge and EventBridge Scheduler for the emulator, on the simulated clock: the rules and
 * schedules of the synthesised orchestrator stack (./stack-events.ts), the events AWS would put on
 * the default bus when a Step Functions execution changes status and when an AWS Backup restore
 * job changes state (shapes: docs/aws-facts.md I.5 and A.11), matched by each rule's own event
 * pattern (./event-pattern.ts), and delivered to the targets the stack names: the janitor Lambda
 * (run in-process, with the environment CDK gives it) or a state machine (a scheduled restore test).
 *
 * Timing: an event is delivered as soon as it happens (AWS: best effort, Backup's within about 5
 * minutes), and counts as work in flight from that moment, so an event clock does not jump past
 * it. A Lambda target that fails is retried as Lambda retries asynchronous invocations (twice,
 * after 1 and 2 simulated minutes), then kept in `deadLetters`. A schedule's next firing is a
 * passive timer (local/clock.ts): simulated time never skips past it, but an idle event clock does
 * not race to it either; with a flexible window the emulator fires at the window's start.
 */
import { randomUUID } from 'node:crypto';
import { createJanitorHandler } from '@lambdas/janitor/handler';
import { sfnClient } from '@lambdas/janitor/sfn-client';
import type { AwsClients, ClientOptions } from '@shared/clients';
import { createLogger } from '@shared/logger';
import type { SimulatedClock } from '../clock';
import type { Execution } from '../sfn/execution';
import type { StepFunctionsEmulator } from '../sfn/step-functions';
import type { World } from '../world';
import type { RestoreJob } from '../world/types';
import { matchesPattern } from './event-pattern';
import { nextFiring, parseScheduleExpression } from './schedule-expression';
import type { SnsTopics } from './sns-topics';
import type { StackEvents, StackRule, StackSchedule } from './stack-events';

export interface EmulatedEventsOptions {
  readonly clock: SimulatedClock;
  readonly sfn: StepFunctionsEmulator;
  readonly world: World;
  readonly sns: SnsTopics;
  readonly stack: StackEvents;
  readonly region: string;
  readonly accountId: string;
  /** How the in-process functions reach the emulator (its endpoint and credentials). */
  readonly clientOptions: ClientOptions;
  readonly createClients: (options: ClientOptions) => AwsClients;
  /** Where the functions' log lines go (the emulator's Lambda logs). */
  readonly lambdaLog: (line: string) => void;
  readonly log?: (line: string) => void;
}

/** An event as EventBridge hands it to targets. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

export interface Delivery {
  /** The rule's or schedule's logical id. */
  readonly by: string;
  readonly targetArn: string;
  readonly event: unknown;
  readonly at: Date;
  readonly attempts: number;
  readonly outcome: 'delivered' | 'failed';
  readonly error?: string;
}

const LAMBDA_ASYNC_RETRY_SECONDS = [60, 120];

export class EmulatedEvents {
  /** Every event put on the bus, matched or not. */
  readonly events: BusEvent[] = [];
  readonly deliveries: Delivery[] = [];
  /** Deliveries whose retries ran out (what the stack's dead-letter queue would hold). */
  readonly deadLetters: Delivery[] = [];
  private readonly functions = new Map<string, (event: unknown) => Promise<unknown>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly clients: AwsClients;
  private readonly sfnClient: ReturnType<typeof sfnClient>;

  constructor(private readonly options: EmulatedEventsOptions) {
    const { stack, clock } = options;
    options.sns.addTopic(stack.topicArn);
    this.clients = options.createClients(options.clientOptions);
    this.sfnClient = sfnClient(options.clientOptions);
    const logger = createLogger('ec2-restore-orchestrator', options.lambdaLog);
    for (const fn of stack.functions) {
      if (fn.runs !== 'janitor') continue;
      this.functions.set(
        fn.arn,
        createJanitorHandler({
          env: fn.environment,
          clients: {
            ec2: this.clients.ec2,
            backup: this.clients.backup,
            sns: this.clients.sns,
            sfn: this.sfnClient,
          },
          now: clock.now,
          logger,
          emitMetric: options.lambdaLog,
        }),
      );
    }
    options.sfn.onExecutionStatusChange((execution) => this.put(executionEvent(execution, options)));
    // The job's outcome fields are written just after its status: read them once that is done.
    options.world.backup.onRestoreJobChange((job, previous) => {
      const release = clock.hold();
      queueMicrotask(() => {
        try {
          this.put(restoreJobEvent(job, options, previous === undefined));
        } finally {
          release();
        }
      });
    });
    for (const schedule of stack.schedules) if (schedule.enabled) this.runSchedule(schedule);
  }

  /** PutEvents onto the default bus: every enabled rule whose pattern matches delivers to its targets. */
  put(event: BusEvent): void {
    if (this.stopping.signal.aborted) return;
    this.events.push(event);
    for (const rule of this.options.stack.rules) {
      if (!rule.enabled || !matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets)
        this.deliver(rule.logicalId, target.arn, event, ruleLog(rule, event));
    }
  }

  /** Resolves once every delivery under way has ended (tests wait on the janitor with this). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  stop(): void {
    this.stopping.abort();
    for (const client of Object.values(this.clients)) client.destroy();
    this.sfnClient.destroy();
  }

  private deliver(by: string, targetArn: string, event: unknown, line: string): void {
    const { clock, log } = this.options;
    const run = clock.flow(
      async () => {
        log?.(line);
        const started = clock.now();
        let attempts = 0;
        for (;;) {
          attempts++;
          try {
            await this.invoke(targetArn, event);
            this.deliveries.push({ by, targetArn, event, at: started, attempts, outcome: 'delivered' });
            return;
          } catch (error) {
            if (this.stopping.signal.aborted) return;
            const wait = LAMBDA_ASYNC_RETRY_SECONDS[attempts - 1];
            const message = error instanceof Error ? error.message : String(error);
            if (wait === undefined || !targetArn.includes(':lambda:')) {
              const failed: Delivery = {
                by,
                targetArn,
                event,
                at: started,
                attempts,
                outcome: 'failed',
                error: message,
              };
              this.deliveries.push(failed);
              this.deadLetters.push(failed);
              log?.(`events: ${by} → ${targetArn} failed after ${attempts} attempt(s): ${message}`);
              return;
            }
            await clock.sleep(wait, this.stopping.signal);
            if (this.stopping.signal.aborted) return;
          }
        }
      },
      { root: true },
    );
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async invoke(targetArn: string, payload: unknown): Promise<void> {
    const fn = this.functions.get(targetArn);
    if (fn) {
      await fn(payload);
      return;
    }
    if (targetArn.includes(':states:') && targetArn.includes(':stateMachine:')) {
      this.options.sfn.startExecution({ stateMachineArn: targetArn, input: JSON.stringify(payload ?? {}) });
      return;
    }
    throw new Error(
      `the emulator cannot deliver to ${targetArn}: only the janitor function and state machines are targets it runs`,
    );
  }

  private runSchedule(schedule: StackSchedule): void {
    const { clock, log } = this.options;
    const expression = parseScheduleExpression(schedule.expression, schedule.timeZone);
    const origin = clock.nowMs();
    void clock.detached(async () => {
      let after = origin;
      for (;;) {
        const next = nextFiring(expression, after, origin);
        if (next === undefined || this.stopping.signal.aborted) return;
        await clock.sleep((next - clock.nowMs()) / 1000, this.stopping.signal, { passive: true });
        if (this.stopping.signal.aborted) return;
        after = next;
        const input = scheduleInput(schedule, next);
        log?.(
          `scheduler: ${schedule.logicalId} (${schedule.expression}) fired at ${new Date(next).toISOString()}`,
        );
        this.deliver(schedule.logicalId, schedule.target.arn, input, `scheduler: ${schedule.description}`);
      }
    });
  }
}

function ruleLog(rule: StackRule, event: BusEvent): string {
  return `events: ${event.source} "${event['detail-type']}" matched rule ${rule.logicalId}`;
}

/** The schedule's input with Scheduler's context attributes filled in (I.5). */
function scheduleInput(schedule: StackSchedule, firedAtMs: number): unknown {
  const text = (schedule.target.input ?? '{}')
    .replaceAll('<aws.scheduler.schedule-arn>', `arn:aws:scheduler:::schedule/default/${schedule.logicalId}`)
    .replaceAll('<aws.scheduler.scheduled-time>', new Date(firedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'))
    .replaceAll('<aws.scheduler.execution-id>', randomUUID())
    .replaceAll('<aws.scheduler.attempt-number>', '1');
  return JSON.parse(text) as unknown;
}

/** EventBridge's `time`: ISO-8601 to the second. */
const eventTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** "Step Functions Execution Status Change" (docs/aws-facts.md I.5): dates in epoch milliseconds. */
export function executionEvent(
  execution: Execution,
  where: { readonly region: string; readonly accountId: string },
): BusEvent {
  const at = execution.stopDate ?? execution.startDate;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: where.accountId,
    time: eventTime(at),
    region: where.region,
    resources: [execution.arn],
    detail: {
      executionArn: execution.arn,
      stateMachineArn: execution.stateMachine.arn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input,
      inputDetails: { included: true },
      output: execution.output ?? null,
      outputDetails: { included: true },
    },
  };
}

/**
 * "Restore Job State Change" (A.11): camelCase, backupSizeInBytes a string, percentDone a number,
 * dates ISO-8601; the CREATED event says `state`, every later one `status`.
 */
export function restoreJobEvent(job: RestoreJob, options: EmulatedEventsOptions, created: boolean): BusEvent {
  const { world, region, accountId } = options;
  const point = world.backup.recoveryPoints.get(job.recoveryPointArn);
  const vaultArn = point ? world.backup.vaults.get(point.vault)?.arn : undefined;
  const percent = Number.parseFloat(world.backup.percentDone(job));
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Restore Job State Change',
    source: 'aws.backup',
    account: accountId,
    time: eventTime(job.completedAt ?? options.clock.now()),
    region,
    resources: [job.recoveryPointArn],
    detail: {
      restoreJobId: job.id,
      ...(created ? { state: 'CREATED' } : { status: job.status }),
      ...(job.statusMessage ? { statusMessage: job.statusMessage } : {}),
      backupSizeInBytes: String(point?.sizeBytes ?? 0),
      percentDone: percent,
      creationDate: job.createdAt.toISOString(),
      ...(job.completedAt ? { completionDate: job.completedAt.toISOString() } : {}),
      iamRoleArn: job.iamRoleArn,
      resourceType: 'EC2',
      ...(job.createdInstanceId
        ? { createdResourceArn: `arn:aws:ec2:${region}:${accountId}:instance/${job.createdInstanceId}` }
        : {}),
      ...(vaultArn ? { backupVaultArn: vaultArn } : {}),
      recoveryPointArn: job.recoveryPointArn,
      ...(point ? { sourceResourceArn: point.resourceArn } : {}),
    },
  };
}
