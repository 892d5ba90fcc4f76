/**
 * What check-ssh sends the in-VPC probe (lambdas/ssh-probe) and what it answers: one SSH attempt
 * and its classified result. Both sides validate with these schemas.
 */
import * as z from 'zod';

export const SshProbeRequestSchema = z.strictObject({
  host: z.string().min(1).max(255),
  port: z.int().min(1).max(65535),
  username: z.string().min(1).max(32),
  privateKey: z.string().min(1).max(16_384),
  timeoutMs: z.int().min(100).max(60_000),
  expectedFingerprints: z.array(z.string()).nullable().optional(),
  commands: z.array(z.string().min(1).max(1024)).max(10).optional(),
  commandTimeoutMs: z.int().min(100).max(300_000).optional(),
});

const check = z.strictObject({
  command: z.string(),
  exitCode: z.int().nullable(),
  timedOut: z.boolean(),
  output: z.string(),
  truncated: z.boolean(),
});

export const SshProbeResultSchema = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('ready'),
    hostKeyFingerprint: z.string().nullable(),
    checks: z.array(check),
  }),
  z.object({
    outcome: z.literal('auth-rejected'),
    hostKeyFingerprint: z.string().nullable(),
    detail: z.string(),
  }),
  z.object({ outcome: z.literal('host-key-mismatch'), hostKeyFingerprint: z.string(), detail: z.string() }),
  z.object({ outcome: z.literal('bad-key'), detail: z.string() }),
  z.object({
    outcome: z.literal('retryable'),
    hostKeyFingerprint: z.string().nullable(),
    detail: z.string(),
  }),
]);
