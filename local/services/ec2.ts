/**
 * EC2's Query protocol (API version 2016-11-15) over the world: flattened, 1-indexed form
 * parameters in (`InstanceId.1`, `Filter.1.Value.1`), XML with EC2's own element names out
 * (`instanceState`, `ipAddress`, `groupSet`, `<item>` lists), errors in EC2's `<Response><Errors>`
 * envelope. EC2 rules and errors live in the world; this file only translates.
 * The wire format is described in the shared reference, aws-facts.md sections B.0 and B.1.
 *
 * Over 400 lines: one XML shape per operation (twenty of them), all pure translation; the request
 * parameters are read in ./ec2-params.ts and the rules live in ../world/ec2-*.ts.
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../aws-error';
import {
  type Address,
  INSTANCE_STATE_CODES,
  type Instance,
  type InstanceStateName,
  type KeyPair,
  matchesFilters,
  type ProfileAssociation,
  type RecoveryPoint,
  type RouteTable,
  type SecurityGroup,
  type SecurityGroupRule,
  type Subnet,
  type Tags,
  tagFilterValues,
  type Vpc,
  type World,
} from '../world';
import { Ec2Params, missingParameter, paginate } from './ec2-params';
import type { ParsedOperation, ServiceAdapter, WireRequest, WireResponse } from './service';
import { document, list, node, queryParameters, text, type Xml, type XmlChild } from './xml';

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const XML_HEADERS = { 'content-type': 'text/xml;charset=UTF-8' } as const;

type Handler = (params: Ec2Params) => XmlChild[] | Promise<XmlChild[]>;

export class Ec2Adapter implements ServiceAdapter {
  readonly service = 'ec2' as const;
  private readonly operations: Readonly<Record<string, Handler>>;

  constructor(private readonly world: World) {
    this.operations = {
      DescribeInstances: (p) => this.describeInstances(p),
      DescribeInstanceStatus: (p) => this.describeInstanceStatus(p),
      DescribeSubnets: (p) => this.describeSubnets(p),
      DescribeSecurityGroups: (p) => this.describeSecurityGroups(p),
      DescribeVpcs: (p) => this.describeVpcs(p),
      DescribeKeyPairs: (p) => this.describeKeyPairs(p),
      DescribeImages: (p) => this.describeImages(p),
      DescribeIamInstanceProfileAssociations: (p) => this.describeIamInstanceProfileAssociations(p),
      AssociateIamInstanceProfile: (p) => this.associateIamInstanceProfile(p),
      ReplaceIamInstanceProfileAssociation: (p) => this.replaceIamInstanceProfileAssociation(p),
      DisassociateIamInstanceProfile: (p) => this.disassociateIamInstanceProfile(p),
      AllocateAddress: (p) => this.allocateAddress(p),
      AssociateAddress: (p) => this.associateAddress(p),
      DisassociateAddress: (p) => this.disassociateAddress(p),
      ReleaseAddress: (p) => this.releaseAddress(p),
      DescribeAddresses: (p) => this.describeAddresses(p),
      CreateTags: (p) => this.createTags(p),
      TerminateInstances: (p) => this.terminateInstances(p),
      ModifyInstanceAttribute: (p) => this.modifyInstanceAttribute(p),
      DescribeInstanceAttribute: (p) => this.describeInstanceAttribute(p),
      DescribeRouteTables: (p) => this.describeRouteTables(p),
      DescribeNetworkInterfaces: (p) => this.describeNetworkInterfaces(p),
      ModifyNetworkInterfaceAttribute: (p) => this.modifyNetworkInterfaceAttribute(p),
      GetConsoleOutput: (p) => this.getConsoleOutput(p),
    };
  }

  parse(request: WireRequest): ParsedOperation {
    const params = new Ec2Params(queryParameters(request));
    const action = params.string('Action');
    if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action.');
    const handler = Object.hasOwn(this.operations, action) ? this.operations[action] : undefined;
    if (!handler) {
      throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    return {
      operation: action,
      invoke: async () => {
        if (params.bool('DryRun') === true) {
          throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
        }
        const body = document(
          `${action}Response`,
          XMLNS,
          [text('requestId', request.requestId), ...(await handler(params))],
          true,
        );
        return { status: 200, headers: { ...XML_HEADERS, 'x-amzn-requestid': request.requestId }, body };
      },
    };
  }

  errorResponse(error: AwsError, request: WireRequest): WireResponse {
    const body = document(
      'Response',
      null,
      [
        node('Errors', node('Error', text('Code', error.code), text('Message', error.message))),
        text('RequestID', request.requestId),
      ],
      true,
    );
    return { status: error.status, headers: { ...XML_HEADERS, 'x-amzn-requestid': request.requestId }, body };
  }

  // ---------------------------------------------------------------- instances

  private describeInstances(p: Ec2Params): XmlChild[] {
    const ids = p.list('InstanceId');
    if (ids.length > 0 && p.has('MaxResults')) {
      throw new AwsError(
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    }
    const instances = this.world.ec2.instances.describeInstances(ids, p.filters());
    const { page, nextToken } = paginate(instances, p, 'DescribeInstances');
    return [
      list('reservationSet', page, (i) => [
        text('reservationId', `r-${i.id.slice(2)}`),
        text('ownerId', this.world.accountId),
        node('groupSet'),
        list('instancesSet', [i], (instance) => this.instanceXml(instance)),
      ]),
      text('nextToken', nextToken),
    ];
  }

  private instanceXml(i: Instance): XmlChild[] {
    const gone = i.state === 'terminated';
    const publicIp = this.world.ec2.addresses.publicIpsOf(i)[0];
    const profile = this.world.ec2.associations.instanceProfileOf(i.id);
    const groups = gone ? [] : i.securityGroupIds;
    return [
      text('instanceId', i.id),
      text('imageId', i.imageId),
      stateXml('instanceState', i.state),
      text('privateDnsName', gone ? '' : this.privateDnsName(i.privateIp)),
      text('dnsName', publicIp ? this.publicDnsName(publicIp) : ''),
      text('reason', i.stateTransitionReason),
      text('keyName', i.keyName),
      text('amiLaunchIndex', 0),
      node('productCodes'),
      text('instanceType', i.instanceType),
      text('launchTime', i.launchTime),
      node(
        'placement',
        text('availabilityZone', i.availabilityZone),
        text('groupName', ''),
        text('tenancy', 'default'),
      ),
      node('monitoring', text('state', 'disabled')),
      !gone && text('subnetId', i.subnetId),
      !gone && text('vpcId', i.vpcId),
      !gone && text('privateIpAddress', i.privateIp),
      text('ipAddress', publicIp),
      text('sourceDestCheck', true),
      this.groupSet(groups),
      i.stateReason &&
        node('stateReason', text('code', i.stateReason.code), text('message', i.stateReason.message)),
      text('architecture', 'x86_64'),
      text('rootDeviceType', 'ebs'),
      text('rootDeviceName', '/dev/xvda'),
      list('blockDeviceMapping', gone ? [] : [i], (instance) => [
        text('deviceName', '/dev/xvda'),
        node(
          'ebs',
          text('volumeId', `vol-${instance.id.slice(2)}`),
          text('status', 'attached'),
          text('attachTime', instance.launchTime),
          text('deleteOnTermination', true),
        ),
      ]),
      text('virtualizationType', 'hvm'),
      tagSet(i.tags),
      text('hypervisor', 'xen'),
      list('networkInterfaceSet', gone ? [] : [i], (instance) =>
        this.networkInterfaceXml(instance, publicIp),
      ),
      profile && node('iamInstanceProfile', text('arn', profile.arn), text('id', profile.id)),
      text('ebsOptimized', false),
      text('enaSupport', true),
      node('cpuOptions', text('coreCount', 1), text('threadsPerCore', 2)),
      node('capacityReservationSpecification', text('capacityReservationPreference', 'open')),
      node('hibernationOptions', text('configured', false)),
      node(
        'metadataOptions',
        text('state', 'applied'),
        text('httpTokens', i.requireImdsV2 ? 'required' : 'optional'),
        text('httpPutResponseHopLimit', i.requireImdsV2 ? 2 : 1),
        text('httpEndpoint', 'enabled'),
        text('httpProtocolIpv6', 'disabled'),
        text('instanceMetadataTags', 'disabled'),
      ),
      node('enclaveOptions', text('enabled', false)),
      text('platformDetails', 'Linux/UNIX'),
      text('usageOperation', 'RunInstances'),
      text('usageOperationUpdateTime', i.launchTime),
      node(
        'privateDnsNameOptions',
        text('hostnameType', 'ip-name'),
        text('enableResourceNameDnsARecord', false),
        text('enableResourceNameDnsAAAARecord', false),
      ),
      node('maintenanceOptions', text('autoRecovery', 'default')),
      text('currentInstanceBootMode', 'legacy-bios'),
    ];
  }

  private networkInterfaceXml(i: Instance, publicIp: string | undefined): XmlChild[] {
    const association = publicIp
      ? node(
          'association',
          text('publicIp', publicIp),
          text('publicDnsName', this.publicDnsName(publicIp)),
          text('ipOwnerId', this.isElasticIp(publicIp) ? this.world.accountId : 'amazon'),
        )
      : undefined;
    return [
      text('networkInterfaceId', i.eniId),
      text('subnetId', i.subnetId),
      text('vpcId', i.vpcId),
      text('description', ''),
      text('ownerId', this.world.accountId),
      text('status', 'in-use'),
      text('macAddress', macAddressOf(i.eniId)),
      text('privateIpAddress', i.privateIp),
      text('privateDnsName', this.privateDnsName(i.privateIp)),
      text('sourceDestCheck', true),
      this.groupSet(i.securityGroupIds),
      node(
        'attachment',
        text('attachmentId', `eni-attach-${i.eniId.slice(4)}`),
        text('deviceIndex', 0),
        text('status', 'attached'),
        text('attachTime', i.launchTime),
        text('deleteOnTermination', true),
        text('networkCardIndex', 0),
      ),
      association,
      list('privateIpAddressesSet', [i], (instance) => [
        text('privateIpAddress', instance.privateIp),
        text('privateDnsName', this.privateDnsName(instance.privateIp)),
        text('primary', true),
        association,
      ]),
      node('ipv6AddressesSet'),
      text('interfaceType', 'interface'),
    ];
  }

  private describeInstanceStatus(p: Ec2Params): XmlChild[] {
    const ids = p.list('InstanceId');
    if (ids.length > 0 && p.has('MaxResults')) {
      throw new AwsError(
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    }
    const includeAll = p.bool('IncludeAllInstances') ?? false;
    const filters = p.filters();
    const statuses = this.world.ec2.instances
      .describeInstances(ids, [])
      .filter((i) => includeAll || i.state === 'running')
      .map((i) => ({ instance: i, status: i.state === 'running' ? 'ok' : 'not-applicable' }))
      .filter(({ instance, status }) =>
        matchesFilters(filters, (name) => {
          const reachability = status === 'ok' ? ['passed'] : [];
          return {
            'instance-id': [instance.id],
            'availability-zone': [instance.availabilityZone],
            'instance-state-name': [instance.state],
            'instance-state-code': [String(INSTANCE_STATE_CODES[instance.state])],
            'instance-status.status': [status],
            'system-status.status': [status],
            'instance-status.reachability': reachability,
            'system-status.reachability': reachability,
          }[name];
        }),
      );
    const { page, nextToken } = paginate(statuses, p, 'DescribeInstanceStatus');
    const check = (name: string, status: string) =>
      node(
        name,
        text('status', status),
        list('details', status === 'ok' ? [status] : [], () => [
          text('name', 'reachability'),
          text('status', 'passed'),
        ]),
      );
    return [
      list('instanceStatusSet', page, ({ instance, status }) => [
        text('instanceId', instance.id),
        text('availabilityZone', instance.availabilityZone),
        stateXml('instanceState', instance.state),
        check('systemStatus', status),
        check('instanceStatus', status),
      ]),
      text('nextToken', nextToken),
    ];
  }

  private terminateInstances(p: Ec2Params): XmlChild[] {
    const ids = p.requiredList('InstanceId');
    const changes = this.world.ec2.instances.terminateInstances(ids);
    return [
      list('instancesSet', changes, (c) => [
        text('instanceId', c.id),
        stateXml('currentState', c.current),
        stateXml('previousState', c.previous),
      ]),
    ];
  }

  private modifyInstanceAttribute(p: Ec2Params): XmlChild[] {
    const instanceId = p.required('InstanceId');
    const known = new Set([
      'Action',
      'Version',
      'DryRun',
      'InstanceId',
      'DisableApiTermination.Value',
      'Attribute',
      'Value',
    ]);
    const unmodelled = p.names().find((name) => !known.has(name) && !/^GroupId\.\d+$/.test(name));
    if (unmodelled) {
      throw new AwsError(
        'UnsupportedOperation',
        `The emulator does not model modifying ${unmodelled.split('.')[0]}.`,
      );
    }
    const groupIds = p.list('GroupId');
    if (groupIds.length > 0) {
      // Only one attribute per call (aws-facts I.2); the groups replace the interface's whole set.
      if (p.has('Attribute') || p.has('DisableApiTermination.Value'))
        throw new AwsError('InvalidParameterCombination', 'Only one attribute can be modified at a time.');
      this.world.ec2.interfaces.setGroups(this.world.ec2.instances.mustGet(instanceId), groupIds);
      return [text('return', true)];
    }
    const attribute = p.string('Attribute');
    let value: boolean | undefined;
    if (attribute !== undefined) {
      if (attribute !== 'disableApiTermination') {
        throw new AwsError('UnsupportedOperation', `The emulator does not model modifying ${attribute}.`);
      }
      value = p.bool('Value');
      if (value === undefined) throw missingParameter('Value');
    } else {
      value = p.bool('DisableApiTermination.Value');
    }
    if (value === undefined) throw new AwsError('InvalidParameterCombination', 'No attributes specified.');
    this.world.ec2.instances.setDisableApiTermination(instanceId, value);
    return [text('return', true)];
  }

  private describeInstanceAttribute(p: Ec2Params): XmlChild[] {
    const instanceId = p.required('InstanceId');
    const attribute = p.required('Attribute');
    const instance = this.world.ec2.instances.describeInstances([instanceId], [])[0];
    if (!instance)
      throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    const value = (v: string | boolean) => node(attribute, text('value', v));
    const attributes: Record<string, () => Xml> = {
      disableApiTermination: () => value(instance.disableApiTermination),
      disableApiStop: () => value(false),
      instanceType: () => value(instance.instanceType),
      instanceInitiatedShutdownBehavior: () => value('stop'),
      groupSet: () => this.groupSet(instance.securityGroupIds),
    };
    const render = attributes[attribute];
    if (!render) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${attribute}) for parameter attribute is invalid. The emulator models ${Object.keys(attributes).join(', ')}.`,
      );
    }
    return [text('instanceId', instance.id), render()];
  }

  private createTags(p: Ec2Params): XmlChild[] {
    const resources = p.requiredList('ResourceId');
    const tags = p.tags('Tag');
    if (Object.keys(tags).length === 0) throw missingParameter('Tag');
    this.world.createTags(resources, tags);
    return [text('return', true)];
  }

  // ---------------------------------------------------------------- network, keys, images

  private describeSubnets(p: Ec2Params): XmlChild[] {
    const subnets = this.world.ec2.network.describeSubnets(p.list('SubnetId'), p.filters());
    const { page, nextToken } = paginate(subnets, p, 'DescribeSubnets');
    return [list('subnetSet', page, (s) => this.subnetXml(s)), text('nextToken', nextToken)];
  }

  private subnetXml(s: Subnet): XmlChild[] {
    return [
      text('subnetId', s.id),
      text('subnetArn', `arn:aws:ec2:${this.world.region}:${this.world.accountId}:subnet/${s.id}`),
      text('state', 'available'),
      text('ownerId', this.world.accountId),
      text('vpcId', s.vpcId),
      text('cidrBlock', s.cidrBlock),
      node('ipv6CidrBlockAssociationSet'),
      text('availableIpAddressCount', this.world.ec2.network.availableIpCount(s)),
      text('availabilityZone', s.availabilityZone),
      text('availabilityZoneId', availabilityZoneId(s.availabilityZone)),
      text('defaultForAz', false),
      text('mapPublicIpOnLaunch', s.mapPublicIpOnLaunch),
      text('mapCustomerOwnedIpOnLaunch', false),
      text('assignIpv6AddressOnCreation', false),
      text('ipv6Native', false),
      text('enableDns64', false),
      tagSet(s.tags),
      node(
        'privateDnsNameOptionsOnLaunch',
        text('hostnameType', 'ip-name'),
        text('enableResourceNameDnsARecord', false),
        text('enableResourceNameDnsAAAARecord', false),
      ),
      node('blockPublicAccessStates', text('internetGatewayBlockMode', 'off')),
    ];
  }

  private describeSecurityGroups(p: Ec2Params): XmlChild[] {
    const names = p.list('GroupName');
    const groups = this.world.ec2.network
      .describeSecurityGroups(p.list('GroupId'), p.filters())
      .filter((g) => names.length === 0 || names.includes(g.name));
    const missingName = names.find((n) => !groups.some((g) => g.name === n));
    if (missingName) {
      throw new AwsError(
        'InvalidGroup.NotFound',
        `The security group '${missingName}' does not exist in default VPC`,
      );
    }
    const { page, nextToken } = paginate(groups, p, 'DescribeSecurityGroups');
    return [list('securityGroupInfo', page, (g) => this.securityGroupXml(g)), text('nextToken', nextToken)];
  }

  private securityGroupXml(g: SecurityGroup): XmlChild[] {
    return [
      text('ownerId', this.world.accountId),
      text('groupId', g.id),
      text('groupName', g.name),
      text('groupDescription', g.description),
      text('vpcId', g.vpcId),
      text(
        'securityGroupArn',
        `arn:aws:ec2:${this.world.region}:${this.world.accountId}:security-group/${g.id}`,
      ),
      // The rules the emulated network admits connections by (../world/network-paths.ts).
      list('ipPermissions', ipPermissions(g.ingress), (r) => this.ipPermissionXml(r)),
      list('ipPermissionsEgress', ipPermissions(g.egress), (r) => this.ipPermissionXml(r)),
      tagSet(g.tags),
    ];
  }

  /** One IpPermission: a protocol and port range with every source that shares them. */
  private ipPermissionXml(permission: IpPermission): XmlChild[] {
    const { protocol, fromPort, toPort, rules } = permission;
    const cidrs = rules.filter((r) => r.cidrIp !== undefined);
    const groups = rules.filter((r) => r.sourceGroupId !== undefined);
    return [
      text('ipProtocol', protocol),
      protocol === '-1' ? undefined : text('fromPort', fromPort),
      protocol === '-1' ? undefined : text('toPort', toPort),
      list('groups', groups, (r) => [
        text('description', r.description),
        text('userId', this.world.accountId),
        text('groupId', r.sourceGroupId),
      ]),
      list('ipRanges', cidrs, (r) => [text('cidrIp', r.cidrIp), text('description', r.description)]),
      node('ipv6Ranges'),
      node('prefixListIds'),
    ];
  }

  private describeRouteTables(p: Ec2Params): XmlChild[] {
    const tables = this.world.ec2.network.describeRouteTables(p.list('RouteTableId'), p.filters());
    const { page, nextToken } = paginate(tables, p, 'DescribeRouteTables');
    return [list('routeTableSet', page, (t) => this.routeTableXml(t)), text('nextToken', nextToken)];
  }

  private routeTableXml(t: RouteTable): XmlChild[] {
    const vpc = this.world.ec2.network.vpcs.get(t.vpcId);
    // Every table has the VPC's local route first, whether or not the scenario lists it.
    const routes = [
      ...(vpc && !t.routes.some((r) => r.gatewayId === 'local')
        ? [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local' }]
        : []),
      ...t.routes,
    ];
    const associations = [
      ...(t.main ? [{ subnetId: undefined, main: true }] : []),
      ...t.subnetIds.map((subnetId) => ({ subnetId, main: false })),
    ];
    return [
      text('routeTableId', t.id),
      text('vpcId', t.vpcId),
      text('ownerId', this.world.accountId),
      list('routeSet', routes, (r) => [
        text('destinationCidrBlock', r.destinationCidrBlock),
        text('gatewayId', r.gatewayId),
        text('natGatewayId', r.natGatewayId),
        text('state', 'active'),
        text('origin', r.gatewayId === 'local' ? 'CreateRouteTable' : 'CreateRoute'),
      ]),
      list('associationSet', associations, (a) => [
        text('routeTableAssociationId', `rtbassoc-${derivedHex(`${t.id}:${a.subnetId ?? 'main'}`)}`),
        text('routeTableId', t.id),
        text('subnetId', a.subnetId),
        text('main', a.main),
        node('associationState', text('state', 'associated')),
      ]),
      node('propagatingVgwSet'),
      tagSet(t.tags),
    ];
  }

  private describeNetworkInterfaces(p: Ec2Params): XmlChild[] {
    const attached = this.world.ec2.interfaces.describeNetworkInterfaces(
      p.list('NetworkInterfaceId'),
      p.filters(),
    );
    const { page, nextToken } = paginate(attached, p, 'DescribeNetworkInterfaces');
    return [
      list('networkInterfaceSet', page, (i) => {
        const publicIp = this.world.ec2.addresses.publicIpsOf(i)[0];
        return [
          text('networkInterfaceId', i.eniId),
          text('subnetId', i.subnetId),
          text('vpcId', i.vpcId),
          text('availabilityZone', i.availabilityZone),
          text('description', ''),
          text('ownerId', this.world.accountId),
          text('requesterManaged', false),
          text('status', 'in-use'),
          text('macAddress', macAddressOf(i.eniId)),
          text('privateIpAddress', i.privateIp),
          text('privateDnsName', this.privateDnsName(i.privateIp)),
          text('sourceDestCheck', true),
          this.groupSet(i.securityGroupIds),
          node(
            'attachment',
            text('attachmentId', `eni-attach-${i.eniId.slice(4)}`),
            text('instanceId', i.id),
            text('instanceOwnerId', this.world.accountId),
            text('deviceIndex', 0),
            text('status', 'attached'),
            text('attachTime', i.launchTime),
            text('deleteOnTermination', true),
            text('networkCardIndex', 0),
          ),
          publicIp ? this.interfaceAssociationXml(publicIp) : undefined,
          node('tagSet'),
          list('privateIpAddressesSet', [i], (instance) => [
            text('privateIpAddress', instance.privateIp),
            text('privateDnsName', this.privateDnsName(instance.privateIp)),
            text('primary', true),
            publicIp ? this.interfaceAssociationXml(publicIp) : undefined,
          ]),
          node('ipv6AddressesSet'),
          text('interfaceType', 'interface'),
        ];
      }),
      text('nextToken', nextToken),
    ];
  }

  private interfaceAssociationXml(publicIp: string): Xml {
    return node(
      'association',
      text('publicIp', publicIp),
      text('publicDnsName', this.publicDnsName(publicIp)),
      text('ipOwnerId', this.isElasticIp(publicIp) ? this.world.accountId : 'amazon'),
    );
  }

  private modifyNetworkInterfaceAttribute(p: Ec2Params): XmlChild[] {
    const eniId = p.required('NetworkInterfaceId');
    const unmodelled = p
      .names()
      .find(
        (n) =>
          !['Action', 'Version', 'DryRun', 'NetworkInterfaceId'].includes(n) &&
          !/^SecurityGroupId\.\d+$/.test(n),
      );
    if (unmodelled) {
      throw new AwsError(
        'UnsupportedOperation',
        `The emulator does not model modifying ${unmodelled.split('.')[0]}; it models SecurityGroupId.N.`,
      );
    }
    const groupIds = p.list('SecurityGroupId');
    if (groupIds.length === 0) throw missingParameter('SecurityGroupId.1');
    this.world.ec2.interfaces.setGroups(this.world.ec2.interfaces.mustGetByEni(eniId), groupIds);
    return [text('return', true)];
  }

  private getConsoleOutput(p: Ec2Params): XmlChild[] {
    const instance = this.world.ec2.instances.mustGet(p.required('InstanceId'));
    p.bool('Latest');
    const consoleOutput = this.world.ec2.console.get(instance, this.world.clock.nowMs());
    return [
      text('instanceId', instance.id),
      text('timestamp', consoleOutput.timestamp ?? undefined),
      // Absent until something was posted, as EC2 leaves it out (aws-facts I.4).
      text(
        'output',
        consoleOutput.output === null ? undefined : Buffer.from(consoleOutput.output).toString('base64'),
      ),
    ];
  }

  private describeVpcs(p: Ec2Params): XmlChild[] {
    const vpcs = this.world.ec2.network.describeVpcs(p.list('VpcId'), p.filters());
    const { page, nextToken } = paginate(vpcs, p, 'DescribeVpcs');
    return [list('vpcSet', page, (v) => this.vpcXml(v)), text('nextToken', nextToken)];
  }

  private vpcXml(v: Vpc): XmlChild[] {
    return [
      text('vpcId', v.id),
      text('ownerId', this.world.accountId),
      text('state', 'available'),
      text('cidrBlock', v.cidrBlock),
      list('cidrBlockAssociationSet', [v], (vpc) => [
        text('associationId', `vpc-cidr-assoc-${vpc.id.slice(4)}`),
        text('cidrBlock', vpc.cidrBlock),
        node('cidrBlockState', text('state', 'associated')),
      ]),
      node('ipv6CidrBlockAssociationSet'),
      text('dhcpOptionsId', `dopt-${v.id.slice(4)}`),
      text('instanceTenancy', 'default'),
      text('isDefault', false),
      tagSet(v.tags),
      node('blockPublicAccessStates', text('internetGatewayBlockMode', 'off')),
    ];
  }

  private describeKeyPairs(p: Ec2Params): XmlChild[] {
    const includePublicKey = p.bool('IncludePublicKey') ?? false;
    const keys = this.world.ec2.network.describeKeyPairs(p.list('KeyName'), p.list('KeyPairId'), p.filters());
    return [list('keySet', keys, (k) => keyPairXml(k, includePublicKey))];
  }

  private describeImages(p: Ec2Params): XmlChild[] {
    const owners = p.list('Owner');
    const selfOwned = owners.length === 0 || owners.some((o) => o === 'self' || o === this.world.accountId);
    const filters = p.filters();
    const images = this.world.backup
      .describeImages(p.list('ImageId'))
      .filter(() => selfOwned)
      .filter((rp) =>
        matchesFilters(
          filters,
          (name) =>
            ({
              'image-id': [rp.imageId],
              name: [imageName(rp)],
              state: [imageState(rp)],
              'owner-id': [this.world.accountId],
              'is-public': ['false'],
              architecture: ['x86_64'],
              'image-type': ['machine'],
            })[name] ?? tagFilterValues(rp.tags, name),
        ),
      );
    const { page, nextToken } = paginate(images, p, 'DescribeImages');
    return [list('imagesSet', page, (rp) => this.imageXml(rp)), text('nextToken', nextToken)];
  }

  private imageXml(rp: RecoveryPoint): XmlChild[] {
    const name = imageName(rp);
    return [
      text('imageId', rp.imageId),
      text('imageLocation', `${this.world.accountId}/${name}`),
      text('imageState', imageState(rp)),
      text('imageOwnerId', this.world.accountId),
      text('creationDate', rp.creationDate),
      text('isPublic', false),
      node('productCodes'),
      text('architecture', 'x86_64'),
      text('imageType', 'machine'),
      text('name', name),
      text('description', 'This image is created by the AWS Backup service.'),
      text('rootDeviceType', 'ebs'),
      text('rootDeviceName', '/dev/xvda'),
      list('blockDeviceMapping', [rp], (point) => [
        text('deviceName', '/dev/xvda'),
        node(
          'ebs',
          text('snapshotId', `snap-${point.imageId.slice(4)}`),
          text('volumeSize', Math.round(point.sizeBytes / 1024 ** 3)),
          text('deleteOnTermination', true),
          text('volumeType', 'gp3'),
          text('encrypted', false),
        ),
      ]),
      text('virtualizationType', 'hvm'),
      tagSet(rp.tags),
      text('hypervisor', 'xen'),
      text('enaSupport', true),
      text('platformDetails', 'Linux/UNIX'),
      text('usageOperation', 'RunInstances'),
      text('sourceInstanceId', rp.instanceId),
    ];
  }

  // ---------------------------------------------------------------- instance profile associations

  private describeIamInstanceProfileAssociations(p: Ec2Params): XmlChild[] {
    const associations = this.world.ec2.associations.describeIamInstanceProfileAssociations(
      p.list('AssociationId'),
      p.filters(),
    );
    const { page, nextToken } = paginate(associations, p, 'DescribeIamInstanceProfileAssociations');
    return [list('iamInstanceProfileAssociationSet', page, associationXml), text('nextToken', nextToken)];
  }

  private associateIamInstanceProfile(p: Ec2Params): XmlChild[] {
    const profile = p.profileRef();
    const instanceId = p.required('InstanceId');
    const association = this.world.ec2.associations.associateIamInstanceProfile(instanceId, profile);
    return [node('iamInstanceProfileAssociation', ...associationXml(association))];
  }

  private replaceIamInstanceProfileAssociation(p: Ec2Params): XmlChild[] {
    const profile = p.profileRef();
    const associationId = p.required('AssociationId');
    const association = this.world.ec2.associations.replaceIamInstanceProfileAssociation(
      associationId,
      profile,
    );
    return [node('iamInstanceProfileAssociation', ...associationXml(association))];
  }

  private disassociateIamInstanceProfile(p: Ec2Params): XmlChild[] {
    const association = this.world.ec2.associations.disassociateIamInstanceProfile(
      p.required('AssociationId'),
    );
    return [node('iamInstanceProfileAssociation', ...associationXml(association))];
  }

  // ---------------------------------------------------------------- Elastic IPs

  private async allocateAddress(p: Ec2Params): Promise<XmlChild[]> {
    const domain = p.string('Domain') ?? 'vpc';
    if (domain !== 'vpc' && domain !== 'standard') {
      throw new AwsError('InvalidParameterValue', `Value (${domain}) for parameter domain is invalid.`);
    }
    const address = await this.world.ec2.addresses.allocateBindableAddress(p.tagSpecification('elastic-ip'));
    return [
      text('publicIp', address.publicIp),
      text('domain', 'vpc'),
      text('allocationId', address.allocationId),
      text('publicIpv4Pool', 'amazon'),
      text('networkBorderGroup', this.world.region),
    ];
  }

  private associateAddress(p: Ec2Params): XmlChild[] {
    const allocationId =
      p.string('AllocationId') ?? this.allocationIdOf(p.string('PublicIp'), 'AllocationId');
    // Reassociation is automatic unless the caller opts out (aws-facts B.1).
    const allowReassociation = p.bool('AllowReassociation') ?? true;
    const address = this.world.ec2.addresses.associateAddress(
      allocationId,
      { instanceId: p.string('InstanceId'), eniId: p.string('NetworkInterfaceId') },
      allowReassociation,
    );
    return [text('return', true), text('associationId', address.associationId)];
  }

  private disassociateAddress(p: Ec2Params): XmlChild[] {
    let associationId = p.string('AssociationId');
    if (associationId === undefined) {
      const publicIp = p.string('PublicIp');
      if (publicIp === undefined) throw missingParameter('AssociationId');
      associationId = this.addressByPublicIp(publicIp).associationId ?? '';
    }
    this.world.ec2.addresses.disassociateAddress(associationId);
    return [text('return', true)];
  }

  private releaseAddress(p: Ec2Params): XmlChild[] {
    const allocationId =
      p.string('AllocationId') ?? this.allocationIdOf(p.string('PublicIp'), 'AllocationId');
    this.world.ec2.addresses.releaseAddress(allocationId);
    return [text('return', true)];
  }

  private describeAddresses(p: Ec2Params): XmlChild[] {
    const publicIps = p.list('PublicIp');
    const addresses = this.world.ec2.addresses.describeAddresses(
      p.list('AllocationId'),
      publicIps,
      p.filters(),
    );
    // The world filters unknown public IPs out silently; EC2 rejects them.
    const unknownIp = publicIps.find(
      (ip) => ![...this.world.ec2.addresses.addresses.values()].some((a) => a.publicIp === ip),
    );
    if (unknownIp) throw new AwsError('InvalidAddress.NotFound', `Address '${unknownIp}' not found.`);
    return [list('addressesSet', addresses, (a) => this.addressXml(a))];
  }

  private addressXml(a: Address): XmlChild[] {
    return [
      text('publicIp', a.publicIp),
      text('allocationId', a.allocationId),
      text('domain', 'vpc'),
      text('instanceId', a.instanceId),
      text('associationId', a.associationId),
      text('networkInterfaceId', a.eniId),
      a.eniId ? text('networkInterfaceOwnerId', this.world.accountId) : undefined,
      text('privateIpAddress', a.privateIp),
      tagSet(a.tags),
      text('publicIpv4Pool', 'amazon'),
      text('networkBorderGroup', this.world.region),
    ];
  }

  private allocationIdOf(publicIp: string | undefined, parameter: string): string {
    if (publicIp === undefined) throw missingParameter(parameter);
    return this.addressByPublicIp(publicIp).allocationId;
  }

  private addressByPublicIp(publicIp: string): Address {
    const address = [...this.world.ec2.addresses.addresses.values()].find((a) => a.publicIp === publicIp);
    if (!address) throw new AwsError('InvalidAddress.NotFound', `Address '${publicIp}' not found.`);
    return address;
  }

  // ---------------------------------------------------------------- shared pieces

  private groupSet(ids: readonly string[]): Xml {
    return list('groupSet', ids, (id) => [
      text('groupId', id),
      text('groupName', this.world.ec2.network.securityGroups.get(id)?.name),
    ]);
  }

  private isElasticIp(ip: string): boolean {
    return [...this.world.ec2.addresses.addresses.values()].some((a) => a.publicIp === ip);
  }

  private privateDnsName(ip: string): string {
    const host = `ip-${ip.replaceAll('.', '-')}`;
    return this.world.region === 'us-east-1'
      ? `${host}.ec2.internal`
      : `${host}.${this.world.region}.compute.internal`;
  }

  private publicDnsName(ip: string): string {
    const host = `ec2-${ip.replaceAll('.', '-')}`;
    return this.world.region === 'us-east-1'
      ? `${host}.compute-1.amazonaws.com`
      : `${host}.${this.world.region}.compute.amazonaws.com`;
  }
}

// ---------------------------------------------------------------- response pieces

function stateXml(name: string, state: InstanceStateName): Xml {
  return node(name, text('code', INSTANCE_STATE_CODES[state]), text('name', state));
}

function tagSet(tags: Tags): Xml {
  return list('tagSet', tags, ([key, value]) => [text('key', key), text('value', value)]);
}

function keyPairXml(k: KeyPair, includePublicKey: boolean): XmlChild[] {
  return [
    text('keyPairId', k.id),
    text('keyName', k.name),
    text('keyFingerprint', k.fingerprint),
    text('keyType', k.type),
    node('tagSet'),
    includePublicKey && text('publicKey', k.publicKey),
    text('createTime', k.createTime),
  ];
}

function associationXml(a: ProfileAssociation): XmlChild[] {
  return [
    text('associationId', a.id),
    text('instanceId', a.instanceId),
    node('iamInstanceProfile', text('arn', a.profileArn), text('id', a.profileId)),
    text('state', a.state),
    text('timestamp', a.timestamp),
  ];
}

/** AMIs that AWS Backup creates are named `AWSBackup_<instance>_<uuid>`; the uuid is derived, so it is stable. */
function imageName(rp: RecoveryPoint): string {
  const h = createHash('sha256').update(rp.imageId).digest('hex').toUpperCase();
  return `AWSBackup_${rp.instanceId}_${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function imageState(rp: RecoveryPoint): string {
  if (rp.status === 'CREATING') return 'pending';
  if (rp.status === 'DELETING' || rp.status === 'EXPIRED') return 'deregistered';
  return 'available';
}

interface IpPermission {
  readonly protocol: string;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
  readonly rules: readonly SecurityGroupRule[];
}

/** Rules grouped as EC2 reports them: one IpPermission per protocol and port range. */
function ipPermissions(rules: readonly SecurityGroupRule[]): IpPermission[] {
  const byRange = new Map<string, IpPermission>();
  for (const rule of rules) {
    const fromPort = rule.protocol === '-1' ? undefined : rule.fromPort;
    const toPort = rule.protocol === '-1' ? undefined : rule.toPort;
    const key = `${rule.protocol}:${fromPort}:${toPort}`;
    const existing = byRange.get(key);
    byRange.set(key, {
      protocol: rule.protocol,
      fromPort,
      toPort,
      rules: [...(existing?.rules ?? []), rule],
    });
  }
  return [...byRange.values()];
}

function derivedHex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 17);
}

/** A stable locally administered MAC address per network interface. */
function macAddressOf(eniId: string): string {
  const bytes = createHash('sha256').update(eniId).digest().subarray(0, 5);
  return ['0e', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** `us-east-1a` → `use1-az1`: AZ ids are account-specific in AWS; any stable mapping will do here. */
function availabilityZoneId(zone: string): string {
  const match = /^([a-z]{2})-([a-z]+)-(\d+)([a-z])$/.exec(zone);
  if (!match) return zone;
  const [, geo = '', direction = '', number = '', letter = 'a'] = match;
  return `${geo}${direction[0] ?? ''}${number}-az${letter.charCodeAt(0) - 96}`;
}
