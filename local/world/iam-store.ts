/** IAM as the restore sees it: roles (and whom each may pass) and instance profiles. */
import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error';

/** One check as local/iam/ evaluates it (declared here so the world does not depend on local/iam/). */
export interface RoleAuthorization {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

/** The emulator's IAM as the world's services see it (local/iam/emulated-iam.ts sets it). */
export interface WorldAuthorizer {
  /** Whether `roleArn`, as session `session`, is allowed `authorization` by its policies. */
  allows(roleArn: string, session: string, authorization: RoleAuthorization): boolean;
  /**
   * IAM's SimulatePrincipalPolicy for a role or user ARN: its decision, and the policies whose
   * statements decided it; undefined when no such principal exists.
   */
  simulate(
    sourceArn: string,
    authorization: RoleAuthorization,
  ): { decision: 'allowed' | 'explicitDeny' | 'implicitDeny'; matched: readonly string[] } | undefined;
}

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
  /** Set when IAM is enforced: what a service acting as a role (AWS Backup's restore) is checked against. */
  authorizer: WorldAuthorizer | undefined;

  constructor(private readonly accountId: string) {}

  /**
   * Whether a role, acting as `session` inside a service (AWS Backup), may do `authorization`:
   * its synthesised policies when IAM is enforced; otherwise only iam:PassRole is checked, on the
   * scenario's `passRoles`.
   */
  allows(roleArn: string, session: string, authorization: RoleAuthorization): boolean {
    if (this.authorizer !== undefined) return this.authorizer.allows(roleArn, session, authorization);
    if (authorization.action !== 'iam:PassRole') return true;
    const passed = [...this.roles.values()].find((r) => r.arn === authorization.resource);
    return passed !== undefined && (this.roleByArn(roleArn)?.passRoles.includes(passed.name) ?? false);
  }

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
