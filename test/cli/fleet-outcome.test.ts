/**
 * What a finished fleet tells a person to do next: one `ec2-restore status` per failed child
 * (by name when that name resolves, else by ARN), capped at a few, and `recovery-points` for an
 * instance that never got a child.
 */
import { FAILED_STEPS_SHOWN, failedMemberSteps } from '@cli/fleet-outcome';
import type { FleetMember } from '@cli/fleet-progress';
import { restoredText } from '@cli/fleet-progress';

const RESTORE_SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:restore-instance';
const child = (n: number) =>
  `arn:aws:states:us-east-1:123456789012:execution:restore-instance:fleet-x-i-${n}`;
const member = (n: number, status: string, executionArn: string | null = child(n)): FleetMember => ({
  instanceId: `i-${n}`,
  status,
  error: status === 'FAILED' ? 'RestoreJobFailedError' : null,
  cause: null,
  executionArn,
});

describe('failedMemberSteps', () => {
  it('names each failed child by its execution name when the restore state machine is configured', () => {
    const members = [member(1, 'RESTORED'), member(2, 'FAILED'), member(3, 'FAILED')];

    expect(failedMemberSteps(members, RESTORE_SM)).toEqual([
      '- Why each failed, and how to fix it:',
      '    ec2-restore status fleet-x-i-2',
      '    ec2-restore status fleet-x-i-3',
    ]);
  });

  it('uses the ARN when the name would not resolve, and recovery-points when no child ran', () => {
    const members = [member(2, 'FAILED'), member(4, 'FAILED', null)];

    expect(failedMemberSteps(members, undefined)).toEqual([
      '- Why each failed, and how to fix it:',
      `    ec2-restore status ${child(2)}`,
      '    ec2-restore recovery-points --instance-id i-4',
    ]);
  });

  it(`shows at most ${FAILED_STEPS_SHOWN}, then how many more`, () => {
    const members = [1, 2, 3, 4, 5].map((n) => member(n, 'FAILED'));

    expect(failedMemberSteps(members, RESTORE_SM)).toEqual([
      '- Why each failed, and how to fix it:',
      '    ec2-restore status fleet-x-i-1',
      '    ec2-restore status fleet-x-i-2',
      '    ec2-restore status fleet-x-i-3',
      '    … and 2 more (the FAILED rows above)',
    ]);
  });

  it('says "it" for a single failure', () => {
    expect(failedMemberSteps([member(1, 'FAILED')], RESTORE_SM)[0]).toBe(
      '- Why it failed, and how to fix it:',
    );
  });
});

describe('restoredText', () => {
  it.each([
    [{ total: 6, succeeded: 5, failed: 1 }, '5 of 6 instances restored, 1 failed'],
    [{ total: 6, succeeded: 0, failed: 6 }, '0 of 6 instances restored, 6 failed'],
    [{ total: 3, succeeded: 3, failed: 0 }, 'all 3 instances restored'],
    [{ total: 1, succeeded: 1, failed: 0 }, '1 instance restored'],
    [{ total: 1, succeeded: 0, failed: 1 }, '0 of 1 instance restored, 1 failed'],
    [{ total: 0, succeeded: 0, failed: 0 }, 'nothing to restore'],
  ])('%j → %s', (counts, text) => {
    expect(restoredText(counts)).toBe(text);
  });
});
