/**
 * The in-VPC SSH probes a deployment has (infra context `sshProbeNetworks`, one per VPC), as the
 * steps that need them read them from `SSH_PROBES`: the CDK construct fills it from the context,
 * the emulator from its world's probes, so both name the same functions and groups.
 */
import * as z from 'zod';
import { SECURITY_GROUP_ID } from './restore-request';

/** The CDK context key that declares the probe networks; errors name it so the fix is obvious. */
export const SSH_PROBE_CONTEXT_KEY = 'sshProbeNetworks';

export const SshProbeRefSchema = z.strictObject({
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'must be a VPC id' }),
  /** The VPC-attached Lambda that makes the SSH attempt. */
  functionName: z.string().min(1).max(140),
  /** The probe-ingress group: TCP on the SSH ports from the probe's own group. */
  ingressGroupId: z.string().regex(SECURITY_GROUP_ID, { message: 'must be a security group id' }),
  /** The TCP ports the probe's groups open. @default [22] */
  ports: z.array(z.int().min(1).max(65535)).min(1).default([22]),
});

export type SshProbeRef = z.output<typeof SshProbeRefSchema>;
export type SshProbeRefInput = z.input<typeof SshProbeRefSchema>;

/** The env form: JSON text of the list; unset or empty is no probe. */
export const sshProbesEnv = z
  .string()
  .default('[]')
  .transform((text, ctx) => {
    try {
      return JSON.parse(text.trim() === '' ? '[]' : text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: [{"vpcId","functionName","ingressGroupId"}]' });
      return z.NEVER;
    }
  })
  .pipe(z.array(SshProbeRefSchema));

export function sshProbeFor(probes: readonly SshProbeRef[], vpcId: string): SshProbeRef | null {
  return probes.find((p) => p.vpcId === vpcId) ?? null;
}
