/**
 * Which TCP connections AWS's network would deliver to an instance, and the in-VPC SSH probes the
 * orchestrator deploys (one per VPC that `sshProbeNetworks` lists).
 *
 * Every address in the emulator is a loopback address, so "where a packet comes from" is the
 * source address of the TCP connection: a probe's own `sourceAddress` (a loopback address inside
 * its VPC's range, which the probe's sockets bind) means "from inside that VPC"; any other source,
 * 127.0.0.1 above all, is the internet (an operator's laptop, the non-VPC Lambda). The rules are
 * AWS's (docs/aws-facts.md I.2, I.3):
 * - inside the VPC: to the instance's private address when one of its groups allows the source,
 *   by CIDR or by naming one of the probe's groups; to its public address only by CIDR (a rule
 *   naming a group matches traffic to private addresses only);
 * - from the internet: only to a public address, in a subnet whose route table sends 0.0.0.0/0 to
 *   an internet gateway, when a group allows a CIDR containing the source on the port.
 * The source's outbound rules must let the packet out too (the probe's group: TCP to the SSH port).
 */
import { createHash } from 'node:crypto';
import { cidrContains } from './cidr';
import type { Ec2Network, SecurityGroup, SecurityGroupRule, Subnet } from './ec2-network';
import type { LoopbackAddresses } from './loopback-addresses';
import type { Instance } from './types';

/** An in-VPC SSH probe function, as the CDK construct deploys it (interface item 3). */
export interface SshProbe {
  readonly vpcId: string;
  /** The Lambda function's name: what Lambda Invoke takes. */
  readonly functionName: string;
  /** The loopback address the probe's sockets bind (ssh2/net `localAddress`): inside the VPC's range. */
  readonly sourceAddress: string;
  /** The subnet the probe's network interface is in (its address comes from there). */
  readonly subnetId: string;
  /** The probe's own security group: egress TCP to the SSH port only. */
  readonly groupId: string;
  /** The probe-ingress group: ingress TCP on the SSH port from `groupId`, for the workflow to attach. */
  readonly ingressGroupId: string;
}

export function sshProbeFunctionName(vpcId: string): string {
  return `ec2-restore-ssh-probe-${vpcId}`;
}

/** What the paths read of the world: instances and their public addresses. */
export interface PathContext {
  readonly sshPort: number;
  readonly network: Ec2Network;
  readonly loopback: LoopbackAddresses;
  instances(): Iterable<Instance>;
  publicIpsOf(instance: Instance): readonly string[];
}

export class NetworkPaths {
  private readonly probes = new Map<string, SshProbe>();

  constructor(private readonly context: PathContext) {}

  /**
   * Deploys a probe in every VPC that asks for one and has a subnet: its two groups join the
   * VPC's groups, and its address is taken from the top of its subnet (so instances launched
   * later keep the addresses they had before probes existed).
   */
  deployProbes(): void {
    const { network, loopback, sshPort } = this.context;
    for (const vpc of network.vpcs.values()) {
      if (!vpc.sshProbe) continue;
      const subnet = [...network.subnets.values()].find((s) => s.vpcId === vpc.id);
      if (!subnet) continue;
      const groupId = derivedGroupId(`ssh-probe:${vpc.id}`);
      const ingressGroupId = derivedGroupId(`ssh-probe-ingress:${vpc.id}`);
      const ssh = { protocol: 'tcp', fromPort: sshPort, toPort: sshPort } as const;
      network.securityGroups.set(groupId, {
        id: groupId,
        name: `ec2-restore-ssh-probe-${vpc.id}`,
        vpcId: vpc.id,
        description: 'ec2-restore SSH probe: TCP to the SSH port only',
        ingress: [],
        egress: [{ ...ssh, cidrIp: '0.0.0.0/0', description: 'SSH to restored instances' }],
        tags: new Map([['ec2-restore:role', 'ssh-probe']]),
      });
      network.securityGroups.set(ingressGroupId, {
        id: ingressGroupId,
        name: `ec2-restore-ssh-probe-ingress-${vpc.id}`,
        vpcId: vpc.id,
        description: 'ec2-restore: SSH from the SSH probe, attached to a restored instance for its check',
        ingress: [{ ...ssh, sourceGroupId: groupId, description: 'SSH from the ec2-restore SSH probe' }],
        egress: [{ protocol: '-1', cidrIp: '0.0.0.0/0' }],
        tags: new Map([['ec2-restore:role', 'ssh-probe-ingress']]),
      });
      this.probes.set(vpc.id, {
        vpcId: vpc.id,
        functionName: sshProbeFunctionName(vpc.id),
        sourceAddress: loopback.highest(subnetPrefixOf(subnet)),
        subnetId: subnet.id,
        groupId,
        ingressGroupId,
      });
    }
  }

  /** The probe serving `vpcId`, or undefined when the orchestrator has none there. */
  sshProbe(vpcId: string): SshProbe | undefined {
    return this.probes.get(vpcId);
  }

  sshProbes(): SshProbe[] {
    return [...this.probes.values()];
  }

  /** Whether AWS would deliver a TCP connection from `source` to `destination`:`port` of `instance`. */
  admits(source: string, destination: string, port: number, instance: Instance): boolean {
    return this.explain(source, destination, port, instance) === null;
  }

  /** Null when the connection would be delivered, else why not (for logs and tests). */
  explain(source: string, destination: string, port: number, instance: Instance): string | null {
    const { network } = this.context;
    if (instance.state !== 'running') return `${instance.id} is ${instance.state}`;
    const isPrivate = destination === instance.privateIp;
    const isPublic = this.context.publicIpsOf(instance).includes(destination);
    if (!isPrivate && !isPublic) return `${destination} is not an address of ${instance.id}`;
    const groups = instance.securityGroupIds.flatMap((id) => {
      const g = network.securityGroups.get(id);
      return g ? [g] : [];
    });
    const probe = this.sshProbes().find((p) => p.sourceAddress === source);
    if (probe) {
      // No peering, transit gateway or NAT is modelled: another VPC's probe reaches nothing here.
      if (probe.vpcId !== instance.vpcId)
        return `the probe of ${probe.vpcId} has no route into ${instance.vpcId}`;
      const probeGroup = network.securityGroups.get(probe.groupId);
      if (!probeGroup?.egress.some((r) => ruleMatches(r, port, destination, isPrivate ? [instance] : [])))
        return `the probe's group ${probe.groupId} does not allow TCP ${port} out to ${destination}`;
      const allowed = groups.some((g) =>
        g.ingress.some((r) =>
          isPrivate
            ? ruleMatchesSource(r, port, source, [probe.groupId])
            : ruleMatchesSource(r, port, source, []),
        ),
      );
      return allowed
        ? null
        : `no group of ${instance.id} (${ids(groups)}) allows TCP ${port} from ${source} (the probe of ${probe.vpcId})`;
    }
    if (!isPublic) return `${destination} is a private address: unreachable from the internet (${source})`;
    const subnet = network.subnets.get(instance.subnetId);
    if (!subnet || !network.routesToInternetGateway(subnet))
      return `subnet ${instance.subnetId} has no route to an internet gateway`;
    const allowed = groups.some((g) => g.ingress.some((r) => ruleMatchesSource(r, port, source, [])));
    return allowed ? null : `no group of ${instance.id} (${ids(groups)}) allows TCP ${port} from ${source}`;
  }
}

function ids(groups: readonly SecurityGroup[]): string {
  return groups.map((g) => g.id).join(', ') || 'none';
}

function portMatches(rule: SecurityGroupRule, port: number): boolean {
  if (rule.protocol === '-1') return true;
  return (
    rule.fromPort !== undefined && rule.toPort !== undefined && rule.fromPort <= port && port <= rule.toPort
  );
}

/** An inbound rule admits TCP `port` from `source`, or from an ENI carrying one of `sourceGroups`. */
function ruleMatchesSource(
  rule: SecurityGroupRule,
  port: number,
  source: string,
  sourceGroups: readonly string[],
): boolean {
  if (!portMatches(rule, port)) return false;
  if (rule.cidrIp !== undefined) return cidrContains(rule.cidrIp, source);
  return rule.sourceGroupId !== undefined && sourceGroups.includes(rule.sourceGroupId);
}

/** An outbound rule lets TCP `port` out to `destination` (a group rule: to the private address of an ENI in it). */
function ruleMatches(
  rule: SecurityGroupRule,
  port: number,
  destination: string,
  privateTargets: readonly Instance[],
): boolean {
  if (!portMatches(rule, port)) return false;
  if (rule.cidrIp !== undefined) return cidrContains(rule.cidrIp, destination);
  return privateTargets.some(
    (i) => rule.sourceGroupId !== undefined && i.securityGroupIds.includes(rule.sourceGroupId),
  );
}

function subnetPrefixOf(subnet: Subnet): string {
  return subnet.cidrBlock.split('.').slice(0, 3).join('.');
}

/** A stable security-group id for a group the emulated orchestrator deploys. */
function derivedGroupId(seed: string): string {
  return `sg-${createHash('sha256').update(seed).digest('hex').slice(0, 17)}`;
}
