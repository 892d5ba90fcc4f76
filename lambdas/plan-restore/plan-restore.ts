import type { BackupClient } from '@aws-sdk/client-backup';
import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type SecurityGroup,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, type IAMClient } from '@aws-sdk/client-iam';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { awsErrorCode, isAccessDenied, PreflightError } from '@shared/errors';
import { isBurstable } from '@shared/instance-types';
import { findKeyPairId, privateKeyParameterName } from '@shared/key-pair';
import type { Logger } from '@shared/logger';
import {
  getRestoreMetadata,
  groupIds,
  isJsonObject,
  isTrue,
  type JsonObject,
  networkInterfaces,
  nonEmpty,
  parseJson,
  primaryInterface,
  type RestoreMetadata,
  withholdRedacted,
} from '@shared/restore-metadata';
import type { RestoreRequest } from '@shared/restore-request';
import type { SshProbeRef } from '@shared/ssh-probes';
import {
  type RestorePlan,
  requireSlices,
  type SourceFacts,
  type StateWith,
  type WorkflowState,
} from '@shared/workflow-state';
import { checkSshNetwork } from './network-preflight';
import { checkRestoreRoleMayPass } from './passrole-preflight';

export interface PlanRestoreDeps {
  readonly backup: BackupClient;
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  readonly ssm: SSMClient;
  /** The role AWS Backup launches the instance with (RESTORE_ROLE_ARN). */
  readonly restoreRoleArn: string;
  /** Where CloudFormation-created key pairs keep their private key, e.g. `/ec2/keypair/`. */
  readonly keyPairParameterPrefix: string;
  /** The in-VPC SSH probes of this deployment (SSH_PROBES). @default none */
  readonly sshProbes?: readonly SshProbeRef[];
  readonly logger?: Logger;
}

/**
 * The keys of aws-facts A.6 (what StartRestoreJob accepts for EC2) that are copied as backed up.
 * Not here, on purpose: `VpcId` (informational, no effect), `KeyName` (cannot be changed, so
 * sending it only risks a rejection), and the keys this step decides itself: `SubnetId`,
 * `SecurityGroupIds`, `NetworkInterfaces`, `IamInstanceProfileName`. Any other key is dropped.
 * `UserData` is sent, but never kept in the plan: see REDACTED_METADATA_FIELDS.
 */
const PASS_THROUGH_KEYS: ReadonlySet<string> = new Set([
  'InstanceType',
  'Architecture',
  'EnaSupport',
  'CpuOptions',
  'InstanceInitiatedShutdownBehavior',
  'HibernationOptions',
  'DisableApiTermination',
  'CreditSpecification',
  'Placement',
  'RootDeviceType',
  'RamdiskId',
  'KernelId',
  'UserData',
  'Monitoring',
  'ElasticGpuSpecification',
  'CapacityReservationSpecification',
  'InstanceMarketOptions',
  'LicenseSpecifications',
  'EbsOptimized',
  'VirtualizationType',
  'Platform',
  'RequireIMDSv2',
  'BlockDeviceMappings',
  'aws:backup:request-id',
]);

/**
 * Fields of the backed-up interface that name the original's own addresses and ENI: reused while
 * the original exists they fail the launch (address or ENI in use), and after it they would pin
 * addresses that a new instance has no claim to.
 */
const INTERFACE_IDENTITY_FIELDS: ReadonlySet<string> = new Set([
  'NetworkInterfaceId',
  'PrivateIpAddress',
  'PrivateIpAddresses',
  'SecondaryPrivateIpAddressCount',
  'Ipv6Addresses',
  'Ipv4Prefixes',
  'Ipv6Prefixes',
]);

/** Block device fields StartRestoreJob does not support (aws-facts A.6). */
const UNSUPPORTED_EBS_FIELDS: ReadonlySet<string> = new Set(['SnapshotId', 'OutpostArn']);

type PlanState = StateWith<'request' | 'selection' | 'source'>;

/**
 * Step 4: decide exactly what StartRestoreJob will send, and check before anything is created that
 * the restore can work: subnet and security groups exist and share a VPC, the instance profile to
 * end up with still exists, and, when the SSH check is on, the key pair and its private key are
 * there. Every check runs; all failures come back together in one PreflightError, so one rerun
 * fixes them all. Throttling and other transient errors propagate for the state machine to retry.
 */
export async function planRestore(state: WorkflowState, deps: PlanRestoreDeps): Promise<RestorePlan> {
  const checked = requireSlices(state, 'request', 'selection', 'source');
  const { request, source } = checked;
  const backedUp = await getRestoreMetadata(deps.backup, checked.selection.recoveryPoint);
  const preflight = new Preflight();

  const network = chooseNetwork(request, backedUp, preflight);
  const subnet = await checkSubnet(deps.ec2, network, preflight);
  await checkSecurityGroups(deps.ec2, network, subnet, preflight);
  const profile = await checkInstanceProfile(
    deps.iam,
    targetProfileOf(checked, backedUp, preflight),
    preflight,
  );
  if (request.instanceProfile === 'passrole' && profile)
    await checkRestoreRoleMayPass(deps.iam, deps.restoreRoleArn, profile.name, preflight);
  // The restored instance keeps the backed-up key pair whatever is sent (aws-facts A.6).
  const keyName = source.keyName ?? nonEmpty(backedUp.KeyName);
  const key = await checkPrivateKey(request, keyName, deps, preflight);
  const sshNetwork =
    subnet?.SubnetId && subnet.VpcId
      ? await checkSshNetwork(
          deps.ec2,
          {
            request,
            subnetId: subnet.SubnetId,
            vpcId: subnet.VpcId,
            securityGroupIds: network.securityGroupIds,
            probes: deps.sshProbes ?? [],
          },
          preflight,
        )
      : null;

  if (preflight.failed.length > 0 || !subnet?.SubnetId || !subnet.VpcId) {
    deps.logger?.warn('pre-flight checks failed', { failed: preflight.failed, passed: preflight.passed });
    throw new PreflightError(preflight.failed);
  }

  // The plan is workflow state, which is logged whole: redacted fields (user data) stay out of
  // it as digests, and start-restore-job reads their values from the recovery point itself.
  const { kept: metadata, redacted } = withholdRedacted(
    buildMetadata(backedUp, request, source, network, subnet, deps.logger),
  );
  const plan: RestorePlan = {
    metadata,
    redactedMetadata: redacted,
    droppedKeys: Object.keys(backedUp).filter(
      (k) => !Object.hasOwn(metadata, k) && !Object.hasOwn(redacted, k),
    ),
    networkInterfaces: network.mode,
    subnetId: subnet.SubnetId,
    vpcId: subnet.VpcId,
    securityGroupIds: network.securityGroupIds,
    instanceType: metadata.InstanceType ?? source.instanceType,
    subnetMapsPublicIp: subnet.MapPublicIpOnLaunch === true,
    targetInstanceProfile: profile,
    keyName,
    keyPairId: key.keyPairId,
    privateKeyParameter: key.parameter,
    restoreRoleArn: deps.restoreRoleArn,
    checks: preflight.passed,
    sshNetwork,
  };
  deps.logger?.info('restore planned', {
    metadataKeys: Object.keys(plan.metadata),
    redactedMetadata: redacted,
    droppedKeys: plan.droppedKeys,
    networkInterfaces: plan.networkInterfaces,
    subnetId: plan.subnetId,
    securityGroupIds: plan.securityGroupIds,
    targetInstanceProfile: plan.targetInstanceProfile?.name ?? null,
    checks: plan.checks,
  });
  return plan;
}

class Preflight {
  readonly passed: string[] = [];
  readonly failed: string[] = [];
  pass(sentence: string): void {
    this.passed.push(sentence);
  }
  fail(sentence: string): void {
    this.failed.push(sentence);
  }
}

/**
 * A check failure for the not-found codes the caller names and for access denied; any other error
 * (throttling, 5xx, a bug) propagates, because a check that could not run has not failed.
 */
function expectedFailure(
  error: unknown,
  missingCodes: readonly string[],
  deniedCodes: readonly string[] = [],
): { kind: 'missing' | 'denied'; code: string } {
  const code = awsErrorCode(error);
  if (code !== undefined && missingCodes.includes(code)) return { kind: 'missing', code };
  if (code !== undefined && (isAccessDenied(error) || deniedCodes.includes(code))) {
    return { kind: 'denied', code };
  }
  throw error;
}

// ---------------------------------------------------------------------------------------------
// network: subnet, security groups, NetworkInterfaces

interface NetworkChoice {
  readonly subnetId: string | null;
  readonly subnetFrom: string;
  readonly securityGroupIds: readonly string[];
  readonly securityGroupsFrom: string;
  readonly mode: RestorePlan['networkInterfaces'];
  /** The interface to send (mode 'stripped'), before the subnet and groups are set in it. */
  readonly primary: JsonObject | null;
}

/**
 * The target subnet and groups: the override, else the metadata's instance-level value, else the
 * backed-up primary interface's. NetworkInterfaces is never sent together with an instance-level
 * subnet (RunInstances rejects the combination): it is dropped, except when the original got a
 * public IP through it (AssociatePublicIpAddress), which only an interface spec can ask for; then
 * one interface is kept without the original's ENI id and addresses.
 */
function chooseNetwork(
  request: RestoreRequest,
  backedUp: RestoreMetadata,
  preflight: Preflight,
): NetworkChoice {
  const interfaces = networkInterfaces(backedUp);
  const primary = primaryInterface(interfaces);
  const overrides = request.overrides;

  const metadataSubnet = nonEmpty(backedUp.SubnetId);
  const interfaceSubnet = nonEmpty(primary?.SubnetId);
  const [subnetId, subnetFrom] = overrides.subnetId
    ? [overrides.subnetId, 'overrides.subnetId']
    : metadataSubnet
      ? [metadataSubnet, 'restore metadata SubnetId']
      : [interfaceSubnet, 'restore metadata NetworkInterfaces'];

  const metadataGroups = groupIds(parseJson(backedUp.SecurityGroupIds));
  const interfaceGroups = groupIds(primary?.Groups);
  const [securityGroupIds, securityGroupsFrom] = overrides.securityGroupIds
    ? [overrides.securityGroupIds, 'overrides.securityGroupIds']
    : metadataGroups.length > 0
      ? [metadataGroups, 'restore metadata SecurityGroupIds']
      : [interfaceGroups, 'restore metadata NetworkInterfaces'];

  if (!subnetId) {
    preflight.fail(
      'there is no subnet to restore into: the restore metadata has neither SubnetId nor a subnet in ' +
        'NetworkInterfaces; pass overrides.subnetId',
    );
  }
  if (securityGroupIds.length === 0) {
    // An empty list would launch into the VPC's default group, which the original never had.
    preflight.fail(
      'the restore metadata names no security groups (neither SecurityGroupIds nor NetworkInterfaces Groups); ' +
        'pass overrides.securityGroupIds',
    );
  }

  const mode: RestorePlan['networkInterfaces'] =
    backedUp.NetworkInterfaces === undefined
      ? 'absent'
      : primary && isTrue(primary.AssociatePublicIpAddress)
        ? 'stripped'
        : 'dropped';
  return {
    subnetId,
    subnetFrom,
    securityGroupIds: [...new Set(securityGroupIds)],
    securityGroupsFrom,
    mode,
    primary,
  };
}

async function checkSubnet(
  ec2: EC2Client,
  network: NetworkChoice,
  preflight: Preflight,
): Promise<Subnet | null> {
  const id = network.subnetId;
  if (!id) return null;
  const missing = () =>
    preflight.fail(
      `subnet ${id} does not exist (${network.subnetFrom}); ` +
        (network.subnetFrom === 'overrides.subnetId'
          ? 'check overrides.subnetId'
          : 'pass overrides.subnetId with a subnet to restore into'),
    );
  try {
    const result = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }));
    const subnet = result.Subnets?.find((s) => s.SubnetId === id);
    if (!subnet) {
      missing();
      return null;
    }
    if (!subnet.VpcId) {
      preflight.fail(
        `subnet ${id} (${network.subnetFrom}) reports no VPC; pass overrides.subnetId with another subnet`,
      );
      return null;
    }
    preflight.pass(
      `subnet ${id} (${network.subnetFrom}) exists in ${subnet.VpcId}` +
        `${subnet.AvailabilityZone ? `, ${subnet.AvailabilityZone}` : ''}, and ` +
        `${subnet.MapPublicIpOnLaunch ? 'auto-assigns' : 'does not auto-assign'} public IPv4 addresses`,
    );
    return subnet;
  } catch (error) {
    const failure = expectedFailure(error, ['InvalidSubnetID.NotFound', 'InvalidSubnetID.Malformed']);
    if (failure.kind === 'missing') missing();
    else
      preflight.fail(
        `this function may not describe subnet ${id} (${failure.code}); grant it ec2:DescribeSubnets`,
      );
    return null;
  }
}

async function checkSecurityGroups(
  ec2: EC2Client,
  network: NetworkChoice,
  subnet: Subnet | null,
  preflight: Preflight,
): Promise<void> {
  const ids = network.securityGroupIds;
  if (ids.length === 0) return;
  const found = await describeSecurityGroups(ec2, ids, preflight);
  if (!found) return;

  const vpcId = subnet?.VpcId;
  let allGood = true;
  for (const id of ids) {
    const group = found.get(id);
    if (!group) {
      allGood = false;
      preflight.fail(
        `security group ${id} does not exist (${network.securityGroupsFrom}); ` +
          'pass overrides.securityGroupIds with groups that exist',
      );
    } else if (vpcId && group.VpcId !== vpcId) {
      allGood = false;
      preflight.fail(
        `security group ${id} (${network.securityGroupsFrom}) is in ${group.VpcId ?? 'no VPC'}, but subnet ` +
          `${subnet?.SubnetId} is in ${vpcId}: an instance can only use groups of its subnet's VPC; pass ` +
          `overrides.securityGroupIds with groups of ${vpcId}`,
      );
    }
  }
  if (allGood && vpcId) {
    preflight.pass(
      `security group(s) ${ids.join(', ')} (${network.securityGroupsFrom}) exist in ${vpcId}, the subnet's VPC`,
    );
  }
}

/** The groups that exist, by id; null when the check could not run (already recorded as failed). */
async function describeSecurityGroups(
  ec2: EC2Client,
  ids: readonly string[],
  preflight: Preflight,
): Promise<Map<string, SecurityGroup> | null> {
  const denied = (code: string) =>
    preflight.fail(
      `this function may not describe security groups ${ids.join(', ')} (${code}); grant it ec2:DescribeSecurityGroups`,
    );
  const missingCodes = ['InvalidGroup.NotFound', 'InvalidGroupId.Malformed'];
  try {
    return byId(await describeGroups(ec2, ids));
  } catch (error) {
    const failure = expectedFailure(error, missingCodes);
    if (failure.kind === 'denied') {
      denied(failure.code);
      return null;
    }
  }
  // One unknown id fails the whole call, so ask one by one to learn which ones are missing.
  const found = new Map<string, SecurityGroup>();
  for (const id of ids) {
    try {
      for (const [groupId, group] of byId(await describeGroups(ec2, [id]))) found.set(groupId, group);
    } catch (error) {
      const failure = expectedFailure(error, missingCodes);
      if (failure.kind === 'denied') {
        denied(failure.code);
        return null;
      }
    }
  }
  return found;
}

async function describeGroups(ec2: EC2Client, ids: readonly string[]): Promise<SecurityGroup[]> {
  const result = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...ids] }));
  return result.SecurityGroups ?? [];
}

function byId(groups: readonly SecurityGroup[]): Map<string, SecurityGroup> {
  return new Map(groups.flatMap((g) => (g.GroupId ? [[g.GroupId, g] as const] : [])));
}

// ---------------------------------------------------------------------------------------------
// instance profile

type ProfileRef = NonNullable<RestorePlan['targetInstanceProfile']>;

/** The profile the restored instance must end up with: the source's, unless the request says none. */
function targetProfileOf(
  state: PlanState,
  backedUp: RestoreMetadata,
  preflight: Preflight,
): ProfileRef | null {
  const { request, source } = state;
  if (request.instanceProfile === 'none' || !source.instanceProfileName || !source.instanceProfileArn)
    return null;
  const backedUpName = nonEmpty(backedUp.IamInstanceProfileName);
  if (request.instanceProfile === 'passrole' && backedUpName && backedUpName !== source.instanceProfileName) {
    // AWS Backup fails a restore that asks for any profile but the backed-up one (aws-facts A.6).
    preflight.fail(
      `instanceProfile "passrole" cannot restore with instance profile ${source.instanceProfileName}: the backup ` +
        `was taken with ${backedUpName}, and AWS Backup restores only with the backed-up profile; rerun with ` +
        'instanceProfile "reattach" to restore without one and attach the current profile afterwards',
    );
  }
  return { arn: source.instanceProfileArn, name: source.instanceProfileName };
}

async function checkInstanceProfile(
  iam: IAMClient,
  target: ProfileRef | null,
  preflight: Preflight,
): Promise<ProfileRef | null> {
  if (!target) return null;
  try {
    const result = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: target.name }));
    const roles = (result.InstanceProfile?.Roles ?? []).map((r) => r.RoleName).filter(Boolean);
    preflight.pass(
      `instance profile ${target.name} still exists` +
        (roles.length ? ` (role ${roles.join(', ')})` : ' (no role)'),
    );
    // IAM's ARN is authoritative: the one built from restore metadata cannot know the profile's path.
    return { arn: result.InstanceProfile?.Arn ?? target.arn, name: target.name };
  } catch (error) {
    const failure = expectedFailure(error, ['NoSuchEntity', 'NoSuchEntityException']);
    preflight.fail(
      failure.kind === 'missing'
        ? `instance profile ${target.name} of the source instance no longer exists; recreate it with the same ` +
            'name, or rerun with instanceProfile "none"'
        : `this function may not read instance profile ${target.name} (${failure.code}); grant it iam:GetInstanceProfile`,
    );
    return target;
  }
}

// ---------------------------------------------------------------------------------------------
// SSH key

interface KeyFacts {
  readonly keyPairId: string | null;
  readonly parameter: string | null;
}

async function checkPrivateKey(
  request: RestoreRequest,
  keyName: string | null,
  deps: PlanRestoreDeps,
  preflight: Preflight,
): Promise<KeyFacts> {
  if (!request.ssh.enabled) return { keyPairId: null, parameter: null };
  const override = request.ssh.privateKeyParameter;

  let keyPairId: string | null = null;
  if (!keyName) {
    if (!override) {
      preflight.fail(
        'the source instance has no key pair, so the SSH check cannot run; pass ssh.enabled=false',
      );
      return { keyPairId: null, parameter: null };
    }
  } else {
    try {
      keyPairId = await findKeyPairId(deps.ec2, keyName);
    } catch (error) {
      const failure = expectedFailure(error, []);
      preflight.fail(
        `this function may not describe key pair ${keyName} (${failure.code}); grant it ec2:DescribeKeyPairs`,
      );
      return { keyPairId: null, parameter: null };
    }
    if (keyPairId) {
      preflight.pass(`key pair ${keyName} exists (${keyPairId})`);
    } else if (!override) {
      preflight.fail(
        `key pair ${keyName} of the source instance no longer exists in EC2, so its private key cannot be found ` +
          `under ${deps.keyPairParameterPrefix}<KeyPairId>; pass ssh.privateKeyParameter naming the SSM parameter ` +
          'that holds it, or ssh.enabled=false',
      );
      return { keyPairId: null, parameter: null };
    }
    // A deleted key pair with a named parameter is fine: the public key lives on in the instance.
  }

  const parameter = keyPairId
    ? privateKeyParameterName(deps.keyPairParameterPrefix, keyPairId, override)
    : override;
  if (!parameter) return { keyPairId, parameter: null };
  await checkParameterReadable(deps.ssm, parameter, keyName, preflight);
  return { keyPairId, parameter };
}

/**
 * Reads the parameter with decryption and throws the value away at once: it is never kept,
 * returned or logged. GetParameter rather than DescribeParameters, because only a real read proves
 * what the SSH check will need later: ssm:GetParameter on this parameter and kms:Decrypt on its
 * key. DescribeParameters would pass with neither.
 */
async function checkParameterReadable(
  ssm: SSMClient,
  parameter: string,
  keyName: string | null,
  preflight: Preflight,
): Promise<void> {
  const whose = keyName ? `the private key of key pair ${keyName}` : 'the private key';
  let hasValue: boolean;
  try {
    const result = await ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
    hasValue = (result.Parameter?.Value?.length ?? 0) > 0;
  } catch (error) {
    // InvalidKeyId (the parameter's KMS key is disabled or unusable) needs the operator, not a retry.
    const failure = expectedFailure(
      error,
      ['ParameterNotFound', 'ParameterVersionNotFound'],
      ['InvalidKeyId'],
    );
    preflight.fail(
      failure.kind === 'missing'
        ? `SSM parameter ${parameter}, which should hold ${whose}, does not exist; store the key there as a ` +
            'SecureString, pass ssh.privateKeyParameter, or pass ssh.enabled=false'
        : `SSM parameter ${parameter} (${whose}) cannot be read with decryption (${failure.code}); grant this ` +
            'function ssm:GetParameter on it (and kms:Decrypt on its key if that is customer-managed)',
    );
    return;
  }
  if (hasValue) {
    preflight.pass(`SSM parameter ${parameter} holds ${whose} and can be decrypted`);
  } else {
    preflight.fail(`SSM parameter ${parameter} is empty; it must hold ${whose}`);
  }
}

// ---------------------------------------------------------------------------------------------
// the metadata StartRestoreJob will send

function buildMetadata(
  backedUp: RestoreMetadata,
  request: RestoreRequest,
  source: SourceFacts,
  network: NetworkChoice,
  subnet: Subnet,
  logger: Logger | undefined,
): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(backedUp)) {
    if (!PASS_THROUGH_KEYS.has(key)) continue;
    const text = metadataValue(value);
    if (text !== null) metadata[key] = text;
  }

  sanitiseBlockDeviceMappings(metadata);
  alignPlacement(metadata, subnet, logger);

  const { overrides } = request;
  if (overrides.instanceType) fitToInstanceType(metadata, overrides.instanceType, logger);
  if (overrides.requireImdsV2 !== undefined)
    metadata.RequireIMDSv2 = metadataValue(overrides.requireImdsV2) ?? 'false';
  if (request.instanceProfile === 'passrole' && source.instanceProfileName) {
    metadata.IamInstanceProfileName = source.instanceProfileName;
  }
  // 'reattach' and 'none' leave IamInstanceProfileName out: the restore runs without a profile.

  const subnetId = subnet.SubnetId ?? network.subnetId ?? '';
  if (network.mode === 'stripped' && network.primary) {
    const kept = Object.fromEntries(
      Object.entries(network.primary).filter(([field]) => !INTERFACE_IDENTITY_FIELDS.has(field)),
    );
    metadata.NetworkInterfaces = JSON.stringify([
      {
        ...kept,
        DeviceIndex: 0,
        SubnetId: subnetId,
        Groups: network.securityGroupIds,
        // The restore creates a new interface; one that outlived its instance would be an orphan
        // that cleanup does not know about.
        DeleteOnTermination: true,
      },
    ]);
  } else {
    metadata.SubnetId = subnetId;
    metadata.SecurityGroupIds = JSON.stringify(network.securityGroupIds);
  }
  return metadata;
}

/** Every metadata value is a string: booleans as "true"/"false", structures as JSON text. */
function metadataValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? null;
}

/** StartRestoreJob rejects SnapshotId and OutpostArn in block device mappings (aws-facts A.6). */
function sanitiseBlockDeviceMappings(metadata: Record<string, string>): void {
  if (metadata.BlockDeviceMappings === undefined) return;
  const parsed = parseJson(metadata.BlockDeviceMappings);
  if (!Array.isArray(parsed)) {
    delete metadata.BlockDeviceMappings;
    return;
  }
  const cleaned = parsed.map((mapping: unknown) => {
    if (!isJsonObject(mapping) || !isJsonObject(mapping.Ebs)) return mapping;
    const ebs = Object.fromEntries(
      Object.entries(mapping.Ebs).filter(([field]) => !UNSUPPORTED_EBS_FIELDS.has(field)),
    );
    return { ...mapping, Ebs: ebs };
  });
  metadata.BlockDeviceMappings = JSON.stringify(cleaned);
}

/**
 * CPU options and the credit mode were the backed-up type's. For another type, a core count it
 * lacks fails the launch, and so does any CreditSpecification on a type that is not burstable
 * (InstanceCreditSpecification.NotSupported, docs/aws-facts.md A): CpuOptions are left out (the
 * new type's defaults), and the credit mode is kept only for t2, t3, t3a and t4g.
 */
function fitToInstanceType(
  metadata: Record<string, string>,
  instanceType: string,
  logger: Logger | undefined,
) {
  if (metadata.InstanceType === instanceType) return;
  const leftOut = ['CpuOptions', ...(isBurstable(instanceType) ? [] : ['CreditSpecification'])].filter(
    (key) => metadata[key] !== undefined,
  );
  for (const key of leftOut) delete metadata[key];
  if (leftOut.length > 0)
    logger?.info("left out the backed-up type's launch options for the new type", {
      from: metadata.InstanceType,
      to: instanceType,
      leftOut,
    });
  metadata.InstanceType = instanceType;
}

/**
 * The backed-up Placement names the original's Availability Zone; a subnet in another zone
 * (an override, or a subnet re-created elsewhere) would make the launch fail, so the zone follows
 * the subnet. Malformed Placement text is left out rather than sent.
 */
function alignPlacement(metadata: Record<string, string>, subnet: Subnet, logger: Logger | undefined): void {
  if (metadata.Placement === undefined) return;
  const placement = parseJson(metadata.Placement);
  if (!isJsonObject(placement)) {
    delete metadata.Placement;
    return;
  }
  const zone = subnet.AvailabilityZone;
  if (zone && typeof placement.AvailabilityZone === 'string' && placement.AvailabilityZone !== zone) {
    logger?.info('Placement.AvailabilityZone follows the target subnet', {
      backedUp: placement.AvailabilityZone,
      subnetZone: zone,
    });
    metadata.Placement = JSON.stringify({ ...placement, AvailabilityZone: zone });
  }
}
