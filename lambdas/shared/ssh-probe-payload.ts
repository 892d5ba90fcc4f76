/**
 * What check-ssh sends the in-VPC probe (lambdas/ssh-probe) and what it answers: one SSH attempt
 * and its classified result. Both sides validate with these schemas.
 */
import * as z from './zod';

export const SshProbeRequestSchema = z.strictObject({
  host: z.string().check(z.minLength(1), z.maxLength(255)),
  port: z.int().check(z.minimum(1), z.maximum(65535)),
  username: z.string().check(z.minLength(1), z.maxLength(32)),
  privateKey: z.string().check(z.minLength(1), z.maxLength(16_384)),
  timeoutMs: z.int().check(z.minimum(100), z.maximum(60_000)),
  expectedFingerprints: z.optional(z.nullable(z.array(z.string()))),
  commands: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(1024))).check(z.maxLength(10))),
  commandTimeoutMs: z.optional(z.int().check(z.minimum(100), z.maximum(300_000))),
});

const check = z.strictObject({
  command: z.string(),
  exitCode: z.nullable(z.int()),
  timedOut: z.boolean(),
  output: z.string(),
  truncated: z.boolean(),
});

export const SshProbeResultSchema = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('ready'),
    hostKeyFingerprint: z.nullable(z.string()),
    checks: z.array(check),
  }),
  z.object({
    outcome: z.literal('auth-rejected'),
    hostKeyFingerprint: z.nullable(z.string()),
    detail: z.string(),
  }),
  z.object({ outcome: z.literal('host-key-mismatch'), hostKeyFingerprint: z.string(), detail: z.string() }),
  z.object({ outcome: z.literal('bad-key'), detail: z.string() }),
  z.object({
    outcome: z.literal('retryable'),
    hostKeyFingerprint: z.nullable(z.string()),
    detail: z.string(),
  }),
]);
