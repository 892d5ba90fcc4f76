/**
 * What the CLI's wall-clock-dependent text looks like, for assertions on the format rather than
 * the value: on the emulator a restore's simulated duration grows with the machine's load (its
 * clock runs 600× real time), so "13m 20s" on a quiet machine is "1h 2m" on a busy one.
 */

/** A duration as `format.ts` writes it: `2d 3h`, `1h 2m`, `13m 20s` or `42s`. */
export const DURATION = String.raw`(?:\d+d \d+h|\d+h \d+m|\d+m \d+s|\d+s)`;

/** A duration, alone: for `expect(text).toMatch(...)` of a whole value. */
export const durationOnly = new RegExp(`^${DURATION}$`);

/** `+hh:mm:ss` since the execution's start (hours may pass 99 on a very busy machine). */
export const CLOCK = String.raw`\+\d{2,}:\d\d:\d\d`;
