/**
 * Parsers for the numeric flags, so a bad value is refused in the flag's own terms
 * (`--ssh-port must be a whole number from 1 to 65535, got "abc"`, exit 2) before anything is
 * sent, instead of the workflow schema's `expected number, got string`. The ranges are the
 * workflow's own (restore-request.ts, fleet-request.ts).
 */
import { MAX_FLEET_CONCURRENCY } from '@shared/fleet-request';
import { usageError } from './errors';

/** A commander argParser: the text of the flag in, its value out, or a usage error naming the flag. */
export type FlagParser<T> = (text: string) => T;

/** A whole number within [min, max]: no sign, no decimals, no exponent. */
export function wholeNumber(flag: string, min: number, max: number, example: number): FlagParser<number> {
  return (text) => {
    const trimmed = text.trim();
    const n = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!(n >= min && n <= max)) {
      throw usageError(
        `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
        `For example ${flag} ${example}.`,
      );
    }
    return n;
  };
}

/** Seconds, above 0 and at most `max`; fractions allowed (0.5). */
export function seconds(flag: string, max: number): FlagParser<number> {
  return (text) => {
    const trimmed = text.trim();
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!(n > 0 && n <= max)) {
      throw usageError(
        `${flag} must be a number of seconds above 0 and at most ${max}, got ${JSON.stringify(text)}`,
        `For example ${flag} 2.`,
      );
    }
    return n;
  };
}

export const NUMERIC_FLAGS = {
  sshPort: wholeNumber('--ssh-port', 1, 65535, 2222),
  restoreTimeoutMinutes: wholeNumber('--restore-timeout-minutes', 5, 24 * 60, 480),
  maxConcurrency: wholeNumber('--max-concurrency', 1, MAX_FLEET_CONCURRENCY, 10),
  max: wholeNumber('--max', 1, 1000, 50),
  localPort: wholeNumber('--port', 0, 65535, 4566),
  pollInterval: seconds('--poll-interval', 300),
} as const;
