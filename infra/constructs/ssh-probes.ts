import { SSH_CHECK_TIMEOUT_SECONDS } from '@shared/ssh-budget';
import type { SshProbeRefInput } from '@shared/ssh-probes';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { stepCode } from '../bundling/step-code';

/** One VPC to deploy an SSH probe into (infra context `sshProbeNetworks`). */
export interface SshProbeNetwork {
  readonly vpcId: string;
  /** Subnets of the VPC the probe's interfaces may use (private ones do: it needs no internet). */
  readonly subnetIds: readonly string[];
  /** TCP ports the probe may reach instances on. @default [22] */
  readonly ports?: readonly number[];
}

export interface SshProbesProps {
  readonly networks: readonly SshProbeNetwork[];
}

/** The function name of a VPC's probe: fixed, so the step policy and the emulator can name it. */
export function sshProbeFunctionName(vpcId: string): string {
  return `ec2-restore-ssh-probe-${vpcId}`;
}

/**
 * One VPC-attached SSH probe per VPC (lambdas/ssh-probe), with two groups of its own:
 * - the probe's group: no ingress, egress only TCP on the SSH ports to the probe-ingress group;
 * - the probe-ingress group: ingress only TCP on the SSH ports from the probe's group. check-ssh
 *   adds it to a restored instance for the check and takes it away afterwards, so no customer
 *   group is ever edited. A source-group rule matches private addresses only, which is what the
 *   probe connects to.
 * The probe calls no AWS API (check-ssh passes it the key), so the VPC needs no NAT gateway and
 * no interface endpoints.
 */
export class SshProbes extends Construct {
  /** What SSH_PROBES carries (shared/ssh-probes.ts), one per network. */
  readonly refs: readonly SshProbeRefInput[];
  readonly functions: readonly lambda.IFunction[];
  readonly probeGroups: readonly ec2.SecurityGroup[];
  readonly ingressGroups: readonly ec2.SecurityGroup[];

  constructor(scope: Construct, id: string, props: SshProbesProps) {
    super(scope, id);
    const refs: SshProbeRefInput[] = [];
    const functions: lambda.IFunction[] = [];
    const probeGroups: ec2.SecurityGroup[] = [];
    const ingressGroups: ec2.SecurityGroup[] = [];
    const seen = new Set<string>();
    for (const network of props.networks) {
      if (seen.has(network.vpcId)) {
        throw new Error(`sshProbeNetworks names ${network.vpcId} twice: one probe per VPC.`);
      }
      seen.add(network.vpcId);
      const scopeOf = new Construct(this, network.vpcId);
      const ports = [...(network.ports ?? [22])];
      // Only the VPC id is used (groups and function); subnets are named explicitly below.
      const vpc = ec2.Vpc.fromVpcAttributes(scopeOf, 'Vpc', {
        vpcId: network.vpcId,
        availabilityZones: network.subnetIds.map((_, i) => `zone-${i}`),
      });
      const probeGroup = new ec2.SecurityGroup(scopeOf, 'ProbeGroup', {
        vpc,
        allowAllOutbound: false,
        description: `ec2-restore SSH probe of ${network.vpcId}: egress TCP ${ports.join(',')} to the probe-ingress group only`,
      });
      const ingressGroup = new ec2.SecurityGroup(scopeOf, 'ProbeIngressGroup', {
        vpc,
        allowAllOutbound: false,
        description: `ec2-restore probe ingress of ${network.vpcId}: added to a restored instance during its SSH check only`,
      });
      for (const port of ports) {
        ingressGroup.addIngressRule(
          probeGroup,
          ec2.Port.tcp(port),
          `SSH from the ec2-restore probe (${port})`,
        );
        probeGroup.addEgressRule(ingressGroup, ec2.Port.tcp(port), `SSH to restored instances (${port})`);
      }
      const logGroup = new logs.LogGroup(scopeOf, 'Logs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const fn = new lambda.Function(scopeOf, 'Function', {
        functionName: sshProbeFunctionName(network.vpcId),
        code: stepCode('ssh-probe'),
        handler: 'index.handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        // The handshake and the request's commands, as check-ssh's own timeout allows them.
        timeout: Duration.seconds(SSH_CHECK_TIMEOUT_SECONDS),
        loggingFormat: lambda.LoggingFormat.JSON,
        logGroup,
        vpc,
        vpcSubnets: {
          subnets: network.subnetIds.map((subnetId, i) =>
            ec2.Subnet.fromSubnetAttributes(scopeOf, `Subnet${i}`, {
              subnetId,
              availabilityZone: `zone-${i}`,
            }),
          ),
        },
        securityGroups: [probeGroup],
      });
      NagSuppressions.addResourceSuppressions(
        fn,
        [
          {
            id: 'AwsSolutions-L1',
            reason:
              'Node 22 is pinned on purpose, as for the step functions (infra/constructs/step-function.ts).',
          },
          {
            id: 'AwsSolutions-IAM4',
            reason:
              'AWSLambdaBasicExecutionRole writes logs; AWSLambdaVPCAccessExecutionRole lets Lambda create and delete the probe’s network interfaces (docs/aws-facts.md I.1). The probe itself calls no AWS API.',
            appliesTo: [
              'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
              'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
            ],
          },
        ],
        true,
      );
      refs.push({
        vpcId: network.vpcId,
        functionName: sshProbeFunctionName(network.vpcId),
        ingressGroupId: ingressGroup.securityGroupId,
        ports,
      });
      functions.push(fn);
      probeGroups.push(probeGroup);
      ingressGroups.push(ingressGroup);
    }
    this.refs = refs;
    this.functions = functions;
    this.probeGroups = probeGroups;
    this.ingressGroups = ingressGroups;
  }
}
