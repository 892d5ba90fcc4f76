import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTEXT_KEYS, readAppContext } from '@infra/app-context';
import { GUARDRAIL_CONTEXT_KEYS } from '@shared/function-environments';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EXAMPLE_CONTEXT, synthApp } from './synth';

const ROLE = 'arn:aws:iam::123456789012:role/app-instance-role';

describe('readAppContext', () => {
  it('fills every default from docs/architecture.md when only the instance roles are given', () => {
    const context = readAppContext({ instanceRoleArns: ROLE });

    expect(context.orchestrator).toEqual({
      instanceRoleArns: [ROLE],
      allowAccountWidePassRole: false,
      keyPairParameterPrefix: '/ec2/keypair/',
      notificationEmails: [],
      schedules: [],
      sshProbeNetworks: [],
      api: { throttlingRateLimit: 5, throttlingBurstLimit: 10, cloudWatchRole: true },
      encryptionKey: 'create',
      // Today's behaviour: nothing refused, IMDSv2 as the request or the source has it.
      guardrails: {
        publicIp: { test: ['auto', 'always', 'never'], recovery: ['auto', 'always', 'never'] },
        allowPassRole: true,
        requireImdsV2: false,
        subnetIds: [],
        securityGroupIds: [],
      },
      janitor: { sweepSchedule: 'rate(1 hour)', retentionMinutes: 30 },
    });
    expect(context.backup).toEqual({
      vaultName: 'EC2',
      planName: 'EC2',
      ruleName: 'EC2',
      scheduleExpression: 'cron(0 21 * * ? *)',
      scheduleTimeZone: undefined,
      startWindowMinutes: 60,
      deleteAfterDays: 30,
      selectionName: 'Tag-AWSBackup-EC2',
      tagKey: 'AWSBackup',
      tagValue: 'EC2',
      deletionProtection: { breakGlassRoleArn: null },
    });
  });

  it('reads the encryption key and the recovery-point protection, and rejects what they cannot be', () => {
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const breakGlass = 'arn:aws:iam::123456789012:role/backup-admin';
    const given = readAppContext({
      instanceRoleArns: ROLE,
      kmsKey: keyArn,
      breakGlassRoleArn: breakGlass,
    });
    const off = readAppContext({ instanceRoleArns: ROLE, kmsKey: 'none', protectRecoveryPoints: 'false' });

    expect(given.orchestrator.encryptionKey).toEqual({ keyArn });
    expect(given.backup?.deletionProtection).toEqual({ breakGlassRoleArn: breakGlass });
    expect(off.orchestrator.encryptionKey).toBe('none');
    expect(off.backup?.deletionProtection).toBe(false);
    const bad = () =>
      readAppContext({ instanceRoleArns: ROLE, kmsKey: 'alias/aws/sns', breakGlassRoleArn: 'backup-admin' });
    expect(bad).toThrow(/context key kmsKey: must be create, none or a KMS key ARN/);
    expect(bad).toThrow(/context key breakGlassRoleArn: must be an IAM role ARN/);
  });

  it('reads the strings that -c key=value gives: lists, numbers, booleans and JSON', () => {
    const context = readAppContext({
      instanceRoleArns: `${ROLE}, arn:aws:iam::123456789012:role/app/*`,
      backupDeleteAfterDays: '35',
      deployApi: 'false',
      deployBackupStack: 'false',
      restoreTestSchedules:
        '[{"name":"n","expression":"rate(1 day)","input":{"instanceId":"i-0123456789abcdef0"}}]',
    });

    expect(context.orchestrator.instanceRoleArns).toEqual([ROLE, 'arn:aws:iam::123456789012:role/app/*']);
    expect(context.orchestrator.api).toBe(false);
    expect(context.backup).toBeUndefined();
    expect(context.orchestrator.schedules).toEqual([
      { name: 'n', expression: 'rate(1 day)', input: { instanceId: 'i-0123456789abcdef0' } },
    ]);
  });

  it('names the key and the value of every bad entry', () => {
    const act = () =>
      readAppContext({
        instanceRoleArns: ROLE,
        backupDeleteAfterDays: 'thirty',
        apiGatewayCloudWatchRole: 'yes',
      });

    expect(act).toThrow(/context key backupDeleteAfterDays: must be a number \(got "thirty"\)/);
    expect(act).toThrow(/context key apiGatewayCloudWatchRole: must be true or false \(got "yes"\)/);
  });

  it.each([
    'arn:aws:iam::123456789012:role/*',
    'arn:aws:iam::123456789012:role/*/*',
    'arn:aws:iam::123456789012:role/?*',
  ])('refuses the account-wide instance role %s unless allowAccountWidePassRole is true', (wide) => {
    const act = () => readAppContext({ instanceRoleArns: `${ROLE},${wide}` });

    expect(act).toThrow(
      `context key instanceRoleArns, at 1: instanceRoleArns entry "${wide}" matches every IAM role of the account`,
    );
    expect(act).toThrow(/set allowAccountWidePassRole to true\./);
    // -c allowAccountWidePassRole=true arrives as a string.
    const accepted = readAppContext({
      instanceRoleArns: `${ROLE},${wide}`,
      allowAccountWidePassRole: 'true',
    });
    expect(accepted.orchestrator).toMatchObject({
      instanceRoleArns: [ROLE, wide],
      allowAccountWidePassRole: true,
    });
  });

  it('keeps path-scoped instance-role patterns allowed without the opt-in', () => {
    const context = readAppContext({ instanceRoleArns: 'arn:aws:iam::123456789012:role/app/*' });

    expect(context.orchestrator).toMatchObject({
      instanceRoleArns: ['arn:aws:iam::123456789012:role/app/*'],
      allowAccountWidePassRole: false,
    });
  });

  it('rejects a key-pair prefix the Lambdas would reject at run time', () => {
    expect(() => readAppContext({ instanceRoleArns: ROLE, keyPairParameterPrefix: '/' })).toThrow(
      /context key keyPairParameterPrefix: must start and end with \//,
    );
  });

  it('says the instance roles are required when they are missing', () => {
    expect(() => readAppContext({})).toThrow('context key instanceRoleArns: is required');
  });

  it('points into a schedule entry that is wrong', () => {
    const act = () =>
      readAppContext({
        instanceRoleArns: ROLE,
        restoreTestSchedules: [{ name: 'n', expression: 'daily', timeZone: 'Mars/Olympus', input: {} }],
      });

    expect(act).toThrow(
      'context key restoreTestSchedules, at 0.expression: must be a cron(...) or rate(...) expression',
    );
    expect(act).toThrow('context key restoreTestSchedules, at 0.timeZone: must be an IANA time zone');
  });

  it('rejects a key it does not know, so a typo never deploys a default', () => {
    expect(() => readAppContext({ instanceRoleArns: ROLE, backupVaultname: 'Prod' })).toThrow(
      'Unknown context key(s): backupVaultname.',
    );
  });

  it("ignores the CDK's own keys", () => {
    const context = readAppContext({
      instanceRoleArns: ROLE,
      '@aws-cdk/core:newStyleStackSynthesis': true,
      'aws:cdk:bundling-stacks': [],
      'availability-zones:account=123456789012:region=us-east-1': ['us-east-1a'],
    });

    expect(context.orchestrator.instanceRoleArns).toEqual([ROLE]);
  });

  it('accepts the example context of cdk.json', () => {
    expect(readAppContext(EXAMPLE_CONTEXT).orchestrator.schedules).toHaveLength(1);
  });

  it('has every key documented in infra/README.md', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'infra', 'README.md'), 'utf8');

    expect(CONTEXT_KEYS.filter((key) => !readme.includes(`\`${key}\``))).toEqual([]);
  });

  it('reads the guardrails, typed in cdk.json or as the strings -c gives', () => {
    const typed = readAppContext({
      instanceRoleArns: ROLE,
      guardrailPublicIpTest: ['auto', 'never'],
      guardrailPublicIpRecovery: ['auto', 'always'],
      guardrailAllowPassRole: false,
      guardrailRequireImdsV2: true,
      guardrailSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa'],
      guardrailSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaaa', 'sg-0bbbbbbbbbbbbbbbb'],
    });
    const strings = readAppContext({
      instanceRoleArns: ROLE,
      guardrailPublicIpTest: 'auto,never',
      guardrailPublicIpRecovery: 'auto, always',
      guardrailAllowPassRole: 'false',
      guardrailRequireImdsV2: 'true',
      guardrailSubnetIds: 'subnet-0aaaaaaaaaaaaaaaa',
      guardrailSecurityGroupIds: 'sg-0aaaaaaaaaaaaaaaa,sg-0bbbbbbbbbbbbbbbb',
    });

    expect(typed.orchestrator.guardrails).toEqual({
      publicIp: { test: ['auto', 'never'], recovery: ['auto', 'always'] },
      allowPassRole: false,
      requireImdsV2: true,
      subnetIds: ['subnet-0aaaaaaaaaaaaaaaa'],
      securityGroupIds: ['sg-0aaaaaaaaaaaaaaaa', 'sg-0bbbbbbbbbbbbbbbb'],
    });
    expect(strings.orchestrator.guardrails).toEqual(typed.orchestrator.guardrails);
  });

  it('rejects guardrail values the workflow could not apply, naming the key', () => {
    const act = () =>
      readAppContext({
        instanceRoleArns: ROLE,
        guardrailPublicIpTest: 'auto,sometimes',
        guardrailPublicIpRecovery: [],
        guardrailRequireImdsV2: 'yes',
        guardrailSubnetIds: 'sg-0aaaaaaaaaaaaaaaa',
        guardrailSecurityGroupIds: ['subnet-0aaaaaaaaaaaaaaaa'],
      });

    expect(act).toThrow('context key guardrailPublicIpTest, at 1: may contain only auto, always and never');
    expect(act).toThrow(
      'context key guardrailPublicIpRecovery: must allow at least one of auto, always and never',
    );
    expect(act).toThrow('context key guardrailRequireImdsV2: must be true or false (got "yes")');
    expect(act).toThrow('context key guardrailSubnetIds, at 0: must be subnet ids (subnet-…)');
    expect(act).toThrow('context key guardrailSecurityGroupIds, at 0: must be security group ids (sg-…)');
  });

  it('reads exactly the context keys whose names the workflow gives in its refusals', () => {
    expect(CONTEXT_KEYS).toEqual(expect.arrayContaining(Object.values(GUARDRAIL_CONTEXT_KEYS)));
  });

  it('refuses a scheduled restore test that the guardrails would refuse every time it fires', () => {
    const schedule = (input: Record<string, unknown>) => [
      { name: 'weekly', expression: 'rate(7 days)', input: { instanceId: 'i-0123456789abcdef0', ...input } },
    ];

    expect(() =>
      readAppContext({
        instanceRoleArns: ROLE,
        guardrailPublicIpTest: 'auto,never',
        restoreTestSchedules: schedule({ publicIp: 'always' }),
      }),
    ).toThrow(
      'context key restoreTestSchedules, at 0.input (weekly): Refused by this deployment\'s guardrails: publicIp "always" is not allowed in test mode (context key guardrailPublicIpTest allows "auto", "never").',
    );
    // Test mode unless the input sets one, as the schedules construct starts it.
    expect(
      readAppContext({
        instanceRoleArns: ROLE,
        guardrailPublicIpRecovery: 'never',
        restoreTestSchedules: schedule({}),
      }).orchestrator.schedules,
    ).toHaveLength(1);
  });
});

describe('guardrails as deployed', () => {
  const environmentOf = (context: Record<string, unknown>) => {
    const { orchestrator: stack } = synthApp(context);
    const fn = stack.orchestrator.functions['validate-input'];
    const id = stack.getLogicalId(fn.node.defaultChild as CfnElement);
    return Template.fromStack(stack).toJSON().Resources[id].Properties.Environment.Variables;
  };

  it("are validate-input's environment, today's behaviour spelt out by default", () => {
    expect(environmentOf({})).toEqual({
      GUARDRAIL_PUBLIC_IP_TEST: 'auto,always,never',
      GUARDRAIL_PUBLIC_IP_RECOVERY: 'auto,always,never',
      GUARDRAIL_ALLOW_PASSROLE: 'true',
      GUARDRAIL_REQUIRE_IMDSV2: 'false',
      POWERTOOLS_SERVICE_NAME: 'ec2-restore-orchestrator',
    });
  });

  it('carry every configured guardrail', () => {
    expect(
      environmentOf({
        guardrailPublicIpTest: 'auto,never',
        guardrailAllowPassRole: 'false',
        guardrailRequireImdsV2: 'true',
        guardrailSubnetIds: 'subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb',
        guardrailSecurityGroupIds: 'sg-0aaaaaaaaaaaaaaaa',
      }),
    ).toEqual({
      GUARDRAIL_PUBLIC_IP_TEST: 'auto,never',
      GUARDRAIL_PUBLIC_IP_RECOVERY: 'auto,always,never',
      GUARDRAIL_ALLOW_PASSROLE: 'false',
      GUARDRAIL_REQUIRE_IMDSV2: 'true',
      GUARDRAIL_SUBNET_IDS: 'subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb',
      GUARDRAIL_SECURITY_GROUP_IDS: 'sg-0aaaaaaaaaaaaaaaa',
      POWERTOOLS_SERVICE_NAME: 'ec2-restore-orchestrator',
    });
  });
});
