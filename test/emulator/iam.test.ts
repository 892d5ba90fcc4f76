/**
 * The IAM adapter on the wire: the unmodified SDK v3 client and the AWS CLI against the
 * emulator's front door.
 */
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListInstanceProfilesCommand,
  NoSuchEntityException,
  paginateListInstanceProfiles,
} from '@aws-sdk/client-iam';
import { Ec2Adapter } from '@local/services/ec2';
import { IamAdapter } from '@local/services/iam';
import { awsCli } from '@test/helpers/aws-cli';
import { awsFailure } from '@test/helpers/failure';
import { clientConfig, type FrontDoor, startFrontDoor } from '@test/helpers/front-door';
import { DEMO, demoScenario } from '@test/helpers/scenarios';
import { parseableEd25519Key } from '@test/helpers/ssh-keys';
import { xmlPaths, xmlText } from '@test/helpers/xml-paths';

const SIGNED_IAM =
  'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0';

let door: FrontDoor;
let iam: IAMClient;

beforeAll(async () => {
  const scenario = demoScenario({
    keyPairs: [{ name: DEMO.keyName, id: DEMO.keyPairId, privateKey: parseableEd25519Key() }],
    iam: {
      roles: [
        { name: DEMO.instanceRole },
        { name: 'batch-role', path: '/service/' },
        { name: DEMO.restoreRole, passRoles: [DEMO.instanceRole] },
      ],
      restoreRoleName: DEMO.restoreRole,
    },
    instanceProfiles: [
      { name: DEMO.profileName, roleName: DEMO.instanceRole },
      { name: 'batch-profile', roleName: 'batch-role', path: '/service/' },
      { name: 'other-profile', roleName: DEMO.instanceRole },
    ],
  });
  door = await startFrontDoor(scenario, (world) => ({
    ec2: new Ec2Adapter(world),
    iam: new IamAdapter(world),
  }));
  iam = new IAMClient(clientConfig(door.endpoint));
});
afterAll(() => door.stop());

async function rawIam(params: Record<string, string>): Promise<{ status: number; body: string }> {
  const response = await fetch(door.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: SIGNED_IAM,
    },
    body: new URLSearchParams({ Version: '2010-05-08', ...params }),
  });
  return { status: response.status, body: await response.text() };
}

describe('IAM adapter', () => {
  it('gets an instance profile with its role and a URL-encoded trust policy for EC2', async () => {
    const out = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: DEMO.profileName }));

    const profile = out.InstanceProfile;
    expect(profile).toMatchObject({
      Path: '/',
      InstanceProfileName: DEMO.profileName,
      InstanceProfileId: expect.stringMatching(/^AIPA[0-9A-F]{16}$/),
      Arn: `arn:aws:iam::123456789012:instance-profile/${DEMO.profileName}`,
      CreateDate: expect.any(Date),
    });
    expect(profile?.Roles).toHaveLength(1);
    const role = profile?.Roles?.[0];
    expect(role).toMatchObject({
      Path: '/',
      RoleName: DEMO.instanceRole,
      RoleId: expect.stringMatching(/^AROA[0-9A-F]{16}$/),
      Arn: `arn:aws:iam::123456789012:role/${DEMO.instanceRole}`,
    });
    expect(role?.AssumeRolePolicyDocument).toMatch(/^%7B/);
    expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
  });

  it('writes the Query envelope with a Result element, member lists and ResponseMetadata', async () => {
    const { status, body } = await rawIam({
      Action: 'GetInstanceProfile',
      InstanceProfileName: DEMO.profileName,
    });

    expect(status).toBe(200);
    const paths = xmlPaths(body);
    expect(paths).toContain(
      'GetInstanceProfileResponse/GetInstanceProfileResult/InstanceProfile/Roles/member/RoleName',
    );
    expect(paths).toContain('GetInstanceProfileResponse/ResponseMetadata/RequestId');
    expect(body).toMatch(
      /^<GetInstanceProfileResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/">/,
    );
    expect(xmlText(body, 'CreateDate')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('gets a role, and says the restore role trusts AWS Backup', async () => {
    const instanceRole = await iam.send(new GetRoleCommand({ RoleName: DEMO.instanceRole }));
    const restoreRole = await iam.send(new GetRoleCommand({ RoleName: DEMO.restoreRole }));

    expect(instanceRole.Role).toMatchObject({
      RoleName: DEMO.instanceRole,
      Arn: door.world.iam.roles.get(DEMO.instanceRole)?.arn,
      MaxSessionDuration: 3600,
    });
    expect(decodeURIComponent(restoreRole.Role?.AssumeRolePolicyDocument ?? '')).toContain(
      '"Service":"backup.amazonaws.com"',
    );
  });

  it('raises NoSuchEntity (404), which the SDK models as NoSuchEntityException, for an unknown profile or role', async () => {
    const profile = await awsFailure(
      iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'no-such-profile' })),
    );
    const role = await awsFailure(iam.send(new GetRoleCommand({ RoleName: 'no-such-role' })));

    expect(profile.error).toBeInstanceOf(NoSuchEntityException);
    expect(profile).toMatchObject({
      status: 404,
      message: 'Instance Profile no-such-profile cannot be found.',
    });
    expect(role).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
  });

  it('writes errors in the IAM ErrorResponse envelope', async () => {
    const { status, body } = await rawIam({ Action: 'GetRole', RoleName: 'no-such-role' });

    expect(status).toBe(404);
    expect([...xmlPaths(body)].sort()).toEqual([
      'ErrorResponse',
      'ErrorResponse/Error',
      'ErrorResponse/Error/Code',
      'ErrorResponse/Error/Message',
      'ErrorResponse/Error/Type',
      'ErrorResponse/RequestId',
    ]);
    expect(xmlText(body, 'Type')).toBe('Sender');
  });

  it('lists instance profiles by path prefix and pages with Marker', async () => {
    const service = await iam.send(new ListInstanceProfilesCommand({ PathPrefix: '/service/' }));
    const names: string[][] = [];
    for await (const page of paginateListInstanceProfiles({ client: iam, pageSize: 2 }, {})) {
      names.push((page.InstanceProfiles ?? []).map((p) => p.InstanceProfileName ?? ''));
    }

    expect(service.InstanceProfiles?.map((p) => p.InstanceProfileName)).toEqual(['batch-profile']);
    expect(service.InstanceProfiles?.[0]?.Roles?.[0]?.Path).toBe('/service/');
    expect(service.IsTruncated).toBe(false);
    expect(names).toEqual([[DEMO.profileName, 'batch-profile'], ['other-profile']]);
  });

  it('rejects a missing parameter, a bad MaxItems and a bad Marker with ValidationError', async () => {
    const noName = await awsFailure(iam.send(new GetRoleCommand({ RoleName: '' })));
    const maxItems = await awsFailure(iam.send(new ListInstanceProfilesCommand({ MaxItems: 0 })));
    const marker = await awsFailure(iam.send(new ListInstanceProfilesCommand({ Marker: 'bm8tc3VjaA' })));

    expect(noName).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(maxItems).toMatchObject({ name: 'ValidationError' });
    expect(marker).toMatchObject({ name: 'ValidationError' });
  });

  it('rejects an unknown action with InvalidAction', async () => {
    const { status, body } = await rawIam({ Action: 'CreateUser', UserName: 'x' });

    expect(status).toBe(400);
    expect(xmlText(body, 'Code')).toBe('InvalidAction');
  });

  it('answers the AWS CLI (iam get-instance-profile)', async () => {
    const result = await awsCli(door.endpoint, [
      'iam',
      'get-instance-profile',
      '--instance-profile-name',
      DEMO.profileName,
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(result.stdout) as {
      InstanceProfile: { InstanceProfileName: string; Roles: { RoleName: string }[] };
    };
    expect(out.InstanceProfile.InstanceProfileName).toBe(DEMO.profileName);
    expect(out.InstanceProfile.Roles.map((r) => r.RoleName)).toEqual([DEMO.instanceRole]);
  });
});
