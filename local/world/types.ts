/**
 * The shapes the world's stores share and the part of the world each store sees. The stores
 * depend on these interfaces, never on `World` or on each other's classes, so `world.ts` can
 * build them without an import cycle; `World` satisfies `WorldContext` structurally.
 */
import type { SimulatedClock } from '../clock';
import type { RestoreJobFault, Scenario } from '../scenario';
import type { Tags } from './ec2-filters';
import type { Ec2Network, Subnet } from './ec2-network';
import type { IamStore, InstanceProfile } from './iam-store';
import type { AddressGuard, LoopbackAddresses } from './loopback-addresses';

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';

export interface Instance {
  readonly id: string;
  readonly imageId: string;
  state: InstanceStateName;
  stateReason: { code: string; message: string } | null;
  stateTransitionReason: string;
  readonly launchTime: Date;
  /** Simulated ms when a pending instance becomes running. */
  bootAt: number;
  runningSince: number | null;
  readonly keyName: string | null;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly privateIp: string;
  /** Auto-assigned public IPv4 (not an Elastic IP). */
  autoPublicIp: string | null;
  /** Its network interface's groups: ModifyNetworkInterfaceAttribute/ModifyInstanceAttribute replace them. */
  securityGroupIds: readonly string[];
  readonly tags: Tags;
  readonly eniId: string;
  disableApiTermination: boolean;
  readonly requireImdsV2: boolean;
  readonly hostKey: string;
  /** The key sshd accepts (the key pair's, unless a fault swaps it). */
  readonly authorizedKey: string | null;
  /**
   * The emulator has confirmed it can bind the instance's addresses (so its sshd will answer
   * there, and nobody else's); a pending instance boots only then.
   */
  addressesBound: boolean;
}

/** RunInstances' inputs as the scenario and AWS Backup's restores use them. */
export interface LaunchSpec {
  readonly id: string | null;
  readonly imageId: string;
  readonly subnet: Subnet;
  readonly securityGroupIds: readonly string[];
  readonly keyName: string | null;
  readonly instanceType: string;
  readonly publicIp: boolean;
  readonly privateIp: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly disableApiTermination: boolean;
  readonly requireImdsV2: boolean;
  readonly authorizedKey: string | null;
}

export interface Address {
  readonly allocationId: string;
  readonly publicIp: string;
  associationId: string | null;
  instanceId: string | null;
  eniId: string | null;
  privateIp: string | null;
  readonly tags: Tags;
}

export interface ProfileAssociation {
  readonly id: string;
  readonly instanceId: string;
  profileArn: string;
  profileId: string;
  state: 'associating' | 'associated' | 'disassociating' | 'disassociated';
  /** Simulated ms when an "associating" association becomes "associated". */
  readyAt: number;
  timestamp: Date;
}

export interface BackupVault {
  readonly name: string;
  readonly arn: string;
  readonly creationDate: Date;
}
export interface RecoveryPoint {
  readonly arn: string;
  readonly imageId: string;
  readonly vault: string;
  readonly resourceArn: string;
  readonly instanceId: string;
  readonly creationDate: Date;
  readonly completionDate: Date;
  readonly status: string;
  readonly statusMessage: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: Tags;
  readonly sizeBytes: number;
}
export interface RestoreJob {
  readonly id: string;
  readonly recoveryPointArn: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly iamRoleArn: string;
  readonly idempotencyToken: string | null;
  readonly copySourceTags: boolean;
  readonly createdAt: Date;
  readonly durationMs: number;
  readonly fault: RestoreJobFault;
  status: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'ABORTED' | 'FAILED';
  statusMessage: string | null;
  completedAt: Date | null;
  createdInstanceId: string | null;
  validationStatus: string | null;
  validationMessage: string | null;
}

/** What the other stores ask of the instances. */
export interface InstanceStore {
  readonly instances: ReadonlyMap<string, Instance>;
  launch(spec: LaunchSpec): Instance;
  mustGet(id: string): Instance;
  instanceArn(instanceId: string): string;
}

/** What the instances ask of the Elastic IPs. */
export interface AddressStore {
  publicIpsOf(instance: Instance): string[];
  detachFrom(instanceId: string): void;
}

/** What the instances and AWS Backup's restores ask of the profile associations. */
export interface AssociationStore {
  add(instanceId: string, profile: InstanceProfile, immediate: boolean): ProfileAssociation;
  active(instanceId: string): ProfileAssociation | undefined;
  endFor(instanceId: string): void;
}

/** The world as a store sees it. */
export interface WorldContext {
  readonly region: string;
  readonly accountId: string;
  readonly clock: SimulatedClock;
  readonly faults: Scenario['faults'];
  readonly loopback: LoopbackAddresses;
  readonly addressGuard: AddressGuard | undefined;
  readonly log: (line: string) => void;
  readonly iam: IamStore;
  readonly ec2: {
    readonly instances: InstanceStore;
    readonly addresses: AddressStore;
    readonly associations: AssociationStore;
    readonly network: Ec2Network;
  };
  readonly backup: { readonly recoveryPoints: ReadonlyMap<string, RecoveryPoint> };
}
