import {
  AssociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  type EC2Client,
  type IamInstanceProfileAssociation,
  ReplaceIamInstanceProfileAssociationCommand,
} from '@aws-sdk/client-ec2';
import { instanceProfileNameFromArn } from '@shared/arns';
import {
  awsErrorCode,
  errorMessage,
  InstanceProfileError,
  isAccessDenied,
  isTransientAwsError,
} from '@shared/errors';
import type { Logger } from '@shared/logger';
import type { Clock } from '@shared/time';
import { type ProfileState, requireSlices, type WorkflowState } from '@shared/workflow-state';

export interface ReattachInstanceProfileDeps {
  readonly ec2: EC2Client;
  readonly now: Clock;
  /** Seconds between checks of the association (PROFILE_POLL_SECONDS). */
  readonly pollSeconds: number;
  /** How long the profile may take to be associated, from the first call (PROFILE_TIMEOUT_SECONDS). */
  readonly timeoutSeconds: number;
  readonly logger?: Logger;
}

type Target = { readonly arn: string; readonly name: string };
type WriteAction = 'associated' | 'replaced';

interface Context {
  readonly deps: ReattachInstanceProfileDeps;
  readonly instanceId: string;
  readonly target: Target;
  readonly now: Date;
  readonly startedAt: string;
  readonly polls: number;
}

/**
 * Step 9: make sure the restored instance ends up with the planned instance profile. Called in a
 * loop; each call describes the instance's associations once and then:
 *
 * - the target is `associated` → done (`already-correct` when the workflow wrote nothing);
 * - the target is `associating`, or this workflow's own association or replacement is still in
 *   flight (the previous slice says so) → look again later, writing nothing;
 * - no association → AssociateIamInstanceProfile; another profile → ReplaceIamInstanceProfileAssociation.
 *
 * An association that appears between the describe and the associate (IncorrectState) is taken
 * into account instead of failing, and "Invalid IAM Instance Profile" just after the profile was
 * created is IAM propagation: the next call tries again, until the timeout.
 */
export async function reattachInstanceProfile(
  state: WorkflowState,
  deps: ReattachInstanceProfileDeps,
): Promise<ProfileState> {
  const { plan, instance } = requireSlices(state, 'request', 'plan', 'instance');
  const now = deps.now();
  const previous = state.profile && !state.profile.done ? state.profile : null;
  const startedAt = previous?.startedAt ?? now.toISOString();
  const polls = (previous?.polls ?? 0) + 1;
  const target = plan.targetInstanceProfile;

  if (!target) {
    return {
      action: 'not-requested',
      instanceProfileArn: instance.instanceProfileArn,
      associationId: null,
      startedAt,
      completedAt: now.toISOString(),
      polls,
      done: true,
      nextWaitSeconds: 0,
    };
  }

  const context: Context = { deps, instanceId: instance.instanceId, target, now, startedAt, polls };
  const associations = await activeAssociations(context);
  const current = associations.find((a) => isTarget(a, target));

  if (current?.State === 'associated') {
    const action = previous?.action ?? 'already-correct';
    deps.logger?.info('instance profile associated', { instanceId: instance.instanceId, action, polls });
    return done(context, action, current.AssociationId ?? previous?.associationId ?? null);
  }
  failIfTimedOut(context, associations);
  if (current) {
    // `associating`: the restore's own association, or ours, still settling.
    return waiting(context, previous?.action ?? 'already-correct', current.AssociationId ?? null);
  }
  if (previous && isWrite(previous.action) && previous.associationId) {
    // Ours was accepted but is not visible yet (eventual consistency): associating twice would fail.
    return waiting(context, previous.action, previous.associationId);
  }

  const other = associations.find((a) => a.State === 'associated' || a.State === 'associating');
  return other?.AssociationId ? replace(context, other.AssociationId) : associate(context);
}

function isWrite(action: ProfileState['action']): action is WriteAction {
  return action === 'associated' || action === 'replaced';
}

/** The instance's associations that still count; disassociated ones are history. */
async function activeAssociations(context: Context): Promise<IamInstanceProfileAssociation[]> {
  const result = await context.deps.ec2.send(
    new DescribeIamInstanceProfileAssociationsCommand({
      Filters: [{ Name: 'instance-id', Values: [context.instanceId] }],
    }),
  );
  return (result.IamInstanceProfileAssociations ?? []).filter(
    (a) => (a.InstanceId ?? context.instanceId) === context.instanceId && a.State !== 'disassociated',
  );
}

/** Profile names are unique in an account, so the name also matches an ARN written with or without its path. */
function isTarget(association: IamInstanceProfileAssociation, target: Target): boolean {
  const arn = association.IamInstanceProfile?.Arn;
  return arn !== undefined && (arn === target.arn || instanceProfileNameFromArn(arn) === target.name);
}

async function associate(context: Context): Promise<ProfileState> {
  const { deps, instanceId, target } = context;
  try {
    const result = await deps.ec2.send(
      new AssociateIamInstanceProfileCommand({
        InstanceId: instanceId,
        IamInstanceProfile: { Arn: target.arn },
      }),
    );
    return afterWrite(context, 'associated', result.IamInstanceProfileAssociation);
  } catch (error) {
    if (awsErrorCode(error) !== 'IncorrectState') return onWriteError(context, 'associated', error);
    // "There is an existing association": one appeared since the describe (the restore's own,
    // surfacing late). Look again and accept or replace it rather than fail.
    deps.logger?.info('an association appeared concurrently; describing again', { instanceId });
    const associations = await activeAssociations(context);
    const current = associations.find((a) => isTarget(a, target));
    if (current?.State === 'associated')
      return done(context, 'already-correct', current.AssociationId ?? null);
    if (current) return waiting(context, 'already-correct', current.AssociationId ?? null);
    const other = associations.find((a) => a.State === 'associated' || a.State === 'associating');
    if (other?.AssociationId) return replace(context, other.AssociationId);
    // Still settling (e.g. disassociating): the next call decides again.
    return waiting(context, 'associated', null);
  }
}

async function replace(context: Context, associationId: string): Promise<ProfileState> {
  const { deps, target } = context;
  try {
    const result = await deps.ec2.send(
      new ReplaceIamInstanceProfileAssociationCommand({
        AssociationId: associationId,
        IamInstanceProfile: { Arn: target.arn },
      }),
    );
    return afterWrite(context, 'replaced', result.IamInstanceProfileAssociation);
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidAssociationID.NotFound') {
      // The association went away since the describe; the next call sees what is there now.
      return waiting(context, 'replaced', null);
    }
    return onWriteError(context, 'replaced', error);
  }
}

function afterWrite(
  context: Context,
  action: WriteAction,
  association: IamInstanceProfileAssociation | undefined,
): ProfileState {
  const associationId = association?.AssociationId ?? null;
  context.deps.logger?.info(`instance profile ${action}`, {
    instanceId: context.instanceId,
    instanceProfileArn: context.target.arn,
    associationId,
  });
  return association?.State === 'associated'
    ? done(context, action, associationId)
    : waiting(context, action, associationId);
}

function onWriteError(context: Context, action: WriteAction, error: unknown): ProfileState {
  if (isTransientAwsError(error)) throw error;
  const { deps, instanceId, target } = context;
  const code = awsErrorCode(error) ?? 'error';
  const said = `${code}: "${errorMessage(error)}"`;
  const verb =
    action === 'associated' ? 'AssociateIamInstanceProfile' : 'ReplaceIamInstanceProfileAssociation';

  if (code === 'InvalidParameterValue' && /Invalid IAM Instance Profile/i.test(errorMessage(error))) {
    // Reported right after a profile is created, until IAM has propagated it (aws-facts B.1). The
    // next call tries again; the timeout check there ends it if the profile really is gone.
    deps.logger?.warn('instance profile not usable yet (IAM propagation?); retrying', { instanceId, code });
    return waiting(context, action, null);
  }
  if (isAccessDenied(error)) {
    throw new InstanceProfileError(
      `The workflow may not attach instance profile ${target.name} to ${instanceId}: ${verb} was refused (${said}). ` +
        `Its role needs ec2:AssociateIamInstanceProfile and ec2:ReplaceIamInstanceProfileAssociation, and iam:PassRole ` +
        `on the role inside ${target.name} (the role ARN, not the profile ARN) with iam:PassedToService = ` +
        'ec2.amazonaws.com. An encoded message decodes with `aws sts decode-authorization-message`. The instance is ' +
        'running without the profile.',
      { cause: error },
    );
  }
  throw new InstanceProfileError(
    `${verb} for instance profile ${target.name} on ${instanceId} failed: ${said}. The instance is running without ` +
      'the profile; attach it in the EC2 console (Actions → Security → Modify IAM role) once the cause is fixed.',
    { cause: error },
  );
}

function timeLeft(context: Context): number {
  const waited = (context.now.getTime() - Date.parse(context.startedAt)) / 1000;
  return Math.ceil(context.deps.timeoutSeconds - waited);
}

function failIfTimedOut(context: Context, associations: readonly IamInstanceProfileAssociation[]): void {
  if (timeLeft(context) > 0) return;
  const { deps, instanceId, target, polls } = context;
  const seen =
    associations
      .map((a) => `${a.IamInstanceProfile?.Arn ?? 'unknown profile'} ${a.State ?? 'unknown state'}`)
      .join(', ') || 'no association';
  throw new InstanceProfileError(
    `Instance profile ${target.name} was not associated with ${instanceId} within ${deps.timeoutSeconds}s ` +
      `(${polls} checks; EC2 shows ${seen}). If EC2 kept answering "Invalid IAM Instance Profile", the profile was ` +
      `deleted after the plan was made or IAM has not propagated it: check \`aws iam get-instance-profile ` +
      `--instance-profile-name ${target.name}\`, then attach it in the EC2 console (Actions → Security → Modify IAM ` +
      'role); raise PROFILE_TIMEOUT_SECONDS if IAM is known to be slow here.',
  );
}

function done(context: Context, action: ProfileState['action'], associationId: string | null): ProfileState {
  return {
    action,
    instanceProfileArn: context.target.arn,
    associationId,
    startedAt: context.startedAt,
    completedAt: context.now.toISOString(),
    polls: context.polls,
    done: true,
    nextWaitSeconds: 0,
  };
}

function waiting(
  context: Context,
  action: ProfileState['action'],
  associationId: string | null,
): ProfileState {
  return {
    action,
    instanceProfileArn: context.target.arn,
    associationId,
    startedAt: context.startedAt,
    completedAt: null,
    polls: context.polls,
    done: false,
    nextWaitSeconds: Math.max(1, Math.min(context.deps.pollSeconds, timeLeft(context))),
  };
}
