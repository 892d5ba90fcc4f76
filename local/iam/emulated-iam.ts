/**
 * The emulator's IAM, assembled from a scenario: the orchestrator stack synthesised with the
 * context the scenario implies (the roles of its instance profiles → `instanceRoleArns`), every
 * principal of it loaded (./synthesised-principals.ts), the scenario's restore role narrowed to
 * its `passRoles` and the scenario's revocations applied, an
 * access key per Lambda function, and the restore role's policies made what AWS Backup's restore
 * is checked against (world/iam-store.ts). With `iam.enforce: false` nothing is synthesised and
 * every request is served as the administrator's.
 */
import { type AnyFunctionId, FLEET_FUNCTION_IDS, FUNCTION_IDS } from '@shared/env';
import type { Scenario } from '../scenario';
import type { World } from '../world';
import { type AccessKey, ADMINISTRATOR_ACCESS, IamEnforcer, type Principal } from './iam-enforcer';
import type { NamedPolicy, PolicyStatement } from './policy-evaluator';
import { readSynthesisedPrincipals, type SynthesisedPrincipals } from './synthesised-principals';
import { type CloudFormationTemplate, synthesiseOrchestratorTemplate } from './synthesised-stack';

export interface EmulatedIam {
  readonly enforcer: IamEnforcer;
  /** The synthesised template the policies come from (undefined when not enforcing). */
  readonly template: CloudFormationTemplate | undefined;
  /** What loading the synthesised policies cost at start (undefined when not enforcing). */
  readonly startup: { readonly milliseconds: number; readonly cached: boolean } | undefined;
  /**
   * The key of a function the stack names by its `ec2-restore:function` metadata (the janitor):
   * its synthesised role when enforcing, else the administrator's.
   */
  credentialsForRunner(runs: string, functionName: string): AccessKey;
  /** The key a Lambda function's SDK clients sign with. */
  credentialsFor(id: AnyFunctionId): AccessKey;
  /** The principal a state machine's integrations run as. */
  stateMachinePrincipal(stateMachineArn: string, executionName: string): Principal | undefined;
  /** The REST API integration's principal. */
  apiIntegrationPrincipal(): Principal | undefined;
  /** The administrator (FAKE_CREDENTIALS): everything allowed. */
  readonly admin: Principal;
  /**
   * Keys of the IAM users `ec2-restore-operator` and `ec2-restore-viewer`, bound to the stack's
   * operator and viewer policies (infra/constructs/operator-policies.ts); undefined when IAM is
   * not enforced (then only the administrator's key exists).
   */
  readonly operator: AccessKey | undefined;
  readonly viewer: AccessKey | undefined;
}

/** A role no instance has: the instanceRoleArns of a deployment whose restore role may pass none. */
export const NO_INSTANCE_ROLE = 'ec2-restore-no-instance-role';

export function createEmulatedIam(options: {
  world: World;
  scenario: Scenario;
  adminKey: AccessKey;
  stateMachineArns: { restoreInstance: string; restoreFleet: string };
  functionArn: (id: AnyFunctionId) => string;
  restApiId: string;
  log?: (line: string) => void;
}): EmulatedIam {
  const { world, scenario } = options;
  const enforce = scenario.iam.enforce;
  let synthesised: SynthesisedPrincipals | undefined;
  let startup: EmulatedIam['startup'];
  let template: CloudFormationTemplate | undefined;
  if (enforce) {
    const obtained = scenarioTemplate(scenario);
    template = obtained.template;
    startup = { milliseconds: obtained.milliseconds, cached: obtained.cached };
    synthesised = readSynthesisedPrincipals(obtained.template, {
      region: world.region,
      accountId: world.accountId,
      restoreRoleArn: world.restoreRoleArn,
      functionArn: options.functionArn,
      stateMachineArns: options.stateMachineArns,
      functionIds: [...FUNCTION_IDS, ...FLEET_FUNCTION_IDS],
      restApiId: options.restApiId,
    });
    for (const warning of synthesised.warnings) options.log?.(`iam: ${warning}`);
    narrowRestoreRole(synthesised, scenario);
    for (const { principal, action } of scenario.iam.revoke) revoke(synthesised, principal, action);
    options.log?.(
      `iam: ${synthesised.roles.size} roles of the synthesised stack enforced (${obtained.cached ? 'cached' : 'synthesised'} in ${(obtained.milliseconds / 1000).toFixed(1)} s)`,
    );
  }
  const enforcer = new IamEnforcer(world, synthesised, enforce);
  const admin: Principal = {
    arn: `arn:aws:iam::${world.accountId}:user/emulator`,
    sourceArn: `arn:aws:iam::${world.accountId}:user/emulator`,
    policies: [ADMINISTRATOR_ACCESS],
  };
  enforcer.addKey(admin, options.adminKey);
  world.iam.authorizer = enforce
    ? {
        allows: (roleArn, session, authorization) =>
          enforcer.decide(enforcer.rolePrincipal(roleArn, session), authorization).decision === 'allowed',
        simulate: (sourceArn, authorization) => {
          const principal = enforcer.principalFor(sourceArn);
          if (principal === undefined) return undefined;
          const { decision, matched } = enforcer.decide(principal, authorization);
          return { decision, matched: matched.map((m) => m.policy) };
        },
      }
    : undefined;

  const user = (name: string, policyId: RegExp): AccessKey | undefined => {
    const policy = [...(synthesised?.managedPolicies.values() ?? [])].find((p) => policyId.test(p.logicalId));
    if (policy === undefined) return undefined;
    const arn = `arn:aws:iam::${world.accountId}:user/${name}`;
    return enforcer.addKey({ arn, sourceArn: arn, policies: [policy.policy] });
  };
  const operator = user('ec2-restore-operator', /CliPoliciesOperator[0-9A-F]{8}$/);
  const viewer = user('ec2-restore-viewer', /CliPoliciesViewer[0-9A-F]{8}$/);
  if (enforce && (operator === undefined || viewer === undefined))
    throw new Error(
      'the synthesised stack has no operator or viewer policy (infra/constructs/operator-policies.ts)',
    );

  const functionKeys = new Map<AnyFunctionId, AccessKey>();
  const runnerKeys = new Map<string, AccessKey>();
  return {
    credentialsForRunner: (runs, functionName) => {
      let key = runnerKeys.get(runs);
      if (key === undefined) {
        const roleArn = synthesised?.runnerRoles.get(runs);
        if (roleArn === undefined) {
          if (enforce) throw new Error(`the synthesised stack has no function that runs ${runs}`);
          key = options.adminKey;
        } else {
          key = enforcer.addKey(enforcer.rolePrincipal(roleArn, functionName));
        }
        runnerKeys.set(runs, key);
      }
      return key;
    },
    enforcer,
    template,
    startup,
    admin,
    operator,
    viewer,
    credentialsFor: (id) => {
      let key = functionKeys.get(id);
      if (key === undefined) {
        const roleArn = synthesised?.functionRoles.get(id);
        if (roleArn === undefined) {
          if (enforce) throw new Error(`the synthesised stack has no function ${id}`);
          key = options.adminKey;
        } else {
          const functionName = options.functionArn(id).split(':').pop() as string;
          key = enforcer.addKey(enforcer.rolePrincipal(roleArn, functionName));
        }
        functionKeys.set(id, key);
      }
      return key;
    },
    stateMachinePrincipal: (stateMachineArn, executionName) => {
      const roleArn = synthesised?.stateMachineRoles.get(stateMachineArn);
      return roleArn === undefined ? undefined : enforcer.rolePrincipal(roleArn, executionName);
    },
    apiIntegrationPrincipal: () => {
      const roleArn = synthesised?.apiIntegrationRole;
      return roleArn === undefined ? undefined : enforcer.rolePrincipal(roleArn, 'ApiGateway');
    },
  };
}

/** The roles of the scenario's instance profiles: what the deployment is configured to restore. */
export function instanceRoleArns(scenario: Scenario): string[] {
  const arns = [
    ...new Set(scenario.instanceProfiles.map((profile) => roleArnOf(scenario, profile.roleName))),
  ];
  return arns.length > 0 ? arns : [roleArnOf(scenario, NO_INSTANCE_ROLE)];
}

function roleArnOf(scenario: Scenario, name: string): string {
  const role = scenario.iam.roles.find((r) => r.name === name);
  return `arn:aws:iam::${scenario.accountId}:role${role?.path ?? '/'}${name}`;
}

/** The template the emulator enforces for a scenario (cached on disk: ./synthesised-stack.ts). */
export function scenarioTemplate(scenario: Scenario) {
  return synthesiseOrchestratorTemplate({
    account: scenario.accountId,
    region: scenario.region,
    context: { instanceRoleArns: instanceRoleArns(scenario), sshProbeNetworks: sshProbeNetworks(scenario) },
  });
}

/**
 * The VPCs the scenario's world deploys an SSH probe in (local/world/network-paths.ts: every VPC
 * with `sshProbe` and a subnet, the probe in its first subnet), as the deployment's context.
 */
function sshProbeNetworks(scenario: Scenario) {
  return scenario.vpcs.flatMap((vpc) => {
    const subnet = scenario.subnets.find((s) => s.vpcId === vpc.id);
    return vpc.sshProbe && subnet
      ? [{ vpcId: vpc.id, subnetIds: [subnet.id], ports: [scenario.sshPort] }]
      : [];
  });
}

/**
 * The scenario's restore role may pass only its `passRoles` (none when it lists none): a restore
 * role narrower than the deployment's, as one deployed with older instanceRoleArns or not made by
 * this stack would be. Modelled as one more explicit Deny on it, so the synthesised statements
 * still decide everything else (the demo's restore role lists exactly the deployment's roles).
 */
function narrowRestoreRole(synthesised: SynthesisedPrincipals, scenario: Scenario): void {
  const role = synthesised.roles.get(synthesised.restoreRole);
  const entry = scenario.iam.roles.find((r) => r.name === scenario.iam.restoreRoleName);
  if (role === undefined || entry === undefined) return;
  const passable = entry.passRoles.map((name) => roleArnOf(scenario, name));
  role.policies.push({
    name: 'scenario: the restore role passRoles',
    document: {
      Version: '2012-10-17',
      Statement: [
        passable.length > 0
          ? { Effect: 'Deny', Action: 'iam:PassRole', NotResource: passable }
          : { Effect: 'Deny', Action: 'iam:PassRole', Resource: '*' },
      ],
    },
  });
}

/** The synthesised role a revocation's principal name stands for. */
function roleOf(synthesised: SynthesisedPrincipals, principal: string): string | undefined {
  if (principal === 'restore-role') return synthesised.restoreRole;
  if (principal === 'api-integration') return synthesised.apiIntegrationRole;
  if (principal.startsWith('state-machine:')) {
    const name = principal.slice('state-machine:'.length);
    return [...synthesised.stateMachineRoles].find(([arn]) => arn.endsWith(`:stateMachine:${name}`))?.[1];
  }
  return synthesised.functionRoles.get(principal as AnyFunctionId);
}

/**
 * Takes `action` out of every Allow statement of the principal's policies. A grant that covers it
 * only through a wildcard (`ec2:Describe*`) cannot be taken out this way, so that is an error.
 */
function revoke(synthesised: SynthesisedPrincipals, principal: string, action: string): void {
  const roleArn = roleOf(synthesised, principal);
  const role = roleArn === undefined ? undefined : synthesised.roles.get(roleArn);
  if (role === undefined) throw new Error(`iam.revoke: no principal ${principal} in the synthesised stack`);
  let removed = 0;
  const edited: NamedPolicy[] = role.policies.map((policy) => {
    const statements = ([] as PolicyStatement[]).concat(policy.document.Statement as PolicyStatement[]);
    const kept = statements.flatMap((statement): PolicyStatement[] => {
      if (statement.Effect !== 'Allow' || statement.Action === undefined) return [statement];
      const actions = ([] as string[]).concat(statement.Action as string[]);
      const left = actions.filter((a) => a.toLowerCase() !== action.toLowerCase());
      if (left.length === actions.length) return [statement];
      removed += 1;
      return left.length === 0 ? [] : [{ ...statement, Action: left }];
    });
    return { name: policy.name, document: { ...policy.document, Statement: kept } };
  });
  if (removed === 0)
    throw new Error(`iam.revoke: no Allow statement of ${principal} (${role.arn}) names ${action}`);
  role.policies.splice(0, role.policies.length, ...edited);
}
