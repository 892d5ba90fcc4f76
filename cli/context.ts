/**
 * What every command shares: the global options (docs/contract.md §4) resolved against the environment,
 * AWS clients built from them, and the two output channels. Under `--json` stdout carries exactly
 * one JSON document, so everything meant for a person goes to stderr instead.
 */
import { BackupClient } from '@aws-sdk/client-backup';
import { SFNClient } from '@aws-sdk/client-sfn';
import { isStateMachineArn, regionOfArn } from './arns';
import { configError, type ErrorContext } from './errors';
import type { Io, OutputStream } from './io';

export interface GlobalOptions {
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly stateMachineArn?: string;
  readonly json?: boolean;
}

/** The workflows the CLI starts; `fleet` joins when the restore-fleet workflow is deployed. */
export type Workflow = 'restoreInstance' | 'restoreFleet';

/** Where each workflow's ARN comes from: the variable, and what to tell a person to copy into it. */
const STATE_MACHINES: Readonly<Record<Workflow, { variable: string; source: string }>> = {
  restoreInstance: {
    variable: 'EC2_RESTORE_STATE_MACHINE_ARN',
    source: "the Ec2RestoreOrchestrator stack's StateMachineArn output",
  },
  restoreFleet: {
    variable: 'EC2_RESTORE_FLEET_STATE_MACHINE_ARN',
    source: 'the deployed restore-fleet state machine',
  },
};

export class CliContext {
  private readonly clients: { destroy(): void }[] = [];
  private lastRegion: string | undefined;

  constructor(
    readonly options: GlobalOptions,
    readonly io: Io,
  ) {}

  get json(): boolean {
    return this.options.json === true;
  }

  get endpoint(): string | undefined {
    return this.options.endpointUrl || this.io.env.AWS_ENDPOINT_URL || undefined;
  }

  /** Where output for a person goes: stdout, or stderr under `--json`. */
  get human(): OutputStream {
    return this.json ? this.io.stderr : this.io.stdout;
  }

  say(line = ''): void {
    this.human.write(`${line}\n`);
  }

  /** The one JSON document of a `--json` run. */
  emit(document: unknown): void {
    this.io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  /**
   * `--region`, else the Region of the ARN the command works on (an ARN is never wrong about
   * where it lives), else AWS_REGION / AWS_DEFAULT_REGION; undefined leaves it to the SDK's
   * profile lookup.
   */
  region(arn?: string): string | undefined {
    return (
      this.options.region || regionOfArn(arn) || this.io.env.AWS_REGION || this.io.env.AWS_DEFAULT_REGION
    );
  }

  stateMachineArn(workflow: Workflow = 'restoreInstance'): string {
    const { variable, source } = STATE_MACHINES[workflow];
    // --state-machine-arn names the state machine of the command at hand, whichever workflow it runs.
    const arn = this.options.stateMachineArn || this.io.env[variable];
    if (!arn) {
      throw configError(
        'No state machine ARN set.',
        `Pass --state-machine-arn ARN or export ${variable}=ARN (${source}; \`ec2-restore local\` prints the emulator's).`,
        'StateMachineNotSet',
      );
    }
    if (!isStateMachineArn(arn)) {
      throw configError(
        `"${arn}" is not a state machine ARN.`,
        `Set ${variable} or --state-machine-arn to arn:aws:states:<region>:<account>:stateMachine:<name>.`,
        'StateMachineNotSet',
      );
    }
    return arn;
  }

  sfn(arn?: string): SFNClient {
    return this.track(new SFNClient(this.clientConfig(arn)));
  }

  backup(): BackupClient {
    return this.track(new BackupClient(this.clientConfig()));
  }

  /** Any other SDK client, with the same Region, endpoint and credentials (loaded by the command that needs it). */
  client<T extends { destroy(): void }>(create: (config: ReturnType<CliContext['clientConfig']>) => T): T {
    return this.track(create(this.clientConfig()));
  }

  errorContext(): ErrorContext {
    return { endpoint: this.endpoint, region: this.lastRegion ?? this.region() };
  }

  dispose(): void {
    for (const client of this.clients.splice(0)) client.destroy();
  }

  private clientConfig(arn?: string) {
    const env = this.io.env;
    this.lastRegion = this.region(arn);
    const attempts = Number(env.AWS_MAX_ATTEMPTS);
    return {
      region: this.lastRegion,
      endpoint: this.endpoint,
      // Keys from the Io's environment, not process.env, so an in-process caller (the demo, tests)
      // can point the CLI at an emulator; without them the SDK's default chain (profiles, SSO, IMDS) applies.
      ...(env.AWS_ACCESS_KEY_ID &&
        env.AWS_SECRET_ACCESS_KEY && {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            sessionToken: env.AWS_SESSION_TOKEN,
          },
        }),
      ...(Number.isInteger(attempts) && attempts > 0 && { maxAttempts: attempts }),
    };
  }

  private track<T extends { destroy(): void }>(client: T): T {
    this.clients.push(client);
    return client;
  }
}
