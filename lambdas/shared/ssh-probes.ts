/**
 * The in-VPC SSH probes a deployment has (infra context `sshProbeNetworks`, one per VPC), as the
 * steps that need them read them from `SSH_PROBES`: the CDK construct fills it from the context,
 * the emulator from its world's probes, so both name the same functions and groups.
 */
import { SECURITY_GROUP_ID } from './restore-request';
import * as z from './zod';

/** The CDK context key that declares the probe networks; errors name it so the fix is obvious. */
export const SSH_PROBE_CONTEXT_KEY = 'sshProbeNetworks';

export const SshProbeRefSchema = z.strictObject({
  vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'must be a VPC id' })),
  /** The VPC-attached Lambda that makes the SSH attempt. */
  functionName: z.string().check(z.minLength(1), z.maxLength(140)),
  /** The probe-ingress group: TCP on the SSH ports from the probe's own group. */
  ingressGroupId: z.string().check(z.regex(SECURITY_GROUP_ID, { message: 'must be a security group id' })),
  /** The TCP ports the probe's groups open. @default [22] */
  ports: z._default(z.array(z.int().check(z.minimum(1), z.maximum(65535))).check(z.minLength(1)), [22]),
});

export type SshProbeRef = z.output<typeof SshProbeRefSchema>;
export type SshProbeRefInput = z.input<typeof SshProbeRefSchema>;

/** The env form: JSON text of the list; unset or empty is no probe. */
export const sshProbesEnv = z.pipe(
  z.pipe(
    z._default(z.string(), '[]'),
    z.transform((text: string, ctx) => {
      try {
        return JSON.parse(text.trim() === '' ? '[]' : text) as unknown;
      } catch {
        // zod/mini's transform context has no addIssue (classic adds it); this is the issue it pushed.
        ctx.issues.push({
          code: 'custom',
          message: 'must be JSON: [{"vpcId","functionName","ingressGroupId"}]',
          input: text,
        });
        return z.NEVER;
      }
    }),
  ),
  z.array(SshProbeRefSchema),
);

export function sshProbeFor(probes: readonly SshProbeRef[], vpcId: string): SshProbeRef | null {
  return probes.find((p) => p.vpcId === vpcId) ?? null;
}
