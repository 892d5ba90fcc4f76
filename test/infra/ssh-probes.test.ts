import { Template } from 'aws-cdk-lib/assertions';
import { grantsOfRole, synthApp } from './synth';

const VPC = 'vpc-0aaaaaaaaaaaaaaaa';
const SUBNETS = ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'];
const FUNCTION_NAME = `ec2-restore-ssh-probe-${VPC}`;

const { orchestrator: stack } = synthApp({
  sshProbeNetworks: JSON.stringify([{ vpcId: VPC, subnetIds: SUBNETS }]),
});
const template = Template.fromStack(stack);
const probeGroup = stack.orchestrator.sshProbes?.probeGroups[0];
const ingressGroup = stack.orchestrator.sshProbes?.ingressGroups[0];
const logicalId = (construct: unknown) =>
  stack.getLogicalId((construct as { node: { defaultChild: never } }).node.defaultChild);

function roleOf(functionName: RegExp): string {
  const [, fn] =
    Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => functionName.test(id)) ??
    [];
  const role = (fn?.Properties.Role as { 'Fn::GetAtt': [string, string] } | undefined)?.['Fn::GetAtt'][0];
  if (!role) throw new Error(`no function matching ${functionName}`);
  return role;
}

describe('in-VPC SSH probes (context sshProbeNetworks)', () => {
  it('deploys one probe function attached to the declared subnets with its own group only', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: FUNCTION_NAME,
      VpcConfig: {
        SubnetIds: SUBNETS,
        SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(probeGroup), 'GroupId'] }],
      },
    });
    expect(
      Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.VpcConfig),
    ).toHaveLength(1);
  });

  it('gives the probe group no ingress and egress only TCP 22 to the probe-ingress group', () => {
    const props = template.toJSON().Resources[logicalId(probeGroup)].Properties;
    expect(props.VpcId).toBe(VPC);
    expect(props.SecurityGroupIngress).toBeUndefined();
    // allowAllOutbound is off: no inline egress rule (not even 0.0.0.0/0), only the one below.
    expect(props.SecurityGroupEgress).toBeUndefined();
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'));
    expect(egress.map((r) => r.Properties)).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [logicalId(probeGroup), 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        DestinationSecurityGroupId: { 'Fn::GetAtt': [logicalId(ingressGroup), 'GroupId'] },
        Description: expect.any(String),
      },
    ]);
  });

  it('lets the probe-ingress group admit only TCP 22 from the probe group', () => {
    const props = template.toJSON().Resources[logicalId(ingressGroup)].Properties;
    expect(props.VpcId).toBe(VPC);
    expect(props.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress.map((r) => r.Properties)).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [logicalId(ingressGroup), 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(probeGroup), 'GroupId'] },
        Description: expect.any(String),
      },
    ]);
  });

  it('tells check-ssh and plan-restore about the probe (SSH_PROBES)', () => {
    const ref = {
      'Fn::Join': [
        '',
        [
          `[{"vpcId":"${VPC}","functionName":"${FUNCTION_NAME}","ingressGroupId":"`,
          { 'Fn::GetAtt': [logicalId(ingressGroup), 'GroupId'] },
          '","ports":[22]}]',
        ],
      ],
    };
    for (const step of [/CheckSsh/, /PlanRestore/]) {
      const [, fn] =
        Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => step.test(id)) ?? [];
      expect(fn?.Properties.Environment.Variables.SSH_PROBES).toEqual(ref);
    }
  });

  it('lets check-ssh invoke only the probe and change groups only of instances this workflow tagged', () => {
    const grants = grantsOfRole(template, roleOf(/CheckSsh/));

    expect(grants.filter((g) => g.Action === 'lambda:InvokeFunction')).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/SshProbes.*Function/), 'Arn'] },
      },
    ]);
    const modify = grants.filter((g) => g.Action === 'ec2:ModifyInstanceAttribute');
    expect(modify).toEqual([
      {
        Effect: 'Allow',
        Action: 'ec2:ModifyInstanceAttribute',
        Resource: 'arn:aws:ec2:us-east-1:123456789012:instance/*',
        Condition: { StringLike: { 'aws:ResourceTag/ec2-restore:execution': '*' } },
      },
      {
        Effect: 'Allow',
        Action: 'ec2:ModifyInstanceAttribute',
        Resource: 'arn:aws:ec2:us-east-1:123456789012:security-group/*',
      },
    ]);
    expect(grants.find((g) => g.Action === 'ec2:GetConsoleOutput')).toEqual({
      Effect: 'Allow',
      Action: 'ec2:GetConsoleOutput',
      Resource: 'arn:aws:ec2:us-east-1:123456789012:instance/*',
      Condition: { StringLike: { 'aws:ResourceTag/ec2-restore:execution': '*' } },
    });
  });

  it('deploys no probe, and grants check-ssh no invoke or group change, without probe networks', () => {
    const { orchestrator: plain } = synthApp();
    const plainTemplate = Template.fromStack(plain);
    const [checkSshRole] = Object.entries(plainTemplate.findResources('AWS::Lambda::Function'))
      .filter(([id]) => /CheckSsh/.test(id))
      .map(([, fn]) => (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);

    const actions = grantsOfRole(plainTemplate, checkSshRole ?? '').map((g) => g.Action);

    expect(plain.orchestrator.sshProbes).toBeUndefined();
    expect(actions).not.toContain('lambda:InvokeFunction');
    expect(actions).not.toContain('ec2:ModifyInstanceAttribute');
  });

  it('refuses a probe network without subnets, naming the context key', () => {
    expect(() => synthApp({ sshProbeNetworks: JSON.stringify([{ vpcId: VPC, subnetIds: [] }]) })).toThrow(
      /context key sshProbeNetworks, at 0\.subnetIds: must name at least one subnet/,
    );
  });
});
