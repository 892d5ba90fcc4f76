/**
 * The document that flows through the `restore-instance` state machine. Every step Lambda
 * receives the whole document and returns one slice, which the state machine stores under that
 * slice's key (`ResultPath`), so the input and every earlier result survive to the end.
 *
 * Steps that wait (restore job, instance, profile association, SSH) return `done: false` and a
 * `nextWaitSeconds`; the state machine waits in a Wait state (cheap, and scaled by the emulator's
 * clock) and calls the step again with the previous slice in place.
 */
import type { ErrorName } from './errors';
import type { RestoreRequest } from './restore-request';

export interface ExecutionInfo {
  /** Execution ARN. Tags and idempotency tokens derive from it. */
  readonly id: string;
  readonly name: string;
  /** ISO-8601. */
  readonly startTime: string;
}

export interface RecoveryPointRef {
  readonly arn: string;
  readonly backupVaultName: string;
  /** ISO-8601. */
  readonly creationDate: string;
}

export interface Selection {
  readonly strategy: 'latest' | 'latest-at-or-before' | 'explicit';
  readonly resourceArn: string;
  readonly sourceInstanceId: string;
  readonly region: string;
  readonly accountId: string;
  readonly recoveryPoint: RecoveryPointRef & { readonly status: string; readonly ageSeconds: number };
  /** Usable points, newest first, the chosen one first (for fallback); at most 10. */
  readonly candidates: readonly RecoveryPointRef[];
  readonly completedAt: string;
}

export interface SourceFacts {
  readonly instanceId: string;
  /** True when the source instance still exists (and is not terminated). */
  readonly exists: boolean;
  readonly from: 'live-instance' | 'restore-metadata';
  readonly instanceProfileArn: string | null;
  readonly instanceProfileName: string | null;
  readonly keyName: string | null;
  readonly subnetId: string | null;
  readonly vpcId: string | null;
  readonly securityGroupIds: readonly string[];
  readonly instanceType: string | null;
  readonly name: string | null;
}

/** What may be said about a redacted restore-metadata value: enough to tell it is there and to check it again. */
export interface RedactedValue {
  /** `sha256:<hex>` of the value exactly as sent (user data is base64 text). */
  readonly sha256: string;
  /** Its length in bytes (UTF-8) as sent. */
  readonly bytes: number;
}

export interface RestorePlan {
  /**
   * What StartRestoreJob will send: sanitised, overridden, every value a string, except the
   * redacted fields (`REDACTED_METADATA_FIELDS`, user data), which never enter the state.
   */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * The redacted fields the restore will also send, each as a digest: start-restore-job reads
   * their values from the recovery point itself and sends them only if they still match.
   * Optional only for plans made before redaction existed (none sent then beyond `metadata`).
   */
  readonly redactedMetadata?: Readonly<Record<string, RedactedValue>>;
  /** Keys of the backed-up metadata that were left out, for the record. */
  readonly droppedKeys: readonly string[];
  readonly networkInterfaces: 'absent' | 'dropped' | 'stripped';
  readonly subnetId: string;
  readonly vpcId: string;
  readonly securityGroupIds: readonly string[];
  readonly instanceType: string | null;
  readonly subnetMapsPublicIp: boolean;
  /** The profile the restored instance must end up with (null: none). */
  readonly targetInstanceProfile: { readonly arn: string; readonly name: string } | null;
  readonly keyName: string | null;
  readonly keyPairId: string | null;
  /** SSM parameter holding the private key, when the SSH check is on. */
  readonly privateKeyParameter: string | null;
  readonly restoreRoleArn: string;
  /** Human-readable list of the pre-flight checks that passed. */
  readonly checks: readonly string[];
  /** The network pre-flight's findings (absent in plans made before it existed). */
  readonly sshNetwork?: SshNetworkPlan | null;
}

/** What PlanRestore learnt about the target subnet and from where SSH can reach it. */
export interface SshNetworkPlan {
  /** The subnet's route table (its own, else the VPC's main table); null when none was found. */
  readonly routeTableId: string | null;
  /** A route 0.0.0.0/0 to an internet gateway: only then is a public address reachable. */
  readonly subnetRoutesToInternetGateway: boolean;
  /** Where the SSH check connects from; null when the check is off. */
  readonly path: 'probe' | 'internet' | null;
  /** The in-VPC probe serving the target VPC, when `path` is 'probe'. */
  readonly probe: {
    readonly vpcId: string;
    readonly functionName: string;
    readonly ingressGroupId: string;
    readonly ports: readonly number[];
  } | null;
}

export interface RestoreJobState {
  readonly id: string;
  /** PENDING | RUNNING | COMPLETED | ABORTED | FAILED */
  readonly status: string;
  readonly statusMessage: string | null;
  readonly percentDone: number | null;
  readonly expectedCompletionTimeMinutes: number | null;
  readonly createdInstanceId: string | null;
  readonly startedAt: string;
  readonly deadline: string;
  readonly polls: number;
  readonly completedAt: string | null;
  readonly done: boolean;
  readonly nextWaitSeconds: number;
}

export interface InstanceState {
  readonly instanceId: string;
  readonly state: string;
  readonly privateIp: string | null;
  readonly publicIp: string | null;
  readonly subnetId: string | null;
  readonly vpcId: string | null;
  readonly instanceProfileArn: string | null;
  readonly firstCheckedAt: string;
  readonly runningAt: string | null;
  readonly polls: number;
  readonly ready: boolean;
  readonly nextWaitSeconds: number;
}

export interface TaggingState {
  readonly taggedResourceIds: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface ProfileState {
  /** What the step did: nothing needed, a new association, a replacement, or skipped by request. */
  readonly action: 'already-correct' | 'associated' | 'replaced' | 'not-requested';
  readonly instanceProfileArn: string | null;
  readonly associationId: string | null;
  readonly startedAt: string;
  readonly completedAt: string | null;
  readonly polls: number;
  readonly done: boolean;
  readonly nextWaitSeconds: number;
}

export interface AddressState {
  readonly action: 'allocated' | 'reused' | 'not-needed' | 'disabled';
  /** One sentence a person can read: why an Elastic IP was (or was not) attached. */
  readonly reason: string;
  readonly allocationId: string | null;
  readonly associationId: string | null;
  readonly publicIp: string | null;
  readonly startedAt: string;
  readonly completedAt: string;
}

export interface SshState {
  readonly enabled: boolean;
  readonly reachable: boolean;
  readonly host: string | null;
  readonly port: number;
  readonly username: string;
  readonly attempts: number;
  readonly hostKeyFingerprint: string | null;
  /** The last failure, for progress displays (never key material). */
  readonly lastError: string | null;
  readonly startedAt: string;
  readonly deadline: string;
  readonly readyAt: string | null;
  readonly done: boolean;
  readonly nextWaitSeconds: number;
  /** Where the attempts came from: the in-VPC probe, or the internet (the non-VPC function). */
  readonly from?: 'probe' | 'internet';
  /** The probe function, when `from` is 'probe'. */
  readonly probeFunction?: string | null;
  /**
   * True: the offered host key is one the instance printed on its console. False: it could not be
   * compared (see `hostKeyVerification`), so it is only recorded. Null: no handshake yet.
   */
  readonly hostKeyVerified?: boolean | null;
  /** One sentence: how the host key was verified, or why it was not. */
  readonly hostKeyVerification?: string | null;
  /** The ssh.commands results, in order (empty when none were asked for). */
  readonly checks?: readonly CommandCheck[];
  /** The probe-ingress group the check added to the instance and took away again. */
  readonly securityGroups?: ProbeIngressRecord | null;
}

/** One ssh.commands entry as it ran on the restored instance. */
export interface CommandCheck {
  readonly command: string;
  /** Null when it did not finish within its timeout (or the session ended without a status). */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The first 2 KiB of stdout and stderr together. */
  readonly output: string;
  readonly truncated: boolean;
}

/** How the instance's groups were changed for the in-VPC check and set back. */
export interface ProbeIngressRecord {
  /** The instance's groups before the check, which it has again once `restored` is true. */
  readonly original: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly restored: boolean;
}

export interface CleanupState {
  readonly instanceTerminated: boolean;
  readonly elasticIpReleased: boolean;
  readonly terminatedInstanceIds: readonly string[];
  readonly releasedAllocationIds: readonly string[];
  readonly completedAt: string;
}

/** What a Catch puts at `$.error`. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

export interface FailureState {
  readonly error: ErrorName;
  readonly cause: string;
  readonly failedStep: string;
  readonly cleanup: CleanupState | null;
}

export interface Timings {
  readonly selectSeconds: number | null;
  readonly restoreJobSeconds: number | null;
  readonly bootSeconds: number | null;
  readonly profileSeconds: number | null;
  readonly addressSeconds: number | null;
  readonly sshReadySeconds: number | null;
  readonly totalSeconds: number;
}

/** The execution output (docs/contract.md §2). */
export interface RestoreOutput {
  readonly status: 'RESTORED' | 'VALIDATED_AND_CLEANED_UP' | 'PLANNED';
  readonly mode: RestoreRequest['mode'];
  readonly executionArn: string;
  readonly source: {
    readonly instanceId: string;
    readonly instanceProfileArn: string | null;
    readonly keyName: string | null;
  };
  readonly recoveryPoint: {
    readonly arn: string;
    readonly backupVaultName: string;
    readonly creationDate: string;
    readonly ageSeconds: number;
  };
  readonly restoreJob: { readonly id: string; readonly status: string } | null;
  readonly instance: {
    readonly instanceId: string;
    readonly privateIp: string | null;
    readonly publicIp: string | null;
    readonly subnetId: string | null;
    readonly instanceProfileArn: string | null;
  } | null;
  readonly elasticIp: {
    readonly allocationId: string;
    readonly publicIp: string;
    readonly reason: string;
  } | null;
  readonly publicAddress: { readonly action: AddressState['action']; readonly reason: string } | null;
  readonly instanceProfile: { readonly action: ProfileState['action']; readonly arn: string | null } | null;
  /** The check's outcome: SshState without its bookkeeping (deadline, retries). */
  readonly ssh: Pick<
    SshState,
    | 'reachable'
    | 'host'
    | 'port'
    | 'username'
    | 'attempts'
    | 'hostKeyFingerprint'
    | 'from'
    | 'probeFunction'
    | 'hostKeyVerified'
    | 'hostKeyVerification'
    | 'checks'
    | 'securityGroups'
  > | null;
  readonly plan: RestorePlan | null;
  readonly timings: Timings;
  readonly cleanup: { readonly instanceTerminated: boolean; readonly elasticIpReleased: boolean } | null;
  readonly validationReported: boolean | null;
}

export interface WorkflowState {
  /** The execution input, untouched. */
  readonly input: unknown;
  readonly execution: ExecutionInfo;
  readonly request?: RestoreRequest;
  readonly selection?: Selection;
  readonly source?: SourceFacts;
  readonly plan?: RestorePlan;
  readonly restoreJob?: RestoreJobState;
  readonly instance?: InstanceState;
  readonly tagging?: TaggingState;
  readonly profile?: ProfileState;
  readonly address?: AddressState;
  readonly ssh?: SshState;
  readonly cleanup?: CleanupState;
  readonly error?: CaughtError;
  readonly failedStep?: string;
  readonly failure?: FailureState;
  readonly output?: RestoreOutput;
}

/** Narrow a state to one where earlier steps have filled the named slices. */
export type StateWith<K extends keyof WorkflowState> = WorkflowState & {
  readonly [P in K]-?: NonNullable<WorkflowState[P]>;
};

/** Fail loudly when a step runs before the steps it depends on (a wiring bug, not user error). */
export function requireSlices<K extends keyof WorkflowState>(
  state: WorkflowState,
  ...keys: K[]
): StateWith<K> {
  const missing = keys.filter((k) => state[k] === undefined || state[k] === null);
  if (missing.length > 0) {
    throw new TypeError(
      `Workflow state is missing ${missing.join(', ')}: the state machine ran a step out of order.`,
    );
  }
  return state as StateWith<K>;
}
