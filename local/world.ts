/**
 * The emulated account: one store per service (`world/`), the rules that span them (AWS Backup's
 * restores, tagging, termination) and how everything moves over simulated time. The protocol
 * adapters in `services/` translate wire requests into calls on these stores and their results
 * into wire responses; nothing here knows about HTTP, XML or JSON.
 *
 * Where AWS's behaviour is unconfirmed (docs/aws-facts.md), the model picks the
 * behaviour that fails safe, and says so where it does.
 */
import { AwsError } from './aws-error';
import type { SimulatedClock } from './clock';
import type { Scenario } from './scenario';
import { BackupRestoreRules } from './world/backup-restore-rules';
import { BackupStore } from './world/backup-store';
import { ElasticIps } from './world/ec2-addresses';
import { ProfileAssociations } from './world/ec2-associations';
import { ConsoleOutputs } from './world/ec2-console';
import type { Tags } from './world/ec2-filters';
import { Ec2Instances } from './world/ec2-instances';
import { Ec2Interfaces } from './world/ec2-interfaces';
import { Ec2Network } from './world/ec2-network';
import { IamStore } from './world/iam-store';
import { type AddressGuard, LoopbackAddresses } from './world/loopback-addresses';
import { NetworkPaths } from './world/network-paths';
import { loadScenario } from './world/scenario-loader';
import { SsmParameters } from './world/ssm-parameters';
import type { Address, Instance, WorldContext } from './world/types';

export type { ConsoleOutput } from './world/ec2-console';
export { type Ec2Filter, matchesFilters, type Tags, tagFilterValues } from './world/ec2-filters';
export { INSTANCE_STATE_CODES } from './world/ec2-instances';
export type {
  KeyPair,
  Route,
  RouteTable,
  SecurityGroup,
  SecurityGroupRule,
  Subnet,
  Vpc,
} from './world/ec2-network';
export type { InstanceProfile, Role } from './world/iam-store';
export { type SshProbe, sshProbeFunctionName } from './world/network-paths';
export { sha256Fingerprint } from './world/ssh-keys';
export type { Parameter } from './world/ssm-parameters';
export type {
  Address,
  BackupVault,
  Instance,
  InstanceStateName,
  ProfileAssociation,
  RecoveryPoint,
  RestoreJob,
  WorldContext,
} from './world/types';

/** What an SSH host needs to serve one running instance. */
export interface SshTarget {
  readonly instanceId: string;
  readonly addresses: readonly string[];
  readonly hostKey: string;
  readonly authorizedKey: string | null;
  /**
   * Null when AWS's network would deliver a TCP connection from `source` to `address`:`port` (read
   * live, so a group change applies to the next connection), else why not.
   */
  refusal(source: string, address: string, port: number): string | null;
}

export interface WorldOptions {
  /** Second octet of the loopback range; default the scenario's `loopbackOctet`, else one per process. */
  readonly octet?: number;
  /**
   * Confirms the emulator can serve an address before it is handed out (the emulator binds it);
   * without one (a world on its own, in tests) every address is taken as servable.
   */
  readonly addressGuard?: AddressGuard;
  /** Where the world reports what the emulator could not do (an address another process holds). */
  readonly log?: (line: string) => void;
}

export class World implements WorldContext {
  readonly region: string;
  readonly accountId: string;
  readonly loopback: LoopbackAddresses;
  readonly ec2: {
    readonly instances: Ec2Instances;
    readonly addresses: ElasticIps;
    readonly associations: ProfileAssociations;
    readonly network: Ec2Network;
    readonly interfaces: Ec2Interfaces;
    readonly console: ConsoleOutputs;
  };
  /** Which connections AWS's network delivers, and the orchestrator's in-VPC SSH probes. */
  readonly network: NetworkPaths;
  readonly iam: IamStore;
  readonly ssm: SsmParameters;
  readonly backup: BackupStore;
  readonly restores: BackupRestoreRules;
  readonly restoreRoleArn: string;
  readonly addressGuard: AddressGuard | undefined;
  readonly log: (line: string) => void;
  /** Instances whose addresses are being checked now. */
  private readonly checking = new Set<string>();

  constructor(
    readonly scenario: Scenario,
    readonly clock: SimulatedClock,
    options: WorldOptions = {},
  ) {
    this.region = scenario.region;
    this.accountId = scenario.accountId;
    this.addressGuard = options.addressGuard;
    this.log = options.log ?? (() => {});
    this.loopback = new LoopbackAddresses(options.octet ?? scenario.loopbackOctet ?? defaultLoopbackOctet());
    const network = new Ec2Network(this.loopback);
    const instances = new Ec2Instances(this);
    const addresses = new ElasticIps(this);
    const paths = {
      network,
      loopback: this.loopback,
      sshPort: scenario.sshPort,
      instances: () => instances.instances.values(),
      publicIpsOf: (i: Instance) => addresses.publicIpsOf(i),
    };
    this.ec2 = {
      instances,
      addresses,
      associations: new ProfileAssociations(this),
      network,
      interfaces: new Ec2Interfaces(paths),
      // Cloud-init prints the host keys as the sshd comes up.
      console: new ConsoleOutputs(
        () => this.faults.consoleOutput,
        () => this.faults.ssh.bootDelaySeconds * 1000,
      ),
    };
    this.network = new NetworkPaths(paths);
    this.iam = new IamStore(this.accountId);
    this.ssm = new SsmParameters(clock);
    this.backup = new BackupStore(this);
    this.restores = new BackupRestoreRules(this);
    this.restoreRoleArn = this.iam.roleArn(scenario.iam.restoreRoleName, '/');
    loadScenario(this, scenario);
  }

  get faults(): Scenario['faults'] {
    return this.scenario.faults;
  }

  // The maps tests, benches and the demo read directly.
  get instances() {
    return this.ec2.instances.instances;
  }
  get addresses(): Map<string, Address> {
    return this.ec2.addresses.addresses;
  }
  get associations() {
    return this.ec2.associations.associations;
  }
  get keyPairs() {
    return this.ec2.network.keyPairs;
  }
  get recoveryPoints() {
    return this.backup.recoveryPoints;
  }
  get restoreJobs() {
    return this.backup.restoreJobs;
  }

  /** Moves everything that changes over time to the current simulated instant. */
  tick(): void {
    const now = this.clock.nowMs();
    for (const job of this.backup.restoreJobs.values()) this.restores.advanceJob(job, now);
    this.ec2.instances.tick(now);
    this.ec2.associations.tick(now);
  }

  /**
   * The next simulated moment after `now` at which something changes on its own (a restore job
   * starts running or ends, an instance boots or finishes stopping, an sshd starts, a profile
   * association settles): where an event clock may jump when nothing is in flight.
   */
  nextDueMs(now: number): number | undefined {
    let next = Number.POSITIVE_INFINITY;
    const consider = (ms: number) => {
      if (ms > now && ms < next) next = ms;
    };
    for (const job of this.backup.restoreJobs.values()) {
      if (job.status !== 'PENDING' && job.status !== 'RUNNING') continue;
      const created = job.createdAt.getTime();
      consider(created + Math.min(30_000, job.durationMs * 0.05));
      consider(created + job.durationMs);
    }
    const sshDelayMs = this.faults.ssh.bootDelaySeconds * 1000;
    for (const i of this.ec2.instances.instances.values()) {
      if (i.state === 'pending' || i.state === 'shutting-down' || i.state === 'stopping') consider(i.bootAt);
      if (i.state === 'running' && i.runningSince !== null) consider(i.runningSince + sshDelayMs);
    }
    for (const a of this.ec2.associations.associations.values())
      if (a.state === 'associating') consider(a.readyAt);
    return next === Number.POSITIVE_INFINITY ? undefined : next;
  }

  /**
   * Checks the addresses of newly launched instances with the address guard: a pending instance
   * boots once its addresses are confirmed, and fails its launch if another process holds one.
   */
  async checkLaunches(): Promise<void> {
    const guard = this.addressGuard;
    if (!guard) return;
    const unchecked = [...this.ec2.instances.instances.values()].filter(
      (i) => !i.addressesBound && i.state === 'pending' && !this.checking.has(i.id),
    );
    await Promise.all(
      unchecked.map(async (instance) => {
        this.checking.add(instance.id);
        try {
          for (const ip of [instance.privateIp, instance.autoPublicIp]) {
            if (ip === null) continue;
            const problem = await guard(ip);
            if (problem !== null) {
              this.loopback.refuse(ip);
              this.failOnHost(instance.id, `the emulator cannot serve ${instance.id} at ${problem}`);
              return;
            }
          }
          instance.addressesBound = true;
        } finally {
          this.checking.delete(instance.id);
        }
      }),
    );
  }

  /** The emulator cannot serve the instance (e.g. its sshd could not bind): its launch fails, visibly. */
  failOnHost(instanceId: string, cause: string): void {
    const instance = this.ec2.instances.instances.get(instanceId);
    if (!instance || instance.state === 'terminated') return;
    this.ec2.instances.failOnHost(instance, cause);
    this.log(`emulator error: ${cause}`);
  }

  /** Running instances whose sshd is up, with every address that reaches them. */
  sshTargets(): SshTarget[] {
    const now = this.clock.nowMs();
    const ssh = this.faults.ssh;
    if (ssh.unreachable) return [];
    return [...this.ec2.instances.instances.values()]
      .filter(
        (i) =>
          i.state === 'running' &&
          i.runningSince !== null &&
          now >= i.runningSince + ssh.bootDelaySeconds * 1000,
      )
      .map((i) => ({
        instanceId: i.id,
        addresses: [i.privateIp, ...this.ec2.addresses.publicIpsOf(i)],
        hostKey: i.hostKey,
        authorizedKey: i.authorizedKey,
        refusal: (source, address, port) => this.network.explain(source, address, port, i),
      }));
  }

  /** EC2 CreateTags: tags on any taggable resource, all or none. */
  createTags(resourceIds: readonly string[], tags: Readonly<Record<string, string>>): void {
    const targets = resourceIds.map((id) => {
      const target = this.taggable(id);
      if (!target) {
        const kind = id.split('-')[0] ?? 'resource';
        const code =
          kind === 'i'
            ? 'InvalidInstanceID.NotFound'
            : kind === 'eipalloc'
              ? 'InvalidAllocationID.NotFound'
              : 'InvalidID';
        throw new AwsError(code, `The ID '${id}' does not exist`);
      }
      return target;
    });
    for (const target of targets) for (const [k, v] of Object.entries(tags)) target.set(k, v);
  }

  private taggable(id: string): Tags | undefined {
    return (
      this.ec2.instances.instances.get(id)?.tags ??
      this.ec2.addresses.addresses.get(id)?.tags ??
      this.ec2.network.subnets.get(id)?.tags ??
      this.ec2.network.vpcs.get(id)?.tags ??
      (id.startsWith('vol-') || id.startsWith('eni-') ? new Map() : undefined)
    );
  }
}

/**
 * Where this process's emulators start looking for a free loopback range: spread by PID so that
 * concurrent processes (jest workers) rarely contend; the reservation (../loopback-reservation.ts)
 * is what keeps them apart.
 */
export function defaultLoopbackOctet(): number {
  return 20 + ((process.pid * 7) % 220);
}
