import { randomBytes, randomUUID } from 'node:crypto';

/** AWS-style resource ids: `prefix-` and 17 hex digits. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function newRequestId(): string {
  return randomUUID();
}

/** Restore job ids look like `1B234A56-789B-01CD-2A34-4567A08901FD`. */
export function newRestoreJobId(): string {
  return randomUUID().toUpperCase();
}
