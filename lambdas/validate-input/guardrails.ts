import type { FunctionEnv } from '@shared/env';
import { InvalidInputError } from '@shared/errors';
import { GUARDRAIL_CONTEXT_KEYS } from '@shared/function-environments';
import type { RestoreRequest } from '@shared/restore-request';

/** The guardrails as validate-input's environment carries them (lambdas/shared/env.ts). */
export type Guardrails = Omit<FunctionEnv<'validate-input'>, 'LOG_LEVEL'>;

/** Today's behaviour: what an unset environment gives. */
export const NO_GUARDRAILS: Guardrails = {
  GUARDRAIL_PUBLIC_IP_TEST: ['auto', 'always', 'never'],
  GUARDRAIL_PUBLIC_IP_RECOVERY: ['auto', 'always', 'never'],
  GUARDRAIL_ALLOW_PASSROLE: true,
  GUARDRAIL_REQUIRE_IMDSV2: false,
  GUARDRAIL_SUBNET_IDS: [],
  GUARDRAIL_SECURITY_GROUP_IDS: [],
};

const list = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(', ');

/**
 * Apply the deployment's guardrails to a parsed request: refuse what they forbid (every broken
 * guardrail at once, each naming the field and the context key that forbids it), and force IMDSv2
 * on when the deployment requires it. Only what the request chooses is checked: without
 * `overrides.subnetId` the copy goes where the recovery point's metadata puts it (the source's
 * subnet), which the caller did not choose.
 */
export function applyGuardrails(request: RestoreRequest, guardrails: Guardrails): RestoreRequest {
  const problems: { field: string; text: string }[] = [];
  const [allowedPublicIp, publicIpKey] =
    request.mode === 'test'
      ? [guardrails.GUARDRAIL_PUBLIC_IP_TEST, GUARDRAIL_CONTEXT_KEYS.publicIpTest]
      : [guardrails.GUARDRAIL_PUBLIC_IP_RECOVERY, GUARDRAIL_CONTEXT_KEYS.publicIpRecovery];
  if (!allowedPublicIp.includes(request.publicIp)) {
    problems.push({
      field: 'publicIp',
      text: `publicIp "${request.publicIp}" is not allowed in ${request.mode} mode (context key ${publicIpKey} allows ${list(allowedPublicIp)})`,
    });
  }
  if (request.instanceProfile === 'passrole' && !guardrails.GUARDRAIL_ALLOW_PASSROLE) {
    problems.push({
      field: 'instanceProfile',
      text: `instanceProfile "passrole" is not allowed (context key ${GUARDRAIL_CONTEXT_KEYS.allowPassRole} is false); use "reattach" or "none"`,
    });
  }
  if (guardrails.GUARDRAIL_REQUIRE_IMDSV2 && request.overrides.requireImdsV2 === false) {
    problems.push({
      field: 'overrides.requireImdsV2',
      text: `overrides.requireImdsV2 false is not allowed (context key ${GUARDRAIL_CONTEXT_KEYS.requireImdsV2} is true: every restore requires IMDSv2)`,
    });
  }
  const subnetId = request.overrides.subnetId;
  const allowedSubnets = guardrails.GUARDRAIL_SUBNET_IDS;
  if (subnetId !== undefined && allowedSubnets.length > 0 && !allowedSubnets.includes(subnetId)) {
    problems.push({
      field: 'overrides.subnetId',
      text: `overrides.subnetId "${subnetId}" is not allowed (context key ${GUARDRAIL_CONTEXT_KEYS.subnetIds} allows ${list(allowedSubnets)})`,
    });
  }
  const allowedGroups = guardrails.GUARDRAIL_SECURITY_GROUP_IDS;
  const refusedGroups = (request.overrides.securityGroupIds ?? []).filter(
    (id) => allowedGroups.length > 0 && !allowedGroups.includes(id),
  );
  if (refusedGroups.length > 0) {
    problems.push({
      field: 'overrides.securityGroupIds',
      text: `overrides.securityGroupIds ${list(refusedGroups)} not allowed (context key ${GUARDRAIL_CONTEXT_KEYS.securityGroupIds} allows ${list(allowedGroups)})`,
    });
  }
  if (problems.length > 0) {
    throw new InvalidInputError(
      `Refused by this deployment's guardrails: ${problems.map((p) => p.text).join('; ')}.`,
      problems.map((p) => p.field),
    );
  }
  if (!guardrails.GUARDRAIL_REQUIRE_IMDSV2 || request.overrides.requireImdsV2 === true) return request;
  return { ...request, overrides: { ...request.overrides, requireImdsV2: true } };
}
