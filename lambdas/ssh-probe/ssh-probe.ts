import { type SshHandshake, type SshHandshakeResult, ssh2Handshake } from '@lambdas/check-ssh/ssh-handshake';
import type { SshProbeRequestSchema } from '@shared/ssh-probe-payload';
import type * as z from '@shared/zod';

export interface SshProbeDeps {
  /** The address the probe's sockets bind; the emulator gives each probe its own. @default any */
  readonly localAddress?: string;
  readonly handshake?: SshHandshake;
}

/**
 * The in-VPC SSH probe: one attempt from inside the VPC, exactly as check-ssh asked for it. It
 * calls no AWS API (a VPC-attached function has no route to one without a NAT gateway or
 * endpoints), so the key arrives in the payload and leaves nowhere: no log, no result.
 */
export function probeSsh(
  request: z.output<typeof SshProbeRequestSchema>,
  deps: SshProbeDeps = {},
): Promise<SshHandshakeResult> {
  return (deps.handshake ?? ssh2Handshake)({
    ...request,
    ...(deps.localAddress ? { localAddress: deps.localAddress } : {}),
  });
}
