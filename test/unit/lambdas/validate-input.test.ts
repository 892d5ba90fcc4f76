import { NO_GUARDRAILS } from '@lambdas/validate-input/guardrails';
import { step } from '@lambdas/validate-input/handler';
import { validateInput } from '@lambdas/validate-input/validate-input';
import { parseEnv } from '@shared/env';
import { InvalidInputError } from '@shared/errors';
import { guardrailEnvironment, type RestoreGuardrails } from '@shared/function-environments';
import { createHandler } from '@shared/handler';
import { IDS, initialState } from '@test/helpers/workflow-state';

const execution = initialState().execution;

function rejection(
  input: unknown,
  guardrails = NO_GUARDRAILS,
  name: string = execution.name,
): InvalidInputError {
  try {
    validateInput({ input, execution: { ...execution, name } }, guardrails);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected InvalidInputError, but the input was accepted');
}

describe('validate-input', () => {
  it('fills in the contract defaults for a minimal request', () => {
    const request = validateInput({ input: { instanceId: IDS.sourceInstance }, execution });

    expect(request).toEqual({
      instanceId: IDS.sourceInstance,
      overrides: {},
      instanceProfile: 'reattach',
      publicIp: 'auto',
      ssh: {
        enabled: true,
        username: 'ec2-user',
        port: 22,
        target: 'auto',
        timeoutSeconds: 600,
        privateKeyParameter: null,
        commands: [],
        commandTimeoutSeconds: 30,
      },
      mode: 'recovery',
      dryRun: false,
      restoreTimeoutMinutes: 240,
      tags: {},
    });
  });

  it('keeps every field of a full request', () => {
    const input = {
      resourceArn: `arn:aws:ec2:us-east-1:123456789012:instance/${IDS.sourceInstance}`,
      instanceId: IDS.sourceInstance,
      restorePointBefore: '2026-11-20T00:00:00Z',
      backupVaultName: 'EC2',
      overrides: {
        subnetId: IDS.subnet,
        securityGroupIds: [IDS.securityGroup],
        instanceType: 't3.small',
        requireImdsV2: true,
      },
      instanceProfile: 'passrole',
      publicIp: 'never',
      ssh: {
        enabled: false,
        username: 'ubuntu',
        port: 2222,
        target: 'private',
        timeoutSeconds: 120,
        privateKeyParameter: '/keys/app',
      },
      mode: 'test',
      dryRun: true,
      tags: { Ticket: 'OPS-123' },
    };

    expect(validateInput({ input, execution })).toMatchObject(input);
  });

  it.each([
    ['a malformed instance id', { instanceId: 'i-123' }, 'instanceId'],
    ['no instance, resource or recovery point', { mode: 'test' }, 'instanceId'],
    ['an unknown enum value', { instanceId: IDS.sourceInstance, publicIp: 'sometimes' }, 'publicIp'],
    [
      'a restorePointBefore that is not ISO-8601',
      { instanceId: IDS.sourceInstance, restorePointBefore: '20 Nov 2026' },
      'restorePointBefore',
    ],
    [
      'a malformed security group id',
      { instanceId: IDS.sourceInstance, overrides: { securityGroupIds: ['sg-x'] } },
      'overrides.securityGroupIds.0',
    ],
    ['a misspelt field', { instanceId: IDS.sourceInstance, dryrun: true }, 'dryrun'],
    ['a port of the wrong type', { instanceId: IDS.sourceInstance, ssh: { port: '22' } }, 'ssh.port'],
    [
      'a reserved tag key',
      { instanceId: IDS.sourceInstance, tags: { 'ec2-restore:execution': 'x' } },
      'tags',
    ],
    [
      'a resourceArn naming another instance',
      {
        instanceId: IDS.sourceInstance,
        resourceArn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0aaaaaaaaaaaaaaaa',
      },
      'resourceArn',
    ],
    [
      'a recovery point ARN that is not an AMI',
      { recoveryPointArn: 'arn:aws:backup:us-east-1:123456789012:recovery-point:abc' },
      'recoveryPointArn',
    ],
  ])('rejects %s and names the field', (_what, input, field) => {
    const error = rejection(input);

    expect(error.name).toBe('InvalidInputError');
    expect(error.fields).toContain(field);
    expect(error.message).toContain(field);
  });

  it("refuses commands that may take longer together than the SSH check's budget, and takes what fits", () => {
    const ssh = (count: number, commandTimeoutSeconds: number) => ({
      instanceId: IDS.sourceInstance,
      ssh: { commands: Array.from({ length: count }, (_, i) => `check-${i}`), commandTimeoutSeconds },
    });

    expect(rejection(ssh(3, 300)).message).toContain(
      'ssh.commands: 3 commands × 300 s (ssh.commandTimeoutSeconds) may take longer than the 600 s the SSH check has for them',
    );
    expect(rejection(ssh(10, 61)).message).toContain('ssh.commands: 10 commands × 61 s');
    expect(validateInput({ input: ssh(2, 300), execution }).ssh.commands).toHaveLength(2);
    expect(validateInput({ input: ssh(10, 60), execution }).ssh.commands).toHaveLength(10);
  });

  it('rejects input that is not an object without echoing a huge value', () => {
    const error = rejection('x'.repeat(100_000));

    expect(error.message.length).toBeLessThan(200);
  });

  it('surfaces InvalidInputError through the Lambda handler unchanged', async () => {
    const handler = createHandler(step, { env: {} });

    await expect(handler(initialState({ instanceId: 'nope' }))).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
  });
});

/** The guardrails as the deployed function reads them: through its environment, from the settings. */
const guarded = (settings: RestoreGuardrails) => {
  const { LOG_LEVEL: _, ...guardrails } = parseEnv('validate-input', guardrailEnvironment(settings));
  return guardrails;
};
const SUBNET_B = 'subnet-0bbbbbbbbbbbbbbbb';
const SG_B = 'sg-0bbbbbbbbbbbbbbbb';
const SG_C = 'sg-0cccccccccccccccc';
const source = { instanceId: IDS.sourceInstance };

describe('validate-input guardrails', () => {
  it('lets everything through when none is set, as before', () => {
    const request = validateInput(
      {
        input: {
          ...source,
          publicIp: 'always',
          instanceProfile: 'passrole',
          overrides: { requireImdsV2: false, subnetId: SUBNET_B, securityGroupIds: [SG_B] },
        },
        execution,
      },
      guarded({}),
    );

    expect(request).toMatchObject({ publicIp: 'always', instanceProfile: 'passrole' });
    expect(request.overrides).toEqual({ requireImdsV2: false, subnetId: SUBNET_B, securityGroupIds: [SG_B] });
  });

  it('allows the publicIp values of the request mode and refuses the others, naming the context key', () => {
    const guardrails = guarded({ publicIp: { test: ['auto', 'never'], recovery: ['auto', 'always'] } });

    expect(validateInput({ input: { ...source, mode: 'test' }, execution }, guardrails).publicIp).toBe(
      'auto',
    );
    expect(
      validateInput({ input: { ...source, mode: 'recovery', publicIp: 'always' }, execution }, guardrails)
        .publicIp,
    ).toBe('always');
    const test = rejection({ ...source, mode: 'test', publicIp: 'always' }, guardrails);
    expect(test.fields).toEqual(['publicIp']);
    expect(test.message).toBe(
      `Refused by this deployment's guardrails: publicIp "always" is not allowed in test mode (context key guardrailPublicIpTest allows "auto", "never").`,
    );
    const recovery = rejection({ ...source, publicIp: 'never' }, guardrails);
    expect(recovery.message).toBe(
      `Refused by this deployment's guardrails: publicIp "never" is not allowed in recovery mode (context key guardrailPublicIpRecovery allows "auto", "always").`,
    );
  });

  it('refuses a request that leaves publicIp at its default when the mode does not allow auto', () => {
    const error = rejection({ ...source, mode: 'test' }, guarded({ publicIp: { test: ['never'] } }));

    expect(error.message).toContain('publicIp "auto" is not allowed in test mode');
  });

  it('refuses instanceProfile passrole when it is not allowed, and keeps reattach and none', () => {
    const guardrails = guarded({ allowPassRole: false });

    for (const instanceProfile of ['reattach', 'none'] as const) {
      expect(
        validateInput({ input: { ...source, instanceProfile }, execution }, guardrails).instanceProfile,
      ).toBe(instanceProfile);
    }
    const error = rejection({ ...source, instanceProfile: 'passrole' }, guardrails);
    expect(error.fields).toEqual(['instanceProfile']);
    expect(error.message).toBe(
      `Refused by this deployment's guardrails: instanceProfile "passrole" is not allowed (context key guardrailAllowPassRole is false); use "reattach" or "none".`,
    );
  });

  it('forces IMDSv2 when required: unset becomes true, true stays, false is refused', () => {
    const guardrails = guarded({ requireImdsV2: true });
    const imds = (overrides: object) =>
      validateInput({ input: { ...source, overrides }, execution }, guardrails).overrides.requireImdsV2;

    expect(imds({})).toBe(true);
    expect(imds({ requireImdsV2: true })).toBe(true);
    const error = rejection({ ...source, overrides: { requireImdsV2: false } }, guardrails);
    expect(error.fields).toEqual(['overrides.requireImdsV2']);
    expect(error.message).toBe(
      `Refused by this deployment's guardrails: overrides.requireImdsV2 false is not allowed (context key guardrailRequireImdsV2 is true: every restore requires IMDSv2).`,
    );
  });

  it('leaves requireImdsV2 unset when IMDSv2 is not forced, so the source keeps what it had', () => {
    expect(validateInput({ input: source, execution }, guarded({})).overrides).toEqual({});
  });

  it('allows only the listed subnets and security groups, and any subnet without an override', () => {
    const guardrails = guarded({ subnetIds: [IDS.subnet], securityGroupIds: [IDS.securityGroup, SG_B] });

    expect(
      validateInput(
        { input: { ...source, overrides: { subnetId: IDS.subnet, securityGroupIds: [SG_B] } }, execution },
        guardrails,
      ).overrides,
    ).toEqual({ subnetId: IDS.subnet, securityGroupIds: [SG_B] });
    expect(validateInput({ input: source, execution }, guardrails).overrides).toEqual({});
    const subnet = rejection({ ...source, overrides: { subnetId: SUBNET_B } }, guardrails);
    expect(subnet.fields).toEqual(['overrides.subnetId']);
    expect(subnet.message).toBe(
      `Refused by this deployment's guardrails: overrides.subnetId "${SUBNET_B}" is not allowed (context key guardrailSubnetIds allows "${IDS.subnet}").`,
    );
    const groups = rejection({ ...source, overrides: { securityGroupIds: [SG_B, SG_C] } }, guardrails);
    expect(groups.fields).toEqual(['overrides.securityGroupIds']);
    expect(groups.message).toBe(
      `Refused by this deployment's guardrails: overrides.securityGroupIds "${SG_C}" not allowed (context key guardrailSecurityGroupIds allows "${IDS.securityGroup}", "${SG_B}").`,
    );
  });

  it('names every broken guardrail at once', () => {
    const error = rejection(
      { ...source, publicIp: 'always', instanceProfile: 'passrole', overrides: { subnetId: SUBNET_B } },
      guarded({ publicIp: { recovery: ['auto'] }, allowPassRole: false, subnetIds: [IDS.subnet] }),
    );

    expect(error.fields).toEqual(['publicIp', 'instanceProfile', 'overrides.subnetId']);
  });

  it('applies the guardrails the Lambda handler reads from its environment', async () => {
    const handler = createHandler(step, { env: guardrailEnvironment({ allowPassRole: false }) });

    await expect(handler(initialState({ ...source, instanceProfile: 'passrole' }))).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('guardrailAllowPassRole'),
    });
  });

  it('refuses a misconfigured guardrail environment instead of running unguarded', () => {
    expect(() => parseEnv('validate-input', { GUARDRAIL_PUBLIC_IP_TEST: 'auto,sometimes' })).toThrow(
      /validate-input is misconfigured: GUARDRAIL_PUBLIC_IP_TEST/,
    );
    expect(() => parseEnv('validate-input', { GUARDRAIL_SUBNET_IDS: 'sg-0aaaaaaaaaaaaaaaa' })).toThrow(
      /GUARDRAIL_SUBNET_IDS.*must be subnet ids/,
    );
    expect(() => parseEnv('validate-input', { GUARDRAIL_ALLOW_PASSROLE: 'no' })).toThrow(
      /GUARDRAIL_ALLOW_PASSROLE: must be true or false/,
    );
  });
});

describe('validate-input execution names that carry a mode', () => {
  it.each([
    ['api-test-nightly', 'test'],
    ['api-recovery-ops-123', 'recovery'],
    ['restore-i-0123', 'recovery'],
    ['restore-i-0123', 'test'],
    // The CLI's default test names and the suites' names are not reserved.
    ['test-i-0123-20261120T101500Z', 'recovery'],
    ['recovery-drill', 'test'],
  ])('accepts %s in %s mode', (name, mode) => {
    expect(
      validateInput({ input: { ...source, mode }, execution: { ...execution, name } }, NO_GUARDRAILS).mode,
    ).toBe(mode);
  });

  it.each([
    ['api-test-nightly', 'recovery', 'api-test-', 'test'],
    ['api-recovery-ops-123', 'test', 'api-recovery-', 'recovery'],
  ])('refuses %s in %s mode', (name, mode, prefix, prefixMode) => {
    const error = rejection({ ...source, mode }, NO_GUARDRAILS, name);

    expect(error.fields).toEqual(['mode']);
    expect(error.message).toBe(
      `Invalid restore request: mode: the execution name "${name}" starts with "${prefix}", which only ${prefixMode}-mode restores may use (got mode "${mode}"); name it otherwise or set mode "${prefixMode}".`,
    );
  });
});
