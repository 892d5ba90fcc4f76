/**
 * The VPC-attached probe's Lambda handler. Not a workflow step: check-ssh invokes it directly
 * (lambda:InvokeFunction), so the state machine never sees its payload. A malformed request is
 * answered with a Lambda error that names the fields, never their values.
 */

import type { SshHandshakeResult } from '@lambdas/check-ssh/ssh-handshake';
import { SshProbeRequestSchema } from '@shared/ssh-probe-payload';
import { probeSsh, type SshProbeDeps } from './ssh-probe';

export function createProbeHandler(deps: SshProbeDeps = {}): (event: unknown) => Promise<SshHandshakeResult> {
  return async (event) => {
    const parsed = SshProbeRequestSchema.safeParse(event);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(input)'))];
      throw new TypeError(`ssh-probe got a malformed request: ${fields.join(', ')}`);
    }
    return probeSsh(parsed.data, deps);
  };
}

export const handler = createProbeHandler();
