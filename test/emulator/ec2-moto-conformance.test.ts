/**
 * Conformance against moto (preinstalled, `python3 -m moto.server`): the same EC2 and IAM call
 * sequence runs against moto and against the emulator, and the emulator's raw XML must contain
 * every element path that moto's does (values, attributes and list positions aside). Where moto
 * writes elements the emulator deliberately leaves out, ALLOWED_GAPS says why; an entry that no
 * longer matches anything fails the suite, so the list cannot go stale.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Ec2Adapter } from '@local/services/ec2';
import { IamAdapter } from '@local/services/iam';
import { type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { PollTimeoutError, pollUntil } from '@test/helpers/poll-until';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import { parseableEd25519Key } from '@test/helpers/ssh-keys';
import { xmlPaths, xmlText } from '@test/helpers/xml-paths';

/** Elements moto writes that the emulator leaves out on purpose. */
const ALLOWED_GAPS: readonly { readonly path: RegExp; readonly reason: string }[] = [
  {
    path: /\/instancesSet\/item\/clientToken$/,
    reason: 'moto invents a client token; AWS Backup restores carry none that the workflow reads',
  },
  {
    path: /\/instancesSet\/item\/sriovNetSupport$/,
    reason:
      'moto reports Intel 82599 VF networking; Nitro instance types (t3) use ENA, reported as enaSupport',
  },
  {
    path: /\/(instancesSet|imagesSet)\/item\/platform$/,
    reason:
      'moto writes platform for every AMI; AWS writes it only for Windows, and the emulated ones run Linux',
  },
  {
    path: /\/imagesSet\/item\/imageOwnerAlias$/,
    reason:
      "AWS writes an owner alias only for Amazon and Marketplace AMIs; AWS Backup's AMIs are the account's own",
  },
  {
    path: /\/imagesSet\/item\/bootMode$/,
    reason:
      'AWS writes bootMode only for AMIs registered with one; the emulated instances boot legacy BIOS by default',
  },
  {
    path: /\/instancesSet\/item\/stateReason(\/code|\/message)?$/,
    reason: 'moto writes an empty stateReason for every instance; AWS omits it when there is no reason',
  },
  {
    path: /\/networkInterfaceSet\/item\/association$/,
    reason: 'moto writes an empty association for an interface without a public IP; AWS omits it',
  },
  {
    path: /^DescribeNetworkInterfacesResponse\/networkInterfaceSet\/item\/requesterId$/,
    reason:
      "moto writes a requester for every interface; AWS names one for interfaces a service creates for you (Lambda, endpoints), not an instance's own (unconfirmed), and the workflow does not read it",
  },
  {
    path: /^ErrorResponse\/Error\/message$/,
    reason: 'moto repeats the IAM error message in a lower-case element; AWS does not',
  },
  {
    path: /\/(InstanceProfile|InstanceProfiles\/member)\/(Tags|Roles\/member\/(Tags|MaxSessionDuration|RoleLastUsed))$/,
    reason: 'moto writes GetRole-only fields and empty tag lists into instance profiles; AWS leaves them out',
  },
];

const SIGV4 = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;

interface Target {
  readonly name: 'moto' | 'emulator';
  readonly endpoint: string;
  instanceId: string;
  subnetId: string;
  vpcId: string;
  groupId: string;
  eniId: string;
  keyName: string;
  profileName: string;
  roleName: string;
  imageId: string;
  allocationId: string;
  associationId: string;
  profileAssociationId: string;
}

interface Step {
  readonly name: string;
  readonly service: 'ec2' | 'iam';
  params(t: Target): Record<string, string>;
  /** Remembers ids from the response for the steps after it. */
  after?(t: Target, body: string): void;
}

const STEPS: readonly Step[] = [
  { name: 'DescribeVpcs', service: 'ec2', params: () => ({ Action: 'DescribeVpcs' }) },
  { name: 'DescribeSecurityGroups', service: 'ec2', params: () => ({ Action: 'DescribeSecurityGroups' }) },
  {
    name: 'DescribeImages',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeImages', 'ImageId.1': t.imageId }),
  },
  {
    name: 'DescribeSubnets',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeSubnets', 'SubnetId.1': t.subnetId }),
  },
  {
    name: 'DescribeInstances',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeInstances', 'InstanceId.1': t.instanceId }),
    after: (t, body) => {
      t.eniId = mustText(body, 'networkInterfaceId');
    },
  },
  {
    name: 'DescribeInstanceStatus',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeInstanceStatus', 'InstanceId.1': t.instanceId }),
  },
  {
    name: 'DescribeKeyPairs',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeKeyPairs', 'KeyName.1': t.keyName, IncludePublicKey: 'true' }),
  },
  {
    name: 'AllocateAddress',
    service: 'ec2',
    params: () => ({ Action: 'AllocateAddress', Domain: 'vpc' }),
    after: (t, body) => {
      t.allocationId = mustText(body, 'allocationId');
    },
  },
  {
    name: 'AssociateAddress',
    service: 'ec2',
    params: (t) => ({ Action: 'AssociateAddress', AllocationId: t.allocationId, InstanceId: t.instanceId }),
    after: (t, body) => {
      t.associationId = mustText(body, 'associationId');
    },
  },
  {
    name: 'DescribeInstances (with an Elastic IP)',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeInstances', 'InstanceId.1': t.instanceId }),
  },
  {
    name: 'DescribeAddresses',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeAddresses', 'AllocationId.1': t.allocationId }),
  },
  {
    name: 'DisassociateAddress',
    service: 'ec2',
    params: (t) => ({ Action: 'DisassociateAddress', AssociationId: t.associationId }),
  },
  {
    name: 'ReleaseAddress',
    service: 'ec2',
    params: (t) => ({ Action: 'ReleaseAddress', AllocationId: t.allocationId }),
  },
  {
    name: 'AssociateIamInstanceProfile',
    service: 'ec2',
    params: (t) => ({
      Action: 'AssociateIamInstanceProfile',
      InstanceId: t.instanceId,
      'IamInstanceProfile.Name': t.profileName,
    }),
    after: (t, body) => {
      t.profileAssociationId = mustText(body, 'associationId');
    },
  },
  {
    name: 'DescribeIamInstanceProfileAssociations',
    service: 'ec2',
    params: (t) => ({
      Action: 'DescribeIamInstanceProfileAssociations',
      'Filter.1.Name': 'instance-id',
      'Filter.1.Value.1': t.instanceId,
    }),
  },
  {
    name: 'DescribeInstances (with a profile)',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeInstances', 'InstanceId.1': t.instanceId }),
  },
  {
    name: 'ReplaceIamInstanceProfileAssociation',
    service: 'ec2',
    params: (t) => ({
      Action: 'ReplaceIamInstanceProfileAssociation',
      AssociationId: t.profileAssociationId,
      'IamInstanceProfile.Name': t.profileName,
    }),
    after: (t, body) => {
      t.profileAssociationId = mustText(body, 'associationId');
    },
  },
  {
    name: 'DisassociateIamInstanceProfile',
    service: 'ec2',
    params: (t) => ({ Action: 'DisassociateIamInstanceProfile', AssociationId: t.profileAssociationId }),
  },
  {
    name: 'ModifyInstanceAttribute',
    service: 'ec2',
    params: (t) => ({
      Action: 'ModifyInstanceAttribute',
      InstanceId: t.instanceId,
      'DisableApiTermination.Value': 'false',
    }),
  },
  {
    name: 'DescribeInstanceAttribute',
    service: 'ec2',
    params: (t) => ({
      Action: 'DescribeInstanceAttribute',
      InstanceId: t.instanceId,
      Attribute: 'disableApiTermination',
    }),
  },
  {
    name: 'DescribeInstanceAttribute (groupSet)',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeInstanceAttribute', InstanceId: t.instanceId, Attribute: 'groupSet' }),
  },
  {
    name: 'CreateTags',
    service: 'ec2',
    params: (t) => ({
      Action: 'CreateTags',
      'ResourceId.1': t.instanceId,
      'Tag.1.Key': 'Restored',
      'Tag.1.Value': 'yes',
    }),
  },
  {
    name: 'DescribeInstances (unknown id)',
    service: 'ec2',
    params: () => ({ Action: 'DescribeInstances', 'InstanceId.1': 'i-0123456789abcdef0' }),
  },
  {
    name: 'DescribeInstances (DryRun)',
    service: 'ec2',
    params: () => ({ Action: 'DescribeInstances', DryRun: 'true' }),
  },
  {
    name: 'DescribeSecurityGroups (with rules)',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeSecurityGroups', 'GroupId.1': t.groupId }),
  },
  {
    name: 'DescribeRouteTables',
    service: 'ec2',
    params: (t) => ({
      Action: 'DescribeRouteTables',
      'Filter.1.Name': 'vpc-id',
      'Filter.1.Value.1': t.vpcId,
    }),
  },
  {
    name: 'DescribeNetworkInterfaces',
    service: 'ec2',
    params: (t) => ({ Action: 'DescribeNetworkInterfaces', 'NetworkInterfaceId.1': t.eniId }),
  },
  {
    name: 'ModifyNetworkInterfaceAttribute',
    service: 'ec2',
    params: (t) => ({
      Action: 'ModifyNetworkInterfaceAttribute',
      NetworkInterfaceId: t.eniId,
      'SecurityGroupId.1': t.groupId,
    }),
  },
  {
    name: 'ModifyInstanceAttribute (groups)',
    service: 'ec2',
    params: (t) => ({ Action: 'ModifyInstanceAttribute', InstanceId: t.instanceId, 'GroupId.1': t.groupId }),
  },
  {
    name: 'GetConsoleOutput',
    service: 'ec2',
    params: (t) => ({ Action: 'GetConsoleOutput', InstanceId: t.instanceId }),
  },
  {
    name: 'TerminateInstances',
    service: 'ec2',
    params: (t) => ({ Action: 'TerminateInstances', 'InstanceId.1': t.instanceId }),
  },
  {
    name: 'iam:GetInstanceProfile',
    service: 'iam',
    params: (t) => ({ Action: 'GetInstanceProfile', InstanceProfileName: t.profileName }),
  },
  { name: 'iam:GetRole', service: 'iam', params: (t) => ({ Action: 'GetRole', RoleName: t.roleName }) },
  { name: 'iam:ListInstanceProfiles', service: 'iam', params: () => ({ Action: 'ListInstanceProfiles' }) },
  {
    name: 'iam:GetRole (unknown role)',
    service: 'iam',
    params: () => ({ Action: 'GetRole', RoleName: 'no-such-role' }),
  },
];

/** The emulator's instance for the comparison: no profile and no public IP yet, like moto's fresh one. */
const BARE_INSTANCE = 'i-0de0000000000c0f1';

interface Exchange {
  readonly status: number;
  readonly body: string;
}

const results = new Map<string, { moto: Exchange; emulator: Exchange }>();
let moto: ChildProcess | undefined;
let motoLog = '';
let door: FrontDoor | undefined;

async function call(
  target: Target,
  service: 'ec2' | 'iam',
  params: Record<string, string>,
): Promise<Exchange> {
  const response = await fetch(target.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: SIGV4(service),
    },
    body: new URLSearchParams({ Version: service === 'iam' ? '2010-05-08' : '2016-11-15', ...params }),
  });
  return { status: response.status, body: await response.text() };
}

function mustText(xml: string, element: string): string {
  const value = xmlText(xml, element);
  if (value === undefined) throw new Error(`no <${element}> in:\n${xml}`);
  return value;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startMoto(): Promise<string> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  moto = child;
  child.stdout?.on('data', (chunk: Buffer) => {
    motoLog += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    motoLog += chunk.toString();
  });
  const answers = async (): Promise<boolean> => {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}:\n${motoLog}`);
    try {
      const probe = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: SIGV4('ec2') },
        body: 'Action=DescribeVpcs&Version=2016-11-15',
      });
      return probe.ok;
    } catch {
      return false; // Not listening yet.
    }
  };
  try {
    await pollUntil(answers, { describe: `moto to answer on ${endpoint}`, intervalMs: 100 });
  } catch (error) {
    if (error instanceof PollTimeoutError) throw new Error(`${error.message}\n${motoLog}`);
    throw error;
  }
  return endpoint;
}

/** Builds in moto what the emulator's scenario declares: VPC, subnet, key pair, group, instance, profile. */
async function prepareMoto(endpoint: string): Promise<Target> {
  const t: Target = {
    name: 'moto',
    endpoint,
    instanceId: '',
    subnetId: '',
    vpcId: '',
    groupId: '',
    eniId: '',
    keyName: 'app-key',
    profileName: 'app-profile',
    roleName: 'app-instance-role',
    imageId: '',
    allocationId: '',
    associationId: '',
    profileAssociationId: '',
  };
  const ec2 = async (params: Record<string, string>) => {
    const r = await call(t, 'ec2', params);
    if (r.status !== 200) throw new Error(`moto ${params.Action} failed (${r.status}):\n${r.body}`);
    return r.body;
  };
  const iam = async (params: Record<string, string>) => {
    const r = await call(t, 'iam', params);
    if (r.status !== 200) throw new Error(`moto ${params.Action} failed (${r.status}):\n${r.body}`);
    return r.body;
  };
  const vpcId = mustText(await ec2({ Action: 'CreateVpc', CidrBlock: '10.0.0.0/16' }), 'vpcId');
  t.vpcId = vpcId;
  t.subnetId = mustText(
    await ec2({
      Action: 'CreateSubnet',
      VpcId: vpcId,
      CidrBlock: '10.0.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
    'subnetId',
  );
  await ec2({ Action: 'CreateKeyPair', KeyName: t.keyName, KeyType: 'ed25519' });
  const groupId = mustText(
    await ec2({ Action: 'CreateSecurityGroup', GroupName: 'app-ssh', GroupDescription: 'ssh', VpcId: vpcId }),
    'groupId',
  );
  t.groupId = groupId;
  // The demo world's network: SSH open to anywhere, the main table routing to an internet gateway.
  await ec2({
    Action: 'AuthorizeSecurityGroupIngress',
    GroupId: groupId,
    'IpPermissions.1.IpProtocol': 'tcp',
    'IpPermissions.1.FromPort': String(DEMO.sshPort),
    'IpPermissions.1.ToPort': String(DEMO.sshPort),
    'IpPermissions.1.IpRanges.1.CidrIp': '0.0.0.0/0',
  });
  const igw = mustText(await ec2({ Action: 'CreateInternetGateway' }), 'internetGatewayId');
  await ec2({ Action: 'AttachInternetGateway', InternetGatewayId: igw, VpcId: vpcId });
  const mainTable = mustText(
    await ec2({
      Action: 'DescribeRouteTables',
      'Filter.1.Name': 'vpc-id',
      'Filter.1.Value.1': vpcId,
    }),
    'routeTableId',
  );
  await ec2({
    Action: 'CreateRoute',
    RouteTableId: mainTable,
    DestinationCidrBlock: '0.0.0.0/0',
    GatewayId: igw,
  });
  const linux = await ec2({
    Action: 'DescribeImages',
    'Filter.1.Name': 'name',
    'Filter.1.Value.1': 'al2022-ami-2022*-x86_64',
  });
  t.imageId = xmlText(linux, 'imageId') ?? mustText(await ec2({ Action: 'DescribeImages' }), 'imageId');
  const run = await ec2({
    Action: 'RunInstances',
    ImageId: t.imageId,
    MinCount: '1',
    MaxCount: '1',
    InstanceType: 't3.micro',
    KeyName: t.keyName,
    SubnetId: t.subnetId,
    'SecurityGroupId.1': groupId,
  });
  t.instanceId = mustText(run, 'instanceId');
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
  await iam({ Action: 'CreateRole', RoleName: t.roleName, AssumeRolePolicyDocument: JSON.stringify(trust) });
  await iam({ Action: 'CreateInstanceProfile', InstanceProfileName: t.profileName });
  await iam({ Action: 'AddRoleToInstanceProfile', InstanceProfileName: t.profileName, RoleName: t.roleName });
  return t;
}

/** Element paths in moto's response that are not in the emulator's, before the allow-list. */
function gaps(stepName: string): string[] {
  const result = results.get(stepName);
  if (!result) throw new Error(`step ${stepName} did not run`);
  const ours = xmlPaths(result.emulator.body);
  return [...xmlPaths(result.moto.body)].filter((p) => !ours.has(p)).sort();
}

beforeAll(async () => {
  const [motoEndpoint, frontDoor] = await Promise.all([
    startMoto(),
    startFrontDoor(
      demoScenario({
        keyPairs: [{ name: DEMO.keyName, id: DEMO.keyPairId, privateKey: parseableEd25519Key() }],
        instances: [
          ...(demoScenario().instances ?? []),
          {
            id: BARE_INSTANCE,
            subnetId: DEMO.subnet,
            securityGroupIds: [DEMO.securityGroup],
            keyName: DEMO.keyName,
          },
        ],
      }),
      (world) => ({ ec2: new Ec2Adapter(world), iam: new IamAdapter(world) }),
    ),
  ]);
  door = frontDoor;
  const targets: Target[] = [
    await prepareMoto(motoEndpoint),
    {
      name: 'emulator',
      endpoint: frontDoor.endpoint,
      instanceId: BARE_INSTANCE,
      subnetId: DEMO.subnet,
      vpcId: DEMO.vpc,
      groupId: DEMO.securityGroup,
      eniId: '',
      keyName: DEMO.keyName,
      profileName: DEMO.profileName,
      roleName: DEMO.instanceRole,
      imageId: [...frontDoor.world.recoveryPoints.values()][0]?.imageId ?? '',
      allocationId: '',
      associationId: '',
      profileAssociationId: '',
    },
  ];
  for (const step of STEPS) {
    const exchanges: Exchange[] = [];
    for (const target of targets) {
      const exchange = await call(target, step.service, step.params(target));
      step.after?.(target, exchange.body);
      exchanges.push(exchange);
    }
    const [fromMoto, fromEmulator] = exchanges;
    if (fromMoto && fromEmulator) results.set(step.name, { moto: fromMoto, emulator: fromEmulator });
  }
});

afterAll(async () => {
  await door?.stop();
  const child = moto;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('EC2 and IAM wire conformance with moto', () => {
  it.each(STEPS.map((s) => s.name))('%s: the emulator writes every element moto writes', (name) => {
    const result = results.get(name);

    expect(result?.emulator.status).toBe(result?.moto.status);
    const missing = gaps(name).filter((p) => !ALLOWED_GAPS.some((gap) => gap.path.test(p)));
    expect({ step: name, missingFromEmulator: missing }).toEqual({ step: name, missingFromEmulator: [] });
  });

  it('needs every allow-listed gap (none is stale)', () => {
    const allGaps = [...results.keys()].flatMap(gaps);

    const unused = ALLOWED_GAPS.filter((gap) => !allGaps.some((p) => gap.path.test(p))).map((gap) =>
      String(gap.path),
    );

    expect(unused).toEqual([]);
  });

  it("writes only elements of botocore's output shapes, with values of the right form", async () => {
    const responses = STEPS.flatMap((step) => {
      const result = results.get(step.name);
      const root = /<(\w+)Response[\s>]/.exec(result?.emulator.body ?? '')?.[1];
      return result?.emulator.status === 200 && root
        ? [{ service: step.service, operation: root, xml: result.emulator.body }]
        : [];
    });

    const problems = await checkAgainstBotocore(responses);

    expect(responses.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});

/** Runs helpers/botocore-shapes.py, which walks each response against botocore's model of the operation. */
function checkAgainstBotocore(
  responses: { service: string; operation: string; xml: string }[],
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'python3',
      [join(__dirname, '..', 'helpers', 'botocore-shapes.py')],
      // Loading botocore's EC2 model takes seconds, many more on a loaded machine.
      { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`botocore-shapes.py failed: ${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as string[]);
      },
    );
    child.stdin?.end(JSON.stringify(responses));
  });
}
