/**
 * The emulator enforces the synthesised stack's policies on every signed request, for the
 * principal that signed it (local/iam/): the denial is each service's own error shape with AWS's
 * message, naming principal, action and resource.
 */
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type Emulator, FAKE_CREDENTIALS, startEmulator } from '@local/emulator';
import type { AccessKey } from '@local/iam/iam-enforcer';
import { DEMO, demoScenario } from '@test/helpers/scenarios';

let emulator: Emulator;
beforeAll(async () => {
  // A fixed clock: the executions the fleet test stops must still be running when it does.
  emulator = await startEmulator({ scenario: demoScenario(), clockMode: 'fixed' });
});
afterAll(() => emulator.stop());

const config = (credentials: AccessKey) => ({
  endpoint: emulator.endpoint,
  region: emulator.region,
  credentials,
  maxAttempts: 1,
});
const functionKey = (id: Parameters<Emulator['iam']['credentialsFor']>[0]) => emulator.iam.credentialsFor(id);
const fleetRoleKey = (session: string) => {
  const principal = emulator.iam.stateMachinePrincipal(emulator.stateMachineArns.restoreFleet, session);
  if (!principal) throw new Error('no fleet state machine role');
  return emulator.iam.enforcer.addKey(principal);
};

async function refusal(send: Promise<unknown>) {
  const error = (await send.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name: string; message: string; $metadata: { httpStatusCode: number } } | undefined;
  if (!error) throw new Error('the call was allowed');
  return { name: error.name, status: error.$metadata.httpStatusCode, message: error.message };
}

describe('EC2', () => {
  it("refuses cleanup's TerminateInstances on an instance the workflow did not tag, with UnauthorizedOperation", async () => {
    const ec2 = new EC2Client(config(functionKey('cleanup')));
    const denied = await refusal(ec2.send(new TerminateInstancesCommand({ InstanceIds: [DEMO.instance] })));

    expect(denied.name).toBe('UnauthorizedOperation');
    expect(denied.status).toBe(403);
    expect(denied.message).toMatch(
      /^You are not authorized to perform this operation\. User: arn:aws:sts::123456789012:assumed-role\/\w+CleanupFunction\w+\/ec2-restore-cleanup is not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance\/i-0de00000000000001 because no identity-based policy allows the ec2:TerminateInstances action$/,
    );
    expect(emulator.world.instances.get(DEMO.instance)?.state).toBe('running');
  });

  it('lets the administrator key do what it asks', async () => {
    const ec2 = new EC2Client(config(FAKE_CREDENTIALS));
    const out = await ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [DEMO.instance], DryRun: false }),
    );
    expect(out.TerminatingInstances?.[0]?.InstanceId).toBe(DEMO.instance);
  });

  it('refuses an unknown key and a wrong secret', async () => {
    const unknown = await refusal(
      new EC2Client(config({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' })).send(
        new TerminateInstancesCommand({ InstanceIds: [DEMO.instance] }),
      ),
    );
    expect(unknown).toMatchObject({ name: 'AuthFailure', status: 401 });
    const forged = await refusal(
      new EC2Client(config({ ...FAKE_CREDENTIALS, secretAccessKey: 'wrong' })).send(
        new TerminateInstancesCommand({ InstanceIds: [DEMO.instance] }),
      ),
    );
    expect(forged).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
  });
});

describe('JSON and Query services', () => {
  it("SSM: a step without ssm:GetParameter gets AccessDeniedException; the SSH check's own role reads the key", async () => {
    const name = `/ec2/keypair/${DEMO.keyPairId}`;
    const denied = await refusal(
      new SSMClient(config(functionKey('wait-instance'))).send(
        new GetParameterCommand({ Name: name, WithDecryption: true }),
      ),
    );
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/\w+\/ec2-restore-wait-instance is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter\/ec2\/keypair\/key-0de00000000000001 because no identity-based policy allows the ssm:GetParameter action$/,
    );
    const allowed = await new SSMClient(config(functionKey('check-ssh'))).send(
      new GetParameterCommand({ Name: name, WithDecryption: true }),
    );
    expect(allowed.Parameter?.Value).toContain('PRIVATE KEY');
  });

  it('IAM: AccessDenied for a step without iam:GetInstanceProfile, allowed for plan-restore', async () => {
    const input = { InstanceProfileName: DEMO.profileName };
    const denied = await refusal(
      new IAMClient(config(functionKey('cleanup'))).send(new GetInstanceProfileCommand(input)),
    );
    expect(denied).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(denied.message).toContain(
      `is not authorized to perform: iam:GetInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/${DEMO.profileName}`,
    );
    const allowed = await new IAMClient(config(functionKey('plan-restore'))).send(
      new GetInstanceProfileCommand(input),
    );
    expect(allowed.InstanceProfile?.InstanceProfileName).toBe(DEMO.profileName);
  });
});

describe('the fleet state machine role', () => {
  it("may stop its restore-instance children but not another state machine's execution of a similar name", async () => {
    const admin = new SFNClient(config(FAKE_CREDENTIALS));
    const definition = JSON.stringify({
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', Seconds: 86_400, End: true } },
    });
    const other = await admin.send(
      new CreateStateMachineCommand({
        name: 'restore-instance-copy',
        definition,
        roleArn: 'arn:aws:iam::123456789012:role/other-role',
      }),
    );
    const foreign = await admin.send(
      new StartExecutionCommand({ stateMachineArn: other.stateMachineArn, name: 'x' }),
    );
    const child = await admin.send(
      new StartExecutionCommand({
        stateMachineArn: emulator.stateMachineArns.restoreInstance,
        name: 'fleet-child',
        input: JSON.stringify({ instanceId: DEMO.instance, mode: 'test', ssh: { port: 2222 } }),
      }),
    );
    const fleet = new SFNClient(config(fleetRoleKey('fleet-test')));

    const denied = await refusal(
      fleet.send(new StopExecutionCommand({ executionArn: foreign.executionArn })),
    );
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/\w*RestoreFleetRole\w*\/fleet-test is not authorized to perform: states:StopExecution on resource: arn:aws:states:us-east-1:123456789012:execution:restore-instance-copy:x because no identity-based policy allows the states:StopExecution action$/,
    );
    expect(
      (await admin.send(new DescribeExecutionCommand({ executionArn: foreign.executionArn }))).status,
    ).toBe('RUNNING');

    await fleet.send(new StopExecutionCommand({ executionArn: child.executionArn }));
    expect(
      (await admin.send(new DescribeExecutionCommand({ executionArn: child.executionArn }))).status,
    ).toBe('ABORTED');
    await admin.send(new StopExecutionCommand({ executionArn: foreign.executionArn }));
  });
});
