/** IAM instance profile associations: how EC2 attaches (and replaces) an instance's profile. */
import { AwsError } from '../aws-error';
import { newId } from '../ids';
import { type Ec2Filter, matchesFilters, mustExist } from './ec2-filters';
import type { InstanceProfile } from './iam-store';
import type { AssociationStore, ProfileAssociation, WorldContext } from './types';

export class ProfileAssociations implements AssociationStore {
  readonly associations = new Map<string, ProfileAssociation>();

  constructor(private readonly world: WorldContext) {}

  /** "associating" becomes "associated" once its time has come. */
  tick(now: number): void {
    for (const a of this.associations.values()) {
      if (a.state === 'associating' && now >= a.readyAt) a.state = 'associated';
    }
  }

  describeIamInstanceProfileAssociations(
    ids: readonly string[],
    filters: readonly Ec2Filter[],
  ): ProfileAssociation[] {
    const missing = ids.find((id) => !this.associations.has(id));
    if (missing)
      throw new AwsError(
        'InvalidAssociationID.NotFound',
        `An association with ID ${missing} does not exist.`,
      );
    const list =
      ids.length > 0
        ? ids.map((id) => mustExist(this.associations.get(id), id))
        : [...this.associations.values()];
    return list.filter((a) =>
      matchesFilters(filters, (name) => ({ 'instance-id': [a.instanceId], state: [a.state] })[name]),
    );
  }

  associateIamInstanceProfile(
    instanceId: string,
    profileRef: { arn?: string; name?: string },
  ): ProfileAssociation {
    const instance = this.world.ec2.instances.mustGet(instanceId);
    const profile = this.resolveProfileRef(profileRef);
    if (instance.state !== 'running' && instance.state !== 'stopped') {
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instanceId}' is not in a valid state for this operation.`,
      );
    }
    if (this.active(instanceId)) {
      throw new AwsError('IncorrectState', `There is an existing association for instance ${instanceId}`);
    }
    return this.add(instanceId, profile, false);
  }

  replaceIamInstanceProfileAssociation(
    associationId: string,
    profileRef: { arn?: string; name?: string },
  ): ProfileAssociation {
    const existing = this.associations.get(associationId);
    if (!existing || existing.state === 'disassociated') {
      throw new AwsError(
        'InvalidAssociationID.NotFound',
        `An association with ID ${associationId} does not exist.`,
      );
    }
    const profile = this.resolveProfileRef(profileRef);
    this.associations.delete(associationId);
    return this.add(existing.instanceId, profile, false);
  }

  disassociateIamInstanceProfile(associationId: string): ProfileAssociation {
    const existing = this.associations.get(associationId);
    if (!existing)
      throw new AwsError(
        'InvalidAssociationID.NotFound',
        `An association with ID ${associationId} does not exist.`,
      );
    this.associations.delete(associationId);
    return { ...existing, state: 'disassociating' };
  }

  /** `immediate`: already "associated" (a launch with a profile), else "associating" for a while. */
  add(instanceId: string, profile: InstanceProfile, immediate: boolean): ProfileAssociation {
    const now = this.world.clock.nowMs();
    const association: ProfileAssociation = {
      id: newId('iip-assoc'),
      instanceId,
      profileArn: profile.arn,
      profileId: profile.id,
      state: immediate ? 'associated' : 'associating',
      readyAt: now + (immediate ? 0 : this.world.faults.profileAssociationSeconds * 1000),
      timestamp: new Date(now),
    };
    this.associations.set(association.id, association);
    return association;
  }

  active(instanceId: string): ProfileAssociation | undefined {
    return [...this.associations.values()].find(
      (a) => a.instanceId === instanceId && (a.state === 'associated' || a.state === 'associating'),
    );
  }

  /** The instance's profile as DescribeInstances shows it, or null. */
  instanceProfileOf(instanceId: string): { arn: string; id: string } | null {
    const a = this.active(instanceId);
    return a ? { arn: a.profileArn, id: a.profileId } : null;
  }

  /** Termination ends every association of the instance. */
  endFor(instanceId: string): void {
    for (const a of this.associations.values())
      if (a.instanceId === instanceId) this.associations.delete(a.id);
  }

  private resolveProfileRef(ref: { arn?: string; name?: string }): InstanceProfile {
    const { iam } = this.world;
    if (ref.arn) {
      const profile = iam.profileByArn(ref.arn);
      if (!profile) {
        throw new AwsError(
          'InvalidParameterValue',
          `Value (${ref.arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`,
        );
      }
      return profile;
    }
    const profile = ref.name ? iam.instanceProfiles.get(ref.name) : undefined;
    if (!profile) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${ref.name ?? ''}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
      );
    }
    return profile;
  }
}
