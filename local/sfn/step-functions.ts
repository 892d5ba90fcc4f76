/**
 * The emulated Step Functions service, without HTTP (../services/sfn.ts puts it on the wire):
 * state machines, executions run by aws-local-stepfunctions on the simulated clock (./execution.ts,
 * with the definition changes listed in ./asl.ts), and AWS-shaped execution histories. Results use
 * the SDK's own output shapes (camelCase, Dates); failures are AwsErrors with the API's error codes.
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  CreateStateMachineOutput,
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionStatus,
  GetExecutionHistoryOutput,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StartExecutionOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import { AwsError } from '@local/aws-error';
import type { SimulatedClock } from '@local/clock';
import { readCached, writeCached } from '@local/disk-cache';
import { isJsonObject, type Json, prepareDefinition } from './asl';
import {
  type CallAwsSdk,
  Execution,
  type ExecutionHost,
  MAX_PAYLOAD_BYTES,
  type RunTask,
  type StateMachineRecord,
} from './execution';

export type { CallAwsSdk, Execution, RunTask } from './execution';

export interface StepFunctionsEmulatorOptions {
  readonly clock: SimulatedClock;
  readonly region: string;
  readonly accountId: string;
  /** Runs the Lambda function a Task names; returns undefined for an unknown function ARN. */
  readonly runTask: RunTask;
  /** Runs `arn:aws:states:::aws-sdk:<service>:<action>` Tasks; without it they fail with States.Runtime. */
  readonly callAwsSdk?: CallAwsSdk;
  /** Checks a service integration against the state machine role (local/iam/); none: all allowed. */
  readonly authorize?: (executionArn: string, action: string, resource: string) => void;
}

export type StateMachineType = 'STANDARD' | 'EXPRESS';

const DEFINITION_MAX_BYTES = 1024 * 1024;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export class StepFunctionsEmulator {
  readonly clock: SimulatedClock;
  readonly region: string;
  readonly accountId: string;
  private readonly stateMachines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, Execution>();
  private readonly host: ExecutionHost;
  private readonly statusListeners: ((execution: Execution) => void)[] = [];

  constructor(options: StepFunctionsEmulatorOptions) {
    this.clock = options.clock;
    this.region = options.region;
    this.accountId = options.accountId;
    this.host = {
      clock: options.clock,
      region: options.region,
      accountId: options.accountId,
      runTask: options.runTask,
      callAwsSdk: options.callAwsSdk,
      authorize: options.authorize,
      startExecution: (input) => this.startExecution(input),
      // A parent waiting on its child is not in flight itself: the child is.
      waitForExecution: (arn) => options.clock.idleWhile(this.waitForExecution(arn)),
      stopExecution: (input) => this.stopExecution(input),
      onStatusChange: (execution) => {
        for (const listener of this.statusListeners) listener(execution);
      },
    };
  }

  /** `listener` hears every execution start and close (the source of "Execution Status Change" events). */
  onExecutionStatusChange(listener: (execution: Execution) => void): void {
    this.statusListeners.push(listener);
  }

  createStateMachine(input: {
    name: string;
    definition: string;
    roleArn: string;
    type?: StateMachineType;
  }): CreateStateMachineOutput & { stateMachineArn: string; creationDate: Date } {
    const type = input.type ?? 'STANDARD';
    if (type !== 'STANDARD' && type !== 'EXPRESS') {
      throw new AwsError(
        'ValidationException',
        `Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
      );
    }
    checkName(input.name);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(input.roleArn)) {
      throw new AwsError(
        'InvalidArn',
        `Invalid Arn: 'Resource type not valid in this context: ${input.roleArn}'`,
      );
    }
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${input.name}`;
    const existing = this.stateMachines.get(arn);
    if (existing) {
      if (existing.definition === input.definition && existing.type === type) {
        return { stateMachineArn: existing.arn, creationDate: existing.creationDate };
      }
      throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const record: StateMachineRecord = {
      arn,
      name: input.name,
      definition: input.definition,
      prepared: prepareDefinition(validateDefinition(input.definition)),
      roleArn: input.roleArn,
      type,
      creationDate: this.clock.now(),
    };
    this.stateMachines.set(arn, record);
    return { stateMachineArn: arn, creationDate: record.creationDate };
  }

  deleteStateMachine(input: { stateMachineArn: string }): Record<string, never> {
    checkArn(input.stateMachineArn, 'stateMachine');
    // AWS deletes asynchronously and lets running executions finish; so does the emulator.
    this.stateMachines.delete(input.stateMachineArn);
    return {};
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): ListStateMachinesOutput {
    const all = [...this.stateMachines.values()];
    const page = paginate(all, (sm) => sm.arn, 'listStateMachines', input);
    return {
      stateMachines: page.items.map((sm) => ({
        stateMachineArn: sm.arn,
        name: sm.name,
        type: sm.type,
        creationDate: sm.creationDate,
      })),
      ...(page.nextToken && { nextToken: page.nextToken }),
    };
  }

  describeStateMachine(input: { stateMachineArn: string }): DescribeStateMachineOutput {
    const sm = this.stateMachine(input.stateMachineArn);
    return {
      stateMachineArn: sm.arn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definition,
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: sm.creationDate,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  startExecution(input: {
    stateMachineArn: string;
    name?: string;
    input?: string;
    traceHeader?: string;
  }): StartExecutionOutput & {
    executionArn: string;
    startDate: Date;
  } {
    const sm = this.stateMachine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    checkName(name);
    const text = input.input ?? '{}';
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`,
      );
    }
    try {
      JSON.parse(text) as Json;
    } catch (error) {
      throw new AwsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
    const arn = `arn:aws:states:${this.region}:${this.accountId}:execution:${sm.name}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      // AWS: the same name and input as a RUNNING execution is idempotent; a closed execution's
      // name, or different input, is ExecutionAlreadyExists (until the name expires after 90 days).
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: existing.arn, startDate: existing.startDate };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution = new Execution(arn, name, sm, text, this.host);
    this.executions.set(arn, execution);
    execution.start();
    return { executionArn: arn, startDate: execution.startDate };
  }

  describeExecution(input: {
    executionArn: string;
    includedData?: 'ALL_DATA' | 'METADATA_ONLY';
  }): DescribeExecutionOutput {
    return this.execution(input.executionArn).describe(input.includedData !== 'METADATA_ONLY');
  }

  getExecutionHistory(input: {
    executionArn: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }): GetExecutionHistoryOutput {
    const execution = this.execution(input.executionArn);
    const reverse = input.reverseOrder ?? false;
    const events = reverse ? [...execution.history].reverse() : execution.history;
    const page = paginate(events, (e) => String(e.id), `history:${execution.arn}:${reverse}`, input);
    const includeData = input.includeExecutionData ?? true;
    return {
      events: includeData ? page.items : page.items.map(withoutData),
      ...(page.nextToken && { nextToken: page.nextToken }),
    };
  }

  listExecutions(input: {
    stateMachineArn: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): ListExecutionsOutput {
    const sm = this.stateMachine(input.stateMachineArn);
    // Newest first; Map insertion order breaks ties between executions started in the same ms.
    const matching = [...this.executions.values()]
      .filter((e) => e.stateMachine === sm && (!input.statusFilter || e.status === input.statusFilter))
      .reverse()
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const page = paginate(matching, (e) => e.arn, `executions:${sm.arn}:${input.statusFilter ?? ''}`, input);
    return {
      executions: page.items.map((e) => e.listItem()),
      ...(page.nextToken && { nextToken: page.nextToken }),
    };
  }

  stopExecution(input: {
    executionArn: string;
    error?: string;
    cause?: string;
  }): StopExecutionOutput & { stopDate: Date } {
    const execution = this.execution(input.executionArn);
    execution.stop(input.error, input.cause);
    return { stopDate: execution.stopDate ?? this.clock.now() };
  }

  /** Resolves with DescribeExecution's output once the execution has closed. */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    const execution = this.execution(executionArn);
    await execution.closed;
    return execution.describe();
  }

  /** Aborts every running execution (emulator shutdown). */
  stopAll(): void {
    for (const execution of this.executions.values()) {
      execution.stop('Emulator.Shutdown', 'The emulator stopped.');
    }
  }

  private stateMachine(arn: string): StateMachineRecord {
    checkArn(arn, 'stateMachine');
    const sm = this.stateMachines.get(arn);
    if (!sm) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  private execution(arn: string): Execution {
    checkArn(arn, 'execution');
    const execution = this.executions.get(arn);
    if (!execution) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }
}

/** Parses and validates a definition as CreateStateMachine does (asl-validator standing in for AWS's checks). */
function validateDefinition(definition: string): Record<string, Json> {
  if (Buffer.byteLength(definition) > DEFINITION_MAX_BYTES) {
    throw new AwsError(
      'InvalidDefinition',
      'Invalid State Machine Definition: the definition is larger than 1 MB',
    );
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(definition) as Json;
  } catch (error) {
    throw new AwsError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(error as Error).message}'`,
    );
  }
  if (!isJsonObject(parsed)) {
    throw new AwsError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: the definition is not an object'",
    );
  }
  const messages = aslProblems(definition, parsed);
  if (messages !== null)
    throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${messages}'`);
  return parsed;
}

/**
 * asl-validator's verdict on a definition, remembered by its text and the validator's version, in
 * memory and on disk (local/disk-cache.ts): the validator compiles its JSON schema on every call
 * (half a second of CPU, a sixth of `npm start`), and every emulator deploys the same two
 * definitions. The validator itself loads only on a miss.
 */
const aslVerdicts = new Map<string, string | null>();
const MAX_ASL_VERDICTS = 64;

function aslProblems(definition: string, parsed: Json): string | null {
  const known = aslVerdicts.get(definition);
  if (known !== undefined) return known;
  const versions = ['asl-validator', 'asl-path-validator'].map(
    (name) => (require(`${name}/package.json`) as { version: string }).version,
  );
  const key = createHash('sha256')
    .update(`${versions.join('\0')}\0${definition}`)
    .digest('hex');
  const name = `asl-verdict-${key.slice(0, 32)}.json`;
  let verdict = readCached<{ problems: string | null }>(name)?.problems;
  if (verdict === undefined) {
    const aslValidator = require('asl-validator') as typeof import('asl-validator');
    // asl-validator mutates what it validates.
    const { isValid, errors } = aslValidator(structuredClone(parsed));
    verdict = isValid ? null : errors.map((e) => `${e['Error code']}: ${e.Message}`).join(', ');
    writeCached(name, { problems: verdict });
  }
  if (aslVerdicts.size >= MAX_ASL_VERDICTS) aslVerdicts.clear();
  aslVerdicts.set(definition, verdict);
  return verdict;
}

/** Names of state machines and executions (E.1): 1–80 characters, none of the forbidden ones. */
function checkName(name: string): void {
  const forbidden = [...name].find((c) => {
    const code = c.codePointAt(0) ?? 0;
    return (
      code <= 0x1f || (code >= 0x7f && code <= 0x9f) || /\s/.test(c) || '?*<>{}[]"#%\\^|~$&,;:/`'.includes(c)
    );
  });
  if (name.length < 1 || name.length > 80 || forbidden !== undefined) {
    throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
  }
}

function checkArn(arn: string, resource: 'stateMachine' | 'execution'): void {
  const parts = arn.split(':');
  const wanted = resource === 'stateMachine' ? 7 : 8;
  if (parts.length !== wanted || parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== resource) {
    throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  }
}

/** Drops input/output/parameters from a history event (includeExecutionData: false). */
function withoutData<T extends object>(event: T): T {
  const strip = (value: unknown, depth: number): unknown => {
    if (depth > 1 || typeof value !== 'object' || value === null || value instanceof Date) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => depth === 0 || !['input', 'output', 'parameters'].includes(k))
        .map(([k, v]) => [k, strip(v, depth + 1)]),
    );
  };
  return strip(event, 0) as T;
}

/**
 * A page of `items` after the item a token points at. Tokens are opaque to the client and carry
 * the key of the last item returned and the listing they belong to, so pages stay stable while
 * new items arrive (a history grows at its end, executions are listed newest first).
 */
function paginate<T>(
  items: readonly T[],
  key: (item: T) => string,
  listing: string,
  input: { maxResults?: number; nextToken?: string },
): { items: T[]; nextToken?: string } {
  const size = input.maxResults === undefined || input.maxResults === 0 ? DEFAULT_PAGE : input.maxResults;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${input.maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`,
    );
  }
  let start = 0;
  if (input.nextToken !== undefined) {
    let after: unknown;
    try {
      const decoded = JSON.parse(Buffer.from(input.nextToken, 'base64url').toString('utf8')) as {
        l?: unknown;
        a?: unknown;
      };
      after = decoded.l === listing ? decoded.a : undefined;
    } catch {
      after = undefined;
    }
    const index = typeof after === 'string' ? items.findIndex((item) => key(item) === after) : -1;
    if (index < 0) throw new AwsError('InvalidToken', `Invalid Token: '${input.nextToken}'`);
    start = index + 1;
  }
  const pageItems = items.slice(start, start + size);
  const last = pageItems.at(-1);
  const more = start + size < items.length && last !== undefined;
  return {
    items: pageItems,
    ...(more && {
      nextToken: Buffer.from(JSON.stringify({ l: listing, a: key(last) })).toString('base64url'),
    }),
  };
}
