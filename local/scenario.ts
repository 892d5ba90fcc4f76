/**
 * Scenario files: the emulated world (network, key pairs, roles, instances, backups) and the
 * faults to inject, as JSON. Validated with zod so a bad file fails before anything starts, with
 * the path of the bad field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { cidrContains } from './world/cidr';

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`), {
    message: `must look like ${prefix}-0123456789abcdef0`,
  });
const isoDate = z.iso.datetime({ offset: true });
const tags = z.record(z.string().min(1).max(128), z.string().max(256)).default({});
const ipv4Cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, {
    message: 'must be an IPv4 CIDR block such as 10.0.0.0/8 or 0.0.0.0/0',
  })
  .refine(
    (v) =>
      v
        .split('/')[0]
        ?.split('.')
        .every((o) => Number(o) <= 255),
    {
      message: 'must be an IPv4 CIDR block with octets 0-255',
    },
  );
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
    /**
     * The instances' console output (GetConsoleOutput): `none` never posts any; `mismatch` posts
     * fingerprints of a host key other than the one the instance's sshd offers.
     */
    consoleOutput: z.enum(['none', 'mismatch']).optional(),
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

/** One inbound or outbound security-group rule: a protocol, a port range and one source or destination. */
const SecurityGroupRuleSchema = z
  .strictObject({
    /** `tcp`, or `-1` for all protocols and ports (fromPort/toPort are then ignored). */
    protocol: z.enum(['tcp', '-1']),
    fromPort: z.int().min(0).max(65535).optional(),
    toPort: z.int().min(0).max(65535).optional(),
    cidrIp: ipv4Cidr.optional(),
    sourceGroupId: id('sg').optional(),
    description: z.string().max(255).optional(),
  })
  .refine((r) => (r.cidrIp === undefined) !== (r.sourceGroupId === undefined), {
    message: 'a rule names exactly one of cidrIp and sourceGroupId',
  })
  .refine((r) => r.protocol === '-1' || (r.fromPort !== undefined && r.toPort !== undefined), {
    message: 'a tcp rule needs fromPort and toPort',
  })
  .refine((r) => r.fromPort === undefined || r.toPort === undefined || r.fromPort <= r.toPort, {
    message: 'fromPort must not exceed toPort',
  });
export type SecurityGroupRuleInput = z.output<typeof SecurityGroupRuleSchema>;

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
  vpcs: z
    .array(
      z.strictObject({
        id: id('vpc'),
        /**
         * The VPC's range. Every address in the emulator is a loopback address, so it is a
         * 127.0.0.0/8 block; default 127.<loopback octet>.0.0/16, the emulator's whole range.
         */
        cidrBlock: ipv4Cidr
          .refine((c) => c.startsWith('127.'), {
            message: 'must be a loopback block (127.…), as every emulated address is',
          })
          // The emulated internet connects from 127.0.0.1: a VPC holding it would let a rule on
          // the VPC's own range admit the internet, which AWS never does.
          .refine((c) => !cidrContains(c, '127.0.0.1'), {
            message: 'must not contain 127.0.0.1, the address the emulated internet connects from',
          })
          .optional(),
        /**
         * The orchestrator deploys an in-VPC SSH probe here (the `sshProbeNetworks` context lists
         * this VPC). `false` models a VPC missing from that context.
         */
        sshProbe: z.boolean().default(true),
        tags,
      }),
    )
    .default([]),
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
        /** Inbound rules; none (the default) admits nothing. */
        ingress: z.array(SecurityGroupRuleSchema).default([]),
        /** Outbound rules; default all traffic to 0.0.0.0/0, as a new group has. */
        egress: z.array(SecurityGroupRuleSchema).default([{ protocol: '-1', cidrIp: '0.0.0.0/0' }]),
      }),
    )
    .default([]),
  /**
   * Route tables. A subnet uses the table that names it in `subnetIds`, else its VPC's main table;
   * a subnet with neither has no route out (private): the fail-safe default.
   */
  routeTables: z
    .array(
      z.strictObject({
        id: id('rtb'),
        vpcId: id('vpc'),
        main: z.boolean().default(false),
        subnetIds: z.array(id('subnet')).default([]),
        routes: z
          .array(
            z
              .strictObject({
                destinationCidrBlock: ipv4Cidr,
                gatewayId: z
                  .string()
                  .regex(/^(local|igw-(?:[0-9a-f]{8}|[0-9a-f]{17}))$/, {
                    message: 'must be "local" or look like igw-0123456789abcdef0',
                  })
                  .optional(),
                natGatewayId: id('nat').optional(),
              })
              .refine((r) => (r.gatewayId === undefined) !== (r.natGatewayId === undefined), {
                message: 'a route names exactly one of gatewayId and natGatewayId',
              }),
          )
          .default([]),
        tags,
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
  const unique = <T>(section: string, list: readonly T[], pick: (t: T) => string) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const key = pick(item);
      if (seen.has(key)) problems.push(`${section}.${i}: ${key} is already defined`);
      seen.add(key);
    });
  };
  unique('vpcs', s.vpcs, (v) => v.id);
  unique('subnets', s.subnets, (v) => v.id);
  unique('securityGroups', s.securityGroups, (v) => v.id);
  unique('keyPairs', s.keyPairs, (k) => k.name);
  unique('instances', s.instances, (v) => v.id);
  s.subnets.forEach((sub, i) => {
    const vpc = s.vpcs.find((v) => v.id === sub.vpcId);
    if (!vpc) problems.push(`subnets.${i}.vpcId: no VPC ${sub.vpcId}`);
    else if (
      sub.cidrBlock &&
      vpc.cidrBlock &&
      !cidrContains(vpc.cidrBlock, sub.cidrBlock.split('/')[0] ?? '')
    )
      problems.push(`subnets.${i}.cidrBlock: ${sub.cidrBlock} is outside VPC ${vpc.id}'s ${vpc.cidrBlock}`);
  });
  s.securityGroups.forEach((g, i) => {
    if (!vpcs.has(g.vpcId)) problems.push(`securityGroups.${i}.vpcId: no VPC ${g.vpcId}`);
  });
  s.securityGroups.forEach((g, i) => {
    for (const [kind, rules] of [
      ['ingress', g.ingress],
      ['egress', g.egress],
    ] as const) {
      rules.forEach((r, j) => {
        if (r.sourceGroupId && !groups.has(r.sourceGroupId))
          problems.push(
            `securityGroups.${i}.${kind}.${j}.sourceGroupId: no security group ${r.sourceGroupId}`,
          );
      });
    }
  });
  const mainTables = new Map<string, number>();
  const associated = new Map<string, string>();
  s.routeTables.forEach((t, i) => {
    if (!vpcs.has(t.vpcId)) problems.push(`routeTables.${i}.vpcId: no VPC ${t.vpcId}`);
    if (t.main) mainTables.set(t.vpcId, (mainTables.get(t.vpcId) ?? 0) + 1);
    t.subnetIds.forEach((subnetId, j) => {
      const subnet = s.subnets.find((sub) => sub.id === subnetId);
      if (!subnet) problems.push(`routeTables.${i}.subnetIds.${j}: no subnet ${subnetId}`);
      else if (subnet.vpcId !== t.vpcId)
        problems.push(
          `routeTables.${i}.subnetIds.${j}: subnet ${subnetId} is in ${subnet.vpcId}, not ${t.vpcId}`,
        );
      const other = associated.get(subnetId);
      if (other)
        problems.push(
          `routeTables.${i}.subnetIds.${j}: subnet ${subnetId} is already associated with ${other}`,
        );
      associated.set(subnetId, t.id);
    });
  });
  for (const [vpcId, count] of mainTables)
    if (count > 1) problems.push(`routeTables: VPC ${vpcId} has ${count} main route tables (at most one)`);
  s.instanceProfiles.forEach((p, i) => {
    if (!roles.has(p.roleName))
      problems.push(`instanceProfiles.${i}.roleName: no role ${p.roleName} in iam.roles`);
  });
  s.instances.forEach((inst, i) => {
    if (!subnets.has(inst.subnetId)) problems.push(`instances.${i}.subnetId: no subnet ${inst.subnetId}`);
    const vpcId = s.subnets.find((sub) => sub.id === inst.subnetId)?.vpcId;
    inst.securityGroupIds.forEach((g, j) => {
      const group = s.securityGroups.find((sg) => sg.id === g);
      if (!group) problems.push(`instances.${i}.securityGroupIds.${j}: no security group ${g}`);
      else if (vpcId && group.vpcId !== vpcId)
        problems.push(
          `instances.${i}.securityGroupIds.${j}: ${g} is in ${group.vpcId}, the subnet in ${vpcId}`,
        );
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
  for (const source of Object.keys(s.faults.restoreJobsBySource)) {
    if (!instances.has(source) && !s.recoveryPoints.some((rp) => rp.instanceId === source))
      problems.push(`faults.restoreJobsBySource.${source}: no instance or recovery point of ${source}`);
  }
  if (s.backupPlan && !vaults.has(s.backupPlan.vault))
    problems.push(`backupPlan.vault: no backup vault ${s.backupPlan.vault}`);
  if (!roles.has(s.iam.restoreRoleName))
    problems.push(`iam.restoreRoleName: no role ${s.iam.restoreRoleName} in iam.roles`);
  return problems;
}
