/**
 * The PassRole pre-flight of `instanceProfile: "passrole"`: AWS Backup launches the restored
 * instance with the instance profile only if the restore role may pass the profile's role to EC2,
 * and without that permission the job fails after its whole run (docs/aws-facts.md C). IAM's
 * SimulatePrincipalPolicy answers the question up front: `iam:PassRole` on the role inside the
 * profile, by the restore role, with `iam:PassedToService = ec2.amazonaws.com`. It evaluates the
 * role's identity policies (and SCPs) but not the live request, so a pass is strong evidence, not
 * proof; a refusal is certain.
 */
import {
  GetInstanceProfileCommand,
  type IAMClient,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { awsErrorCode } from '@shared/errors';

/** Where the check reports: plan-restore's pre-flight list. */
export interface PreflightReport {
  pass(sentence: string): void;
  fail(sentence: string): void;
}

export async function checkRestoreRoleMayPass(
  iam: IAMClient,
  restoreRoleArn: string,
  profileName: string,
  report: PreflightReport,
): Promise<void> {
  let roleArns: string[];
  try {
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }));
    roleArns = (profile.InstanceProfile?.Roles ?? []).flatMap((role) => (role.Arn ? [role.Arn] : []));
  } catch {
    return; // plan-restore's own profile check has reported why the profile cannot be read
  }
  if (roleArns.length === 0) return; // a profile without a role passes nothing
  try {
    const result = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: restoreRoleArn,
        ActionNames: ['iam:PassRole'],
        ResourceArns: roleArns,
        ContextEntries: [
          {
            ContextKeyName: 'iam:PassedToService',
            ContextKeyType: 'string',
            ContextKeyValues: ['ec2.amazonaws.com'],
          },
        ],
      }),
    );
    for (const roleArn of roleArns) {
      const decision = result?.EvaluationResults?.find((r) => r.EvalResourceName === roleArn)?.EvalDecision;
      if (decision === 'allowed') {
        report.pass(
          `restore role ${restoreRoleArn} may pass ${roleArn} to EC2 (iam:SimulatePrincipalPolicy)`,
        );
      } else {
        report.fail(
          `restore role ${restoreRoleArn} may not pass the role inside instance profile ${profileName}, ` +
            `${roleArn}, to EC2 (iam:SimulatePrincipalPolicy: ${decision ?? 'no result'}); the restore job would ` +
            'fail after its whole run. Grant the restore role iam:PassRole on that role with iam:PassedToService = ' +
            'ec2.amazonaws.com (instanceRoleArns), or rerun with instanceProfile "reattach"',
        );
      }
    }
  } catch (error) {
    report.fail(
      `could not ask IAM whether restore role ${restoreRoleArn} may pass the role of instance profile ` +
        `${profileName} (${awsErrorCode(error) ?? String(error)}); grant this function iam:SimulatePrincipalPolicy ` +
        'on the restore role, or rerun with instanceProfile "reattach"',
    );
  }
}
