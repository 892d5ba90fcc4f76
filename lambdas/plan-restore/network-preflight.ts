/**
 * The network half of PlanRestore's pre-flight (issue 12): from where can the SSH check reach the
 * restored instance, decided from the route table and security-group rules before the 20-minute
 * restore job, instead of after it and a 10-minute SSH timeout.
 *
 * - An in-VPC probe (infra context `sshProbeNetworks`) connects to the private address, through the
 *   probe-ingress group the workflow adds for the check: it needs no rule of the customer's.
 * - A check from the internet (the non-VPC Lambda) needs a subnet that routes 0.0.0.0/0 to an
 *   internet gateway and a group that admits 0.0.0.0/0 on the SSH port: Lambda outside a VPC
 *   connects from AWS's public ranges, which no narrower CIDR can be known to contain.
 */
import {
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, isAccessDenied } from '@shared/errors';
import type { RestoreRequest } from '@shared/restore-request';
import { describeRoute, type SubnetRoute, subnetRoute } from '@shared/route-tables';
import { SSH_PROBE_CONTEXT_KEY, type SshProbeRef, sshProbeFor } from '@shared/ssh-probes';
import type { SshNetworkPlan } from '@shared/workflow-state';

export interface NetworkPreflightInput {
  readonly request: RestoreRequest;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly securityGroupIds: readonly string[];
  readonly probes: readonly SshProbeRef[];
}

/** Where the checks go: PlanRestore's own collector. */
export interface PreflightSink {
  pass(sentence: string): void;
  fail(sentence: string): void;
}

/** The SSH check's path, or null when a check failed (recorded in the sink). */
export async function checkSshNetwork(
  ec2: EC2Client,
  input: NetworkPreflightInput,
  preflight: PreflightSink,
): Promise<SshNetworkPlan | null> {
  const { request, subnetId, vpcId } = input;
  const route = await readRoute(ec2, subnetId, vpcId, preflight);
  if (!route) return null;
  const routesToInternet = route.internetGatewayId !== null;
  const base = {
    routeTableId: route.routeTableId,
    subnetRoutesToInternetGateway: routesToInternet,
  };
  preflight.pass(
    routesToInternet
      ? `subnet ${subnetId} is public: ${describeRoute(subnetId, route)}`
      : `subnet ${subnetId} is private (${describeRoute(subnetId, route)}): a public address there would be unreachable`,
  );
  if (!request.ssh.enabled) return { ...base, path: null, probe: null };

  const { port, target } = request.ssh;
  const probe = sshProbeFor(input.probes, vpcId);
  const addProbe =
    `add {"vpcId":"${vpcId}","subnetIds":["<subnets of ${vpcId} the probe may use>"]} to the ` +
    `${SSH_PROBE_CONTEXT_KEY} CDK context and redeploy`;

  if (target !== 'public' && probe) {
    if (!probe.ports.includes(port)) {
      preflight.fail(
        `ssh.port ${port} is not a port the SSH probe of ${vpcId} (${probe.functionName}) may reach ` +
          `(${probe.ports.join(', ')}); add it to the probe network's "ports" in ${SSH_PROBE_CONTEXT_KEY} and redeploy`,
      );
      return null;
    }
    preflight.pass(
      `SSH will be checked from inside ${vpcId} by ${probe.functionName}, at the instance's private address, ` +
        `through probe-ingress group ${probe.ingressGroupId}, which the workflow adds for the check and removes afterwards`,
    );
    return { ...base, path: 'probe', probe: { ...probe } };
  }
  if (target === 'private') {
    preflight.fail(
      `ssh.target is "private" but no in-VPC SSH probe serves ${vpcId}, so nothing can reach the instance's ` +
        `private address: ${addProbe}, or pass ssh.enabled=false`,
    );
    return null;
  }

  // From the internet: an explicit "public", or "auto" in a VPC without a probe.
  const why = target === 'public' ? 'ssh.target is "public"' : `no in-VPC SSH probe serves ${vpcId}`;
  const fixes =
    target === 'public'
      ? 'or rerun with ssh.target "private" (in-VPC probe)'
      : `or ${addProbe} so that SSH is checked from inside the VPC`;
  if (!routesToInternet) {
    preflight.fail(
      `${why}, so SSH would be checked from the internet, but subnet ${subnetId} has no route to an internet ` +
        `gateway (${describeRoute(subnetId, route)}): restore into a public subnet with overrides.subnetId, ${fixes}`,
    );
    return null;
  }
  const groups = await readGroups(ec2, input.securityGroupIds, preflight);
  if (!groups) return null;
  const admitted = worldAdmission(groups, port);
  if (!admitted.open) {
    const narrower = admitted.narrower.length
      ? ` They admit TCP ${port} only from ${admitted.narrower.join(', ')}: a range narrower than 0.0.0.0/0 ` +
        "cannot be known to contain Lambda's egress addresses (a Lambda outside a VPC connects from AWS's " +
        'public ranges, which change).'
      : '';
    preflight.fail(
      `${why}, so SSH would be checked from the internet, but none of security group(s) ` +
        `${input.securityGroupIds.join(', ')} admits TCP ${port} from 0.0.0.0/0.${narrower} Do not open the ` +
        `port to the world for this: ${fixes}`,
    );
    return null;
  }
  preflight.pass(
    `SSH will be checked from the internet at the instance's public address: subnet ${subnetId} routes to ` +
      `${route.internetGatewayId} and ${admitted.open} admits TCP ${port} from 0.0.0.0/0`,
  );
  return { ...base, path: 'internet', probe: null };
}

async function readRoute(
  ec2: EC2Client,
  subnetId: string,
  vpcId: string,
  preflight: PreflightSink,
): Promise<SubnetRoute | null> {
  try {
    return await subnetRoute(ec2, subnetId, vpcId);
  } catch (error) {
    if (!isAccessDenied(error)) throw error;
    const code = awsErrorCode(error);
    preflight.fail(
      `this function may not read the route tables of ${vpcId} (${code}); grant it ec2:DescribeRouteTables`,
    );
    return null;
  }
}

async function readGroups(
  ec2: EC2Client,
  ids: readonly string[],
  preflight: PreflightSink,
): Promise<SecurityGroup[] | null> {
  if (ids.length === 0) return [];
  try {
    const result = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...ids] }));
    return result?.SecurityGroups ?? [];
  } catch (error) {
    const code = awsErrorCode(error);
    // A missing group was already reported by the plan's own group check.
    if (code === 'InvalidGroup.NotFound' || code === 'InvalidGroupId.Malformed') return null;
    if (!isAccessDenied(error)) throw error;
    preflight.fail(
      `this function may not read the rules of security groups ${ids.join(', ')} (${code}); grant it ec2:DescribeSecurityGroups`,
    );
    return null;
  }
}

function coversPort(permission: IpPermission, port: number): boolean {
  const protocol = permission.IpProtocol;
  if (protocol === '-1') return true;
  if (protocol !== 'tcp' && protocol !== '6') return false;
  const from = permission.FromPort ?? 0;
  const to = permission.ToPort ?? 65535;
  return from <= port && port <= to;
}

/** The first group admitting the whole IPv4 internet on the port, and the narrower ranges seen. */
export function worldAdmission(
  groups: readonly SecurityGroup[],
  port: number,
): { open: string | null; narrower: string[] } {
  const narrower: string[] = [];
  for (const group of groups) {
    for (const permission of group.IpPermissions ?? []) {
      if (!coversPort(permission, port)) continue;
      for (const range of permission.IpRanges ?? []) {
        if (range.CidrIp === '0.0.0.0/0') return { open: group.GroupId ?? 'a group', narrower };
        if (range.CidrIp) narrower.push(`${range.CidrIp} (${group.GroupId})`);
      }
      for (const list of permission.PrefixListIds ?? []) {
        if (list.PrefixListId) narrower.push(`prefix list ${list.PrefixListId} (${group.GroupId})`);
      }
    }
  }
  return { open: null, narrower };
}
