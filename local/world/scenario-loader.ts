/** Lays a scenario out in a fresh world: network, keys, IAM, vaults, instances, recovery points. */
import { utils as sshUtils } from 'ssh2';
import { AwsError } from '../aws-error';
import type { SimulatedClock } from '../clock';
import { newId } from '../ids';
import type { Scenario } from '../scenario';
import type { BackupRestoreRules } from './backup-restore-rules';
import type { BackupStore } from './backup-store';
import type { ProfileAssociations } from './ec2-associations';
import { mustExist, toTags } from './ec2-filters';
import type { Ec2Instances } from './ec2-instances';
import type { Ec2Network, KeyPair } from './ec2-network';
import type { IamStore } from './iam-store';
import type { LoopbackAddresses } from './loopback-addresses';
import type { NetworkPaths } from './network-paths';
import { generateEd25519Key, sha256Fingerprint } from './ssh-keys';
import type { SsmParameters } from './ssm-parameters';

/** The stores a scenario is laid out in (a `World` under construction). */
export interface ScenarioStores {
  readonly region: string;
  readonly clock: SimulatedClock;
  readonly loopback: LoopbackAddresses;
  readonly ec2: {
    readonly instances: Ec2Instances;
    readonly associations: ProfileAssociations;
    readonly network: Ec2Network;
  };
  readonly network: NetworkPaths;
  readonly iam: IamStore;
  readonly ssm: SsmParameters;
  readonly backup: BackupStore;
  readonly restores: BackupRestoreRules;
}

export function loadScenario(world: ScenarioStores, s: Scenario): void {
  const { ec2, iam, backup, ssm, loopback, clock } = world;
  const created = clock.now();
  for (const vpc of s.vpcs)
    ec2.network.vpcs.set(vpc.id, {
      id: vpc.id,
      cidrBlock: vpc.cidrBlock ?? `127.${loopback.octet}.0.0/16`,
      sshProbe: vpc.sshProbe,
      tags: toTags(vpc.tags),
    });
  s.subnets.forEach((sub, i) => {
    const cidrBlock = sub.cidrBlock ?? `127.${loopback.octet}.${i + 1}.0/24`;
    ec2.network.subnets.set(sub.id, {
      id: sub.id,
      vpcId: sub.vpcId,
      cidrBlock,
      availabilityZone: sub.availabilityZone ?? `${world.region}${'abcdef'[i % 6]}`,
      mapPublicIpOnLaunch: sub.mapPublicIpOnLaunch,
      tags: toTags(sub.tags),
    });
  });
  for (const g of s.securityGroups) ec2.network.securityGroups.set(g.id, { ...g, tags: new Map() });
  for (const t of s.routeTables)
    ec2.network.routeTables.set(t.id, {
      id: t.id,
      vpcId: t.vpcId,
      main: t.main,
      subnetIds: t.subnetIds,
      routes: t.routes,
      tags: toTags(t.tags),
    });
  // The orchestrator's probes are deployed before the instances exist, as the stack is.
  world.network.deployProbes();
  for (const k of s.keyPairs) {
    const material = k.privateKey ?? generateEd25519Key().private;
    const parsed = sshUtils.parseKey(material);
    if (parsed instanceof Error)
      throw new AwsError('InvalidScenario', `keyPairs ${k.name}: ${parsed.message}`);
    const publicBlob = parsed.getPublicSSH();
    const keyPair: KeyPair = {
      id: k.id,
      name: k.name,
      type: parsed.type === 'ssh-ed25519' ? 'ed25519' : 'rsa',
      publicKey: `${parsed.type} ${publicBlob.toString('base64')} ${k.name}`,
      privateKey: material,
      fingerprint: sha256Fingerprint(publicBlob),
      createTime: created,
    };
    ec2.network.keyPairs.set(k.name, keyPair);
    if (k.storeInParameterStore) ssm.putParameter(`/ec2/keypair/${k.id}`, 'SecureString', material, false);
  }
  for (const r of s.iam.roles) iam.addRole(r, created);
  for (const p of s.instanceProfiles) iam.addInstanceProfile(p, created);
  for (const v of s.backupVaults) backup.addVault(v.name, created);
  for (const spec of s.instances) {
    const subnet = ec2.network.mustGetSubnet(spec.subnetId);
    const instance = ec2.instances.launch({
      imageId: newId('ami'),
      id: spec.id,
      subnet,
      securityGroupIds: spec.securityGroupIds,
      keyName: spec.keyName ?? null,
      instanceType: spec.instanceType,
      publicIp: spec.publicIp || subnet.mapPublicIpOnLaunch,
      privateIp: null,
      tags: { ...(spec.name ? { Name: spec.name } : {}), ...spec.tags },
      disableApiTermination: false,
      requireImdsV2: false,
      authorizedKey: spec.keyName ? (ec2.network.keyPairs.get(spec.keyName)?.publicKey ?? null) : null,
    });
    instance.state = spec.state;
    instance.bootAt = 0;
    // The emulator checked the scenario's addresses when it reserved its loopback range.
    instance.addressesBound = true;
    instance.runningSince = spec.state === 'running' ? clock.nowMs() - 86_400_000 : null;
    // A terminated source had its profile while it was backed up; released below.
    if (spec.instanceProfileName) {
      ec2.associations.add(instance.id, iam.getInstanceProfile(spec.instanceProfileName), true);
    }
  }
  for (const rp of s.recoveryPoints) {
    const instance = ec2.instances.instances.get(rp.instanceId);
    backup.addRecoveryPoint({
      imageId: rp.imageId ?? newId('ami'),
      vault: rp.vault,
      instanceId: rp.instanceId,
      creationDate: new Date(rp.creationDate),
      status: rp.status,
      statusMessage: rp.statusMessage ?? null,
      metadata: rp.restoreMetadata ?? world.restores.metadataOf(mustExist(instance, rp.instanceId)),
      tags: toTags(rp.tags),
    });
  }
  if (s.backupPlan) runBackupPlan(world, s.backupPlan);
  // Terminated sources are gone after their recovery points were taken from them.
  for (const i of ec2.instances.instances.values())
    if (i.state === 'terminated') ec2.instances.releaseResources(i);
}

/** Daily points at hourUtc for the last `days` days, for every instance carrying the selection tag. */
function runBackupPlan(world: ScenarioStores, plan: NonNullable<Scenario['backupPlan']>): void {
  const now = world.clock.now();
  const latest = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), plan.hourUtc));
  if (latest.getTime() > now.getTime() - 3_600_000) latest.setUTCDate(latest.getUTCDate() - 1);
  const selected = [...world.ec2.instances.instances.values()].filter(
    (i) => i.tags.get(plan.selectionTag.key) === plan.selectionTag.value,
  );
  for (const instance of selected) {
    for (let day = plan.days - 1; day >= 0; day--) {
      const created = new Date(latest.getTime() - day * 86_400_000 + Math.floor(Math.random() * 600_000));
      world.backup.addRecoveryPoint({
        imageId: newId('ami'),
        vault: plan.vault,
        instanceId: instance.id,
        creationDate: created,
        status: day === 0 ? plan.latestStatus : 'COMPLETED',
        statusMessage:
          day === 0 && plan.latestStatus === 'PARTIAL'
            ? 'Backup job completed with errors: some volumes were not snapshotted'
            : null,
        metadata: world.restores.metadataOf(instance),
        tags: new Map([[plan.selectionTag.key, plan.selectionTag.value], ...instance.tags]),
      });
    }
  }
}
