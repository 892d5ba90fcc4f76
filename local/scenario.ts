/**
 * Scenario files: the emulated world (network, key pairs, roles, instances, backups) and the
 * faults to inject, as JSON. Validated with zod so a bad file fails before anything starts, with
 * the path of the bad field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`), {
    message: `must look like ${prefix}-0123456789abcdef0`,
  });
const isoDate = z.iso.datetime({ offset: true });
const tags = z.record(z.string().min(1).max(128), z.string().max(256)).default({});
const cidr24 = z
  .string()
  .regex(/^127\.\d{1,3}\.\d{1,3}\.0\/24$/, { message: 'must be a loopback /24 such as 127.10.1.0/24' });

const RestoreJobFaultSchema = z.strictObject({
  /** Simulated minutes from start to the job's end. */
  durationMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .optional(),
  /** What the job ends as. */
  outcome: z.enum(['COMPLETED', 'FAILED', 'ABORTED']).optional(),
  statusMessage: z.string().max(2000).optional(),
  /** The restored instance comes up without the instance profile it was restored with. */
  dropInstanceProfile: z.boolean().optional(),
});
export type RestoreJobFault = z.infer<typeof RestoreJobFaultSchema>;

const ApiErrorFaultSchema = z.strictObject({
  /** `<service>:<Operation>`, e.g. `ec2:AssociateAddress`, `backup:StartRestoreJob`. */
  api: z
    .string()
    .regex(/^(ec2|backup|ssm|iam|sfn):[A-Za-z]+$/, { message: 'must look like ec2:AssociateAddress' }),
  code: z.string().min(1),
  message: z.string().default('Injected fault'),
  status: z.int().min(400).max(599).default(400),
  /** How many calls fail before the API recovers. */
  times: z.int().min(1).default(1),
});

export const FaultsSchema = z
  .strictObject({
    /** Applies to every restore job unless `restoreJobsBySource` names the source instance. */
    restoreJob: RestoreJobFaultSchema.default({}),
    restoreJobsBySource: z.record(id('i'), RestoreJobFaultSchema).default({}),
    /** Elastic IPs per Region (AWS's default quota is 5). */
    elasticIpQuota: z.int().min(0).max(1000).default(5),
    ssh: z
      .strictObject({
        /** Simulated seconds from "running" until sshd answers. */
        bootDelaySeconds: z.number().min(0).max(3600).default(20),
        /** sshd rejects the instance's own key (e.g. a wrong authorized_keys). */
        rejectKey: z.boolean().default(false),
        /** No SSH listener at all (no route). */
        unreachable: z.boolean().default(false),
      })
      .prefault({}),
    /** Simulated seconds from launch to "running". */
    instanceBootSeconds: z.number().min(0).max(3600).default(30),
    /** Simulated seconds an instance profile association stays "associating". */
    profileAssociationSeconds: z.number().min(0).max(600).default(5),
    throttle: z
      .strictObject({
        /** Fraction of API calls answered with the service's throttling error. */
        rate: z.number().min(0).max(0.95),
        /** Only these services (default: all but Step Functions, whose client is the caller's). */
        services: z
          .array(z.enum(['ec2', 'backup', 'ssm', 'iam', 'sfn']))
          .default(['ec2', 'backup', 'ssm', 'iam']),
        seed: z.int().default(1),
      })
      .optional(),
    apiErrors: z.array(ApiErrorFaultSchema).default([]),
  })
  .prefault({});
export type Faults = z.infer<typeof FaultsSchema>;

const RecoveryPointSchema = z.strictObject({
  /** The AMI that is the recovery point; generated when absent. */
  imageId: id('ami').optional(),
  instanceId: id('i'),
  vault: z.string().regex(/^[a-zA-Z0-9\-_]{2,50}$/),
  creationDate: isoDate,
  status: z
    .enum(['COMPLETED', 'PARTIAL', 'DELETING', 'EXPIRED', 'AVAILABLE', 'STOPPED', 'CREATING'])
    .default('COMPLETED'),
  statusMessage: z.string().optional(),
  /** Restore metadata as AWS returns it (string → string). Default: derived from the instance. */
  restoreMetadata: z.record(z.string(), z.string()).optional(),
  tags: tags,
});

export const ScenarioSchema = z.strictObject({
  name: z.string().default('custom'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
    .default('us-east-1'),
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .default('123456789012'),
  clock: z
    .strictObject({
      speed: z.number().positive().max(100_000).default(60),
      /**
       * `event`: x1 while anything is in flight, and a jump to the next due timer whenever nothing
       * is (the demo and the tests: only real work costs wall time). `fixed`: always `speed` (a
       * person watching a rehearsal). Default: whoever runs the emulator decides (`event`, but
       * `ec2-restore local` runs `fixed` unless told `--clock event`).
       */
      mode: z.enum(['event', 'fixed']).optional(),
      /** Simulated time at start. Default: the real time. */
      start: isoDate.optional(),
    })
    .prefault({}),
  /** Second octet of the loopback range the emulator carves addresses from. Default: picked per process. */
  loopbackOctet: z.int().min(2).max(254).optional(),
  /** Port of every instance's sshd. */
  sshPort: z.int().min(1).max(65535).default(22),
  iam: z
    .strictObject({
      roles: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[\w+=,.@-]{1,64}$/),
            path: z
              .string()
              .regex(/^\/([\w+=,.@-]+\/)*$/)
              .default('/'),
            /**
             * Roles (names) this role may iam:PassRole. For the restore role these are the
             * deployment's `instanceRoleArns` context, from which its synthesised policy is built
             * (none: a deployment configured for other roles only).
             */
            passRoles: z.array(z.string()).default([]),
          }),
        )
        .default([]),
      /** The role the workflow's StartRestoreJob uses (RESTORE_ROLE_ARN). */
      restoreRoleName: z.string().default('ec2-restore-restore-role'),
      /**
       * Enforce the synthesised stack's IAM policies on every request (local/README.md, IAM).
       * `false` serves every request as if an administrator made it: for debugging only.
       */
      enforce: z.boolean().default(true),
      /**
       * Take an action out of a principal's synthesised Allow statements before enforcing them:
       * what a missing permission does to a run. `principal` is a function id
       * (`start-restore-job`), `restore-role`, `state-machine:restore-instance`,
       * `state-machine:restore-fleet` or `api-integration`.
       */
      revoke: z
        .array(
          z.strictObject({
            principal: z.string().min(1),
            action: z.string().regex(/^[a-z0-9-]+:[A-Za-z]+$/),
          }),
        )
        .default([]),
    })
    .prefault({}),
  vpcs: z.array(z.strictObject({ id: id('vpc'), tags })).default([]),
  subnets: z
    .array(
      z.strictObject({
        id: id('subnet'),
        vpcId: id('vpc'),
        cidrBlock: cidr24.optional(),
        availabilityZone: z.string().optional(),
        mapPublicIpOnLaunch: z.boolean().default(false),
        tags,
      }),
    )
    .default([]),
  securityGroups: z
    .array(
      z.strictObject({
        id: id('sg'),
        name: z.string().min(1),
        vpcId: id('vpc'),
        description: z.string().default(''),
      }),
    )
    .default([]),
  keyPairs: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(255),
        id: id('key'),
        /** OpenSSH or PEM private key; generated (ed25519) when absent. */
        privateKey: z.string().optional(),
        /** Store the private key at /ec2/keypair/<id>, as CloudFormation does. */
        storeInParameterStore: z.boolean().default(true),
      }),
    )
    .default([]),
  instanceProfiles: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[\w+=,.@-]{1,128}$/),
        roleName: z.string(),
        path: z.string().default('/'),
      }),
    )
    .default([]),
  instances: z
    .array(
      z.strictObject({
        id: id('i'),
        name: z.string().optional(),
        subnetId: id('subnet'),
        securityGroupIds: z.array(id('sg')).min(1),
        keyName: z.string().optional(),
        instanceType: z.string().default('t3.micro'),
        instanceProfileName: z.string().optional(),
        state: z.enum(['running', 'stopped', 'terminated']).default('running'),
        publicIp: z.boolean().default(false),
        tags,
      }),
    )
    .default([]),
  backupVaults: z.array(z.strictObject({ name: z.string().regex(/^[a-zA-Z0-9\-_]{2,50}$/) })).default([]),
  recoveryPoints: z.array(RecoveryPointSchema).default([]),
  /** Daily recovery points, as a backup plan with cron(0 <hour> * * ? *) would have made. */
  backupPlan: z
    .strictObject({
      vault: z.string(),
      hourUtc: z.int().min(0).max(23).default(21),
      days: z.int().min(1).max(400).default(30),
      /** Instances whose tags include this tag are backed up (the selection). */
      selectionTag: z.strictObject({ key: z.string(), value: z.string() }),
      /** The newest point's status, e.g. PARTIAL to test fallback to the previous day. */
      latestStatus: z.enum(['COMPLETED', 'PARTIAL']).default('COMPLETED'),
    })
    .optional(),
  faults: FaultsSchema,
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Parse a scenario; every problem is reported with the JSON path of the field. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const result = ScenarioSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
    throw new ScenarioError(`Invalid ${source}:\n- ${problems.join('\n- ')}`);
  }
  const scenario = result.data;
  const problems = crossCheck(scenario);
  if (problems.length > 0) throw new ScenarioError(`Invalid ${source}:\n- ${problems.join('\n- ')}`);
  return scenario;
}

export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`Cannot read scenario file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`Scenario file ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseScenario(raw, `scenario file ${path}`);
}

/** References between sections must resolve (a subnet's VPC exists, and so on). */
function crossCheck(s: Scenario): string[] {
  const problems: string[] = [];
  const has = <T>(list: readonly T[], pick: (t: T) => string) => new Set(list.map(pick));
  const vpcs = has(s.vpcs, (v) => v.id);
  const subnets = has(s.subnets, (v) => v.id);
  const groups = has(s.securityGroups, (v) => v.id);
  const keys = has(s.keyPairs, (k) => k.name);
  const roles = has(s.iam.roles, (r) => r.name);
  const profiles = has(s.instanceProfiles, (p) => p.name);
  const vaults = has(s.backupVaults, (v) => v.name);
  const instances = has(s.instances, (i) => i.id);
  s.subnets.forEach((sub, i) => {
    if (!vpcs.has(sub.vpcId)) problems.push(`subnets.${i}.vpcId: no VPC ${sub.vpcId}`);
  });
  s.securityGroups.forEach((g, i) => {
    if (!vpcs.has(g.vpcId)) problems.push(`securityGroups.${i}.vpcId: no VPC ${g.vpcId}`);
  });
  s.instanceProfiles.forEach((p, i) => {
    if (!roles.has(p.roleName))
      problems.push(`instanceProfiles.${i}.roleName: no role ${p.roleName} in iam.roles`);
  });
  s.instances.forEach((inst, i) => {
    if (!subnets.has(inst.subnetId)) problems.push(`instances.${i}.subnetId: no subnet ${inst.subnetId}`);
    inst.securityGroupIds.forEach((g, j) => {
      if (!groups.has(g)) problems.push(`instances.${i}.securityGroupIds.${j}: no security group ${g}`);
    });
    if (inst.keyName && !keys.has(inst.keyName))
      problems.push(`instances.${i}.keyName: no key pair ${inst.keyName}`);
    if (inst.instanceProfileName && !profiles.has(inst.instanceProfileName)) {
      problems.push(`instances.${i}.instanceProfileName: no instance profile ${inst.instanceProfileName}`);
    }
  });
  s.recoveryPoints.forEach((rp, i) => {
    if (!vaults.has(rp.vault)) problems.push(`recoveryPoints.${i}.vault: no backup vault ${rp.vault}`);
    if (!instances.has(rp.instanceId) && !rp.restoreMetadata) {
      problems.push(
        `recoveryPoints.${i}: instance ${rp.instanceId} is not in instances, so restoreMetadata is required`,
      );
    }
  });
  if (s.backupPlan && !vaults.has(s.backupPlan.vault))
    problems.push(`backupPlan.vault: no backup vault ${s.backupPlan.vault}`);
  if (!roles.has(s.iam.restoreRoleName))
    problems.push(`iam.restoreRoleName: no role ${s.iam.restoreRoleName} in iam.roles`);
  return problems;
}
