import {
  AssociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  type IamInstanceProfileAssociation,
  ReplaceIamInstanceProfileAssociationCommand,
} from '@aws-sdk/client-ec2';
import { step } from '@lambdas/reattach-instance-profile/handler';
import {
  type ReattachInstanceProfileDeps,
  reattachInstanceProfile,
} from '@lambdas/reattach-instance-profile/reattach-instance-profile';
import { InstanceProfileError } from '@shared/errors';
import { createHandler } from '@shared/handler';
import { type ProfileState, requireSlices, type WorkflowState } from '@shared/workflow-state';
import { rejection } from '@test/helpers/failure';
import { awsError, captureLogger, mockAws } from '@test/helpers/sdk-mocks';
import { at, IDS, stateAfter } from '@test/helpers/workflow-state';

const { clients, mocks } = mockAws();
const POLL = 5;
const TIMEOUT = 300;
const START = 1245;
const OTHER_PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/other-profile';
const OURS = 'iip-assoc-0aaaaaaaaaaaaaaaa';
const THEIRS = 'iip-assoc-0bbbbbbbbbbbbbbbb';

function deps(secondsAfterT0: number = START): ReattachInstanceProfileDeps {
  return {
    ec2: clients.ec2,
    now: () => at(secondsAfterT0),
    pollSeconds: POLL,
    timeoutSeconds: TIMEOUT,
    logger: captureLogger().logger,
  };
}

function association(
  id: string,
  arn: string,
  state: IamInstanceProfileAssociation['State'],
): IamInstanceProfileAssociation {
  return {
    AssociationId: id,
    InstanceId: IDS.restoredInstance,
    IamInstanceProfile: { Arn: arn, Id: 'AIPA' },
    State: state,
  };
}

/** What successive DescribeIamInstanceProfileAssociations calls return, in order (the last one repeats). */
function ec2Shows(...answers: IamInstanceProfileAssociation[][]): void {
  const describe = mocks.ec2.on(DescribeIamInstanceProfileAssociationsCommand);
  for (const list of answers.slice(0, -1)) describe.resolvesOnce({ IamInstanceProfileAssociations: list });
  describe.resolves({ IamInstanceProfileAssociations: answers.at(-1) ?? [] });
}

function writes(): number {
  return (
    mocks.ec2.commandCalls(AssociateIamInstanceProfileCommand).length +
    mocks.ec2.commandCalls(ReplaceIamInstanceProfileAssociationCommand).length
  );
}

/** The state after tagging: the instance runs without the profile the plan wants (app-profile). */
const afterTag = (): WorkflowState => stateAfter('tag');
const withPrevious = (profile: ProfileState): WorkflowState => ({ ...afterTag(), profile });

describe('reattach-instance-profile', () => {
  it('does nothing but report when the target profile is already associated', async () => {
    ec2Shows([association(THEIRS, IDS.profileArn, 'associated')]);

    const profile = await reattachInstanceProfile(afterTag(), deps());

    expect(profile).toEqual({
      action: 'already-correct',
      instanceProfileArn: IDS.profileArn,
      associationId: THEIRS,
      startedAt: at(START).toISOString(),
      completedAt: at(START).toISOString(),
      polls: 1,
      done: true,
      nextWaitSeconds: 0,
    });
    expect(mocks.ec2).toHaveReceivedCommandTimes(AssociateIamInstanceProfileCommand, 0);
    expect(mocks.ec2).toHaveReceivedCommandTimes(ReplaceIamInstanceProfileAssociationCommand, 0);
    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeIamInstanceProfileAssociationsCommand, {
      Filters: [{ Name: 'instance-id', Values: [IDS.restoredInstance] }],
    });
  });

  it('associates the profile when the instance has none, then polls until it is associated', async () => {
    ec2Shows([], [association(OURS, IDS.profileArn, 'associated')]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .resolves({ IamInstanceProfileAssociation: association(OURS, IDS.profileArn, 'associating') });

    const first = await reattachInstanceProfile(afterTag(), deps(START));
    const second = await reattachInstanceProfile(withPrevious(first), deps(START + POLL));

    expect(mocks.ec2).toHaveReceivedCommandWith(AssociateIamInstanceProfileCommand, {
      InstanceId: IDS.restoredInstance,
      IamInstanceProfile: { Arn: IDS.profileArn },
    });
    expect(first).toMatchObject({
      action: 'associated',
      associationId: OURS,
      done: false,
      nextWaitSeconds: POLL,
    });
    expect(second).toMatchObject({
      action: 'associated',
      associationId: OURS,
      startedAt: at(START).toISOString(),
      completedAt: at(START + POLL).toISOString(),
      polls: 2,
      done: true,
    });
    expect(writes()).toBe(1);
  });

  it('replaces another profile’s association with the target profile', async () => {
    ec2Shows([association(THEIRS, OTHER_PROFILE_ARN, 'associated')]);
    mocks.ec2
      .on(ReplaceIamInstanceProfileAssociationCommand)
      .resolves({ IamInstanceProfileAssociation: association(OURS, IDS.profileArn, 'associating') });

    const profile = await reattachInstanceProfile(afterTag(), deps());

    expect(mocks.ec2).toHaveReceivedCommandWith(ReplaceIamInstanceProfileAssociationCommand, {
      AssociationId: THEIRS,
      IamInstanceProfile: { Arn: IDS.profileArn },
    });
    expect(mocks.ec2).toHaveReceivedCommandTimes(AssociateIamInstanceProfileCommand, 0);
    expect(profile).toMatchObject({ action: 'replaced', associationId: OURS, done: false });
  });

  it('ignores disassociated associations when deciding between associate and replace', async () => {
    ec2Shows([
      association(THEIRS, OTHER_PROFILE_ARN, 'disassociated'),
      association('iip-assoc-0cccccccccccccccc', IDS.profileArn, 'disassociated'),
    ]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .resolves({ IamInstanceProfileAssociation: association(OURS, IDS.profileArn, 'associating') });

    const profile = await reattachInstanceProfile(afterTag(), deps());

    expect(profile.action).toBe('associated');
    expect(mocks.ec2).toHaveReceivedCommandTimes(ReplaceIamInstanceProfileAssociationCommand, 0);
  });

  it('polls without writing while the target association is still associating', async () => {
    ec2Shows(
      [association(THEIRS, IDS.profileArn, 'associating')],
      [association(THEIRS, IDS.profileArn, 'associated')],
    );

    const first = await reattachInstanceProfile(afterTag(), deps(START));
    const second = await reattachInstanceProfile(withPrevious(first), deps(START + POLL));

    expect(first).toMatchObject({ action: 'already-correct', done: false, nextWaitSeconds: POLL, polls: 1 });
    expect(second).toMatchObject({ action: 'already-correct', done: true, polls: 2 });
    expect(writes()).toBe(0);
  });

  it('does not associate again on a later poll when its own association is not visible yet', async () => {
    ec2Shows([]);
    const previous: ProfileState = {
      action: 'associated',
      instanceProfileArn: IDS.profileArn,
      associationId: OURS,
      startedAt: at(START).toISOString(),
      completedAt: null,
      polls: 1,
      done: false,
      nextWaitSeconds: POLL,
    };

    const profile = await reattachInstanceProfile(withPrevious(previous), deps(START + POLL));

    expect(profile).toMatchObject({ action: 'associated', associationId: OURS, done: false, polls: 2 });
    expect(writes()).toBe(0);
  });

  it('replaces an association that appeared concurrently (IncorrectState) instead of failing', async () => {
    ec2Shows([], [association(THEIRS, OTHER_PROFILE_ARN, 'associated')]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .rejects(
        awsError('IncorrectState', `There is an existing association for instance ${IDS.restoredInstance}`),
      );
    mocks.ec2
      .on(ReplaceIamInstanceProfileAssociationCommand)
      .resolves({ IamInstanceProfileAssociation: association(OURS, IDS.profileArn, 'associating') });

    const profile = await reattachInstanceProfile(afterTag(), deps());

    expect(profile).toMatchObject({ action: 'replaced', associationId: OURS, done: false });
    expect(mocks.ec2).toHaveReceivedCommandWith(ReplaceIamInstanceProfileAssociationCommand, {
      AssociationId: THEIRS,
    });
  });

  it('accepts a concurrent association of the target profile (IncorrectState) as already correct', async () => {
    ec2Shows([], [association(THEIRS, IDS.profileArn, 'associated')]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .rejects(
        awsError('IncorrectState', `There is an existing association for instance ${IDS.restoredInstance}`),
      );

    const profile = await reattachInstanceProfile(afterTag(), deps());

    expect(profile).toMatchObject({ action: 'already-correct', associationId: THEIRS, done: true });
    expect(mocks.ec2).toHaveReceivedCommandTimes(ReplaceIamInstanceProfileAssociationCommand, 0);
  });

  it('calls no AWS API when the plan wants no profile', async () => {
    const base = requireSlices(afterTag(), 'plan');
    const state = { ...base, plan: { ...base.plan, targetInstanceProfile: null } };

    const profile = await reattachInstanceProfile(state, deps());

    expect(profile).toMatchObject({
      action: 'not-requested',
      done: true,
      nextWaitSeconds: 0,
      associationId: null,
    });
    expect(mocks.ec2.calls()).toHaveLength(0);
  });

  it('retries on the next poll when IAM has not propagated a new profile yet', async () => {
    ec2Shows([]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .rejectsOnce(
        awsError(
          'InvalidParameterValue',
          `Value (${IDS.profileName}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
        ),
      )
      .resolves({ IamInstanceProfileAssociation: association(OURS, IDS.profileArn, 'associating') });

    const first = await reattachInstanceProfile(afterTag(), deps(START));
    const second = await reattachInstanceProfile(withPrevious(first), deps(START + POLL));

    expect(first).toMatchObject({ done: false, associationId: null, nextWaitSeconds: POLL });
    expect(second).toMatchObject({ action: 'associated', associationId: OURS, done: false });
    expect(mocks.ec2).toHaveReceivedCommandTimes(AssociateIamInstanceProfileCommand, 2);
  });

  it('fails with InstanceProfileError when the association is not done by the timeout', async () => {
    ec2Shows([association(OURS, IDS.profileArn, 'associating')]);
    const previous: ProfileState = {
      action: 'associated',
      instanceProfileArn: IDS.profileArn,
      associationId: OURS,
      startedAt: at(START).toISOString(),
      completedAt: null,
      polls: 60,
      done: false,
      nextWaitSeconds: POLL,
    };

    const error = await rejection(reattachInstanceProfile(withPrevious(previous), deps(START + TIMEOUT)));

    expect(error).toBeInstanceOf(InstanceProfileError);
    expect(error.message).toContain(`within ${TIMEOUT}s`);
    expect(error.message).toContain(`${IDS.profileArn} associating`);
  });

  it('fails with InstanceProfileError at the timeout when the profile never became usable, without another attempt', async () => {
    ec2Shows([]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .rejects(awsError('InvalidParameterValue', 'Invalid IAM Instance Profile name'));
    const previous: ProfileState = {
      action: 'associated',
      instanceProfileArn: IDS.profileArn,
      associationId: null,
      startedAt: at(START).toISOString(),
      completedAt: null,
      polls: 59,
      done: false,
      nextWaitSeconds: POLL,
    };

    const error = await rejection(reattachInstanceProfile(withPrevious(previous), deps(START + TIMEOUT)));

    expect(error).toBeInstanceOf(InstanceProfileError);
    expect(error.message).toContain('no association');
    expect(error.message).toContain(`--instance-profile-name ${IDS.profileName}`);
    expect(mocks.ec2).toHaveReceivedCommandTimes(AssociateIamInstanceProfileCommand, 0);
  });

  it.each(['UnauthorizedOperation', 'AccessDenied'])(
    'fails with an actionable InstanceProfileError when AWS answers %s (no iam:PassRole on the instance role)',
    async (code) => {
      ec2Shows([]);
      const denied = awsError(code, 'You are not authorized to perform this operation.');
      mocks.ec2.on(AssociateIamInstanceProfileCommand).rejects(denied);

      const error = await rejection(reattachInstanceProfile(afterTag(), deps()));

      expect(error).toBeInstanceOf(InstanceProfileError);
      expect((error as InstanceProfileError).cause).toBe(denied);
      expect(error.message).toContain(`${code}: "You are not authorized to perform this operation."`);
      expect(error.message).toContain('iam:PassRole');
      expect(error.message).toContain('iam:PassedToService = ec2.amazonaws.com');
    },
  );

  it('rethrows throttling unchanged so the state machine retries the step', async () => {
    ec2Shows([]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));

    const error = await rejection(reattachInstanceProfile(afterTag(), deps()));

    expect(error.name).toBe('RequestLimitExceeded');
  });

  it('runs through the Lambda handler with PROFILE_POLL_SECONDS', async () => {
    ec2Shows([]);
    mocks.ec2
      .on(AssociateIamInstanceProfileCommand)
      .resolves({ IamInstanceProfileAssociation: association(OURS, IDS.profileArn, 'associating') });
    const handler = createHandler(step, {
      env: { PROFILE_POLL_SECONDS: '3', PROFILE_TIMEOUT_SECONDS: '120', IN_CALL_WAIT_SECONDS: '0' },
      clients,
      now: () => at(START),
      logger: captureLogger().logger,
    });

    const profile = await handler(afterTag());

    expect(profile).toMatchObject({ action: 'associated', done: false, nextWaitSeconds: 3 });
  });
});
