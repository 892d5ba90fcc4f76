/** IAM as the restore sees it: roles (and whom each may pass) and instance profiles. */
import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error';

export interface Role {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  readonly path: string;
  readonly passRoles: readonly string[];
  readonly createDate: Date;
}
export interface InstanceProfile {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  readonly path: string;
  readonly roleName: string;
  readonly createDate: Date;
}

export class IamStore {
  readonly roles = new Map<string, Role>();
  readonly instanceProfiles = new Map<string, InstanceProfile>();

  constructor(private readonly accountId: string) {}

  addRole(spec: { name: string; path: string; passRoles: readonly string[] }, createDate: Date): Role {
    const role: Role = {
      ...spec,
      arn: this.roleArn(spec.name, spec.path),
      id: `AROA${hex(16).toUpperCase()}`,
      createDate,
    };
    this.roles.set(role.name, role);
    return role;
  }

  addInstanceProfile(
    spec: { name: string; path: string; roleName: string },
    createDate: Date,
  ): InstanceProfile {
    const profile: InstanceProfile = {
      ...spec,
      arn: `arn:aws:iam::${this.accountId}:instance-profile${spec.path}${spec.name}`,
      id: `AIPA${hex(16).toUpperCase()}`,
      createDate,
    };
    this.instanceProfiles.set(profile.name, profile);
    return profile;
  }

  getInstanceProfile(name: string): InstanceProfile {
    const profile = this.instanceProfiles.get(name);
    if (!profile) throw new AwsError('NoSuchEntity', `Instance Profile ${name} cannot be found.`, 404);
    return profile;
  }

  getRole(name: string): Role {
    const role = this.roles.get(name);
    if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return role;
  }

  roleByArn(arn: string): Role | undefined {
    return [...this.roles.values()].find((r) => r.arn === arn);
  }

  profileByArn(arn: string): InstanceProfile | undefined {
    return [...this.instanceProfiles.values()].find((p) => p.arn === arn);
  }

  roleArn(name: string, path: string): string {
    return `arn:aws:iam::${this.accountId}:role${path}${name}`;
  }
}

function hex(length: number): string {
  return createHash('sha256').update(randomUUID()).digest('hex').slice(0, length);
}
