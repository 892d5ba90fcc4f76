/**
 * Who is who in the synthesised orchestrator stack, as the emulator enforces it: every IAM role
 * with its inline policies, AWS::IAM::Policy resources and managed policies (AWS-managed ones
 * from ./managed-policies/, customer-managed ones from the template), and which role each Lambda
 * function, state machine and REST API integration runs as. The template's intrinsic functions
 * are resolved against the emulator: function and state machine ARNs become the emulated ones, the
 * restore role becomes the scenario's restore role, other roles are named by their logical id.
 */
import type { AnyFunctionId } from '@shared/env';
import { intrinsicResolver } from '../cloudformation-intrinsics';
import { managedPolicy } from './managed-policies';
import type { NamedPolicy, PolicyDocument } from './policy-evaluator';
import type { CloudFormationTemplate } from './synthesised-stack';

export interface SynthesisedRole {
  readonly logicalId: string;
  readonly arn: string;
  readonly name: string;
  readonly policies: NamedPolicy[];
}

export interface SynthesisedUserPolicy {
  readonly logicalId: string;
  /** `arn:aws:iam::<account>:policy/<name>`. */
  readonly arn: string;
  readonly policy: NamedPolicy;
}

export interface SynthesisedPrincipals {
  /** By role ARN. */
  readonly roles: ReadonlyMap<string, SynthesisedRole>;
  readonly functionRoles: ReadonlyMap<AnyFunctionId, string>;
  /**
   * Role ARN of the functions that name what they run in the `ec2-restore:function` metadata
   * (infra/constructs/janitor.ts), by that name: the janitor, which is no step.
   */
  readonly runnerRoles: ReadonlyMap<string, string>;
  /** State machine ARN → role ARN. */
  readonly stateMachineRoles: ReadonlyMap<string, string>;
  /** The REST API integration's role (Integration.Credentials), if the stack has an API. */
  readonly apiIntegrationRole: string | undefined;
  readonly restoreRole: string;
  /** Customer-managed policies by logical id, with what they attach to (the operator/viewer ones). */
  readonly managedPolicies: ReadonlyMap<string, SynthesisedUserPolicy>;
  /** Warnings: an AWS-managed policy without a data file (its grants are left out: stricter). */
  readonly warnings: readonly string[];
}

export interface EmulatedNames {
  readonly region: string;
  readonly accountId: string;
  /** The scenario's restore role: the synthesised RestoreRole becomes it. */
  readonly restoreRoleArn: string;
  readonly functionArn: (id: AnyFunctionId) => string;
  readonly stateMachineArns: { readonly restoreInstance: string; readonly restoreFleet: string };
  readonly functionIds: readonly AnyFunctionId[];
  /** The emulated REST API's id: the stack's RestApi resolves to it (execute-api ARNs name it). */
  readonly restApiId: string;
}

type Props = Record<string, unknown>;

export function readSynthesisedPrincipals(
  template: CloudFormationTemplate,
  names: EmulatedNames,
): SynthesisedPrincipals {
  const resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const warnings: string[] = [];

  // Logical id → what Ref and Fn::GetAtt Arn give in the emulator.
  const arns = new Map<string, string>();
  const refs = new Map<string, string>();
  const functionIdOf = new Map<string, AnyFunctionId>();
  for (const [logicalId, resource] of ofType('AWS::Lambda::Function')) {
    const id = names.functionIds.find((f) =>
      new RegExp(`^\\w*?${pascal(f)}Function[0-9A-F]{8}$`).test(logicalId),
    );
    // A function with an explicit name (the in-VPC SSH probes) has the ARN its name gives.
    const functionName = resource.Properties?.FunctionName;
    if (id === undefined && typeof functionName === 'string') {
      const arn = `arn:aws:lambda:${names.region}:${names.accountId}:function:${functionName}`;
      arns.set(logicalId, arn);
      refs.set(logicalId, functionName);
    }
    if (id === undefined) continue;
    functionIdOf.set(logicalId, id);
    arns.set(logicalId, names.functionArn(id));
    refs.set(logicalId, names.functionArn(id).split(':').pop() as string);
  }
  for (const [logicalId] of ofType('AWS::StepFunctions::StateMachine')) {
    const arn = /RestoreFleet[0-9A-F]{8}$/.test(logicalId)
      ? names.stateMachineArns.restoreFleet
      : /RestoreInstance[0-9A-F]{8}$/.test(logicalId)
        ? names.stateMachineArns.restoreInstance
        : undefined;
    if (arn !== undefined) {
      arns.set(logicalId, arn);
      refs.set(logicalId, arn);
    }
  }
  // The restore role is the one the functions are told to pass to AWS Backup.
  const restoreRoleId = ofType('AWS::Lambda::Function')
    .map(
      ([, f]) =>
        (f.Properties?.Environment as { Variables?: Props } | undefined)?.Variables?.RESTORE_ROLE_ARN,
    )
    .map((value) => (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0])
    .find((id) => id !== undefined);
  for (const [logicalId] of ofType('AWS::IAM::Role')) {
    const arn =
      logicalId === restoreRoleId
        ? names.restoreRoleArn
        : `arn:aws:iam::${names.accountId}:role/${logicalId}`;
    arns.set(logicalId, arn);
    refs.set(logicalId, arn.split('/').pop() as string);
  }
  for (const [logicalId] of ofType('AWS::IAM::ManagedPolicy')) {
    const arn = `arn:aws:iam::${names.accountId}:policy/${logicalId}`;
    arns.set(logicalId, arn);
    refs.set(logicalId, arn);
  }
  for (const [logicalId] of ofType('AWS::ApiGateway::RestApi')) refs.set(logicalId, names.restApiId);
  // SNS topics as local/events/stack-events.ts names them (Ref of a topic is its ARN).
  for (const [logicalId, topic] of ofType('AWS::SNS::Topic')) {
    const name = (topic.Properties?.TopicName as string | undefined) ?? logicalId;
    const arn = `arn:aws:sns:${names.region}:${names.accountId}:${name}`;
    arns.set(logicalId, arn);
    refs.set(logicalId, arn);
  }
  const resolve = intrinsicResolver({
    region: names.region,
    accountId: names.accountId,
    // A resource the emulator does not run (a topic, a key): its logical id, never a live ARN.
    ref: (id) => refs.get(id),
    getAtt: (id, attribute) => (attribute === 'Arn' ? arns.get(id) : undefined),
  });

  const roles = new Map<string, SynthesisedRole>();
  const roleByLogicalId = new Map<string, SynthesisedRole>();
  for (const [logicalId, role] of ofType('AWS::IAM::Role')) {
    const p = (role.Properties ?? {}) as Props;
    const arn = arns.get(logicalId) as string;
    const policies: NamedPolicy[] = [];
    for (const inline of (p.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]) {
      policies.push({ name: inline.PolicyName, document: resolve(inline.PolicyDocument) as PolicyDocument });
    }
    for (const managedArn of (resolve(p.ManagedPolicyArns ?? []) as string[]).map(String)) {
      if (!managedArn.startsWith('arn:aws:iam::aws:policy/')) continue; // customer-managed: below
      const document = managedPolicy(managedArn);
      if (document === undefined) warnings.push(`no data file for the AWS-managed policy ${managedArn}`);
      else policies.push({ name: managedArn, document });
    }
    const entry = { logicalId, arn, name: arn.split('/').pop() as string, policies };
    roles.set(arn, entry);
    roleByLogicalId.set(logicalId, entry);
  }
  const roleIdsOf = (value: unknown) =>
    ((value ?? []) as { Ref?: string }[]).map((ref) => ref.Ref).filter((id) => id !== undefined);
  for (const [logicalId, policy] of ofType('AWS::IAM::Policy')) {
    const p = (policy.Properties ?? {}) as Props;
    const named = {
      name: String(p.PolicyName ?? logicalId),
      document: resolve(p.PolicyDocument) as PolicyDocument,
    };
    for (const roleId of roleIdsOf(p.Roles)) roleByLogicalId.get(roleId)?.policies.push(named);
  }
  const managedPolicies = new Map<string, SynthesisedUserPolicy>();
  for (const [logicalId, policy] of ofType('AWS::IAM::ManagedPolicy')) {
    const p = (policy.Properties ?? {}) as Props;
    const arn = arns.get(logicalId) as string;
    const named = { name: arn, document: resolve(p.PolicyDocument) as PolicyDocument };
    managedPolicies.set(logicalId, { logicalId, arn, policy: named });
    for (const roleId of roleIdsOf(p.Roles)) roleByLogicalId.get(roleId)?.policies.push(named);
  }
  for (const role of roles.values()) {
    const attached = (resources[role.logicalId]?.Properties?.ManagedPolicyArns ?? []) as unknown[];
    for (const ref of attached) {
      const id = (ref as { Ref?: string }).Ref;
      const managed = id === undefined ? undefined : managedPolicies.get(id);
      if (managed) role.policies.push(managed.policy);
    }
  }

  const functionRoles = new Map<AnyFunctionId, string>();
  for (const [logicalId, fn] of ofType('AWS::Lambda::Function')) {
    const id = functionIdOf.get(logicalId);
    if (id !== undefined) functionRoles.set(id, String(resolve(fn.Properties?.Role)));
  }
  const runnerRoles = new Map<string, string>();
  for (const [, fn] of ofType('AWS::Lambda::Function')) {
    const runs = (fn as { Metadata?: Record<string, unknown> }).Metadata?.['ec2-restore:function'];
    if (typeof runs === 'string') runnerRoles.set(runs, String(resolve(fn.Properties?.Role)));
  }
  const stateMachineRoles = new Map<string, string>();
  for (const [logicalId, sm] of ofType('AWS::StepFunctions::StateMachine')) {
    const arn = arns.get(logicalId);
    if (arn !== undefined) stateMachineRoles.set(arn, String(resolve(sm.Properties?.RoleArn)));
  }
  const credentials = ofType('AWS::ApiGateway::Method')
    .map(([, m]) => (m.Properties?.Integration as Props | undefined)?.Credentials)
    .find((value) => value !== undefined);
  return {
    roles,
    functionRoles,
    runnerRoles,
    stateMachineRoles,
    apiIntegrationRole: credentials === undefined ? undefined : String(resolve(credentials)),
    restoreRole: names.restoreRoleArn,
    managedPolicies,
    warnings,
  };
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}
