/**
 * RunInstances' checks on what a restore launches with, beyond the network (backup-restore-rules.ts):
 * the instance type, CPU options, the credit specification, the zone and the number of groups. A
 * check fails the restore job with `message (Code)` as the other launch failures do. Where AWS's
 * exact words are unconfirmed, the code is AWS's and the check only refuses what AWS certainly
 * refuses: a real type and real options never fail here.
 */
import { isBurstable } from '@shared/instance-types';
import { GROUPS_PER_INTERFACE } from './ec2-interfaces';
import type { Subnet } from './ec2-network';
import { parseJson } from './json-text';

/** `family.size`, the size one EC2 has (nano … 48xlarge, metal, metal-24xl). */
const INSTANCE_TYPE =
  /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)$/;

/** The most vCPUs a size can have: a core count above it is never valid. Undefined: no bound known. */
function maxVcpus(instanceType: string): number | undefined {
  const size = instanceType.split('.')[1] ?? '';
  if (['nano', 'micro', 'small', 'medium', 'large'].includes(size)) return 2;
  const multiple = /^(\d*)xlarge$/.exec(size);
  return multiple ? 4 * Number(multiple[1] || 1) : undefined;
}

export interface LaunchParameters {
  readonly instanceType: string;
  readonly subnet: Subnet;
  readonly groupIds: readonly string[];
  /** The restore metadata, every value a string (JSON text for structures). */
  readonly metadata: Readonly<Record<string, string | undefined>>;
}

export function checkLaunchParameters({ instanceType, subnet, groupIds, metadata }: LaunchParameters): void {
  if (!INSTANCE_TYPE.test(instanceType))
    throw new Error(`Invalid value '${instanceType}' for InstanceType. (InvalidParameterValue)`);
  if (new Set(groupIds).size > GROUPS_PER_INTERFACE)
    throw new Error(
      `The maximum number of security groups per interface has been reached (${GROUPS_PER_INTERFACE}). (SecurityGroupsPerInterfaceLimitExceeded)`,
    );
  const zone = parseJson<Record<string, unknown> | null>(metadata.Placement)?.AvailabilityZone;
  if (typeof zone === 'string' && zone !== subnet.availabilityZone)
    throw new Error(
      `Value (${zone}) for parameter availabilityZone is invalid. Subnet '${subnet.id}' is in the availability zone ${subnet.availabilityZone} (InvalidParameterValue)`,
    );
  // A CreditSpecification on a type that is not burstable [confirmed for "unlimited": public error
  // transcripts, "The m5.large instance type does not support T2 Unlimited."; "standard" is
  // unconfirmed and refused too, which fails safe].
  if (metadata.CreditSpecification !== undefined && !isBurstable(instanceType))
    throw new Error(
      `The ${instanceType} instance type does not support T2 Unlimited. (InstanceCreditSpecification.NotSupported)`,
    );
  const cpu = parseJson<Record<string, unknown> | null>(metadata.CpuOptions);
  if (cpu) {
    const threads = cpu.ThreadsPerCore;
    const cores = cpu.CoreCount;
    const bound = maxVcpus(instanceType);
    if (threads !== undefined && threads !== 1 && threads !== 2)
      throw new Error(`ThreadsPerCore must be 1 or 2, got ${String(threads)}. (InvalidParameterValue)`);
    if (typeof cores === 'number' && bound !== undefined && (cores < 1 || cores > bound))
      throw new Error(
        `The specified CoreCount ${cores} is not supported for instance type ${instanceType}. (InvalidParameterValue)`,
      );
  }
}
