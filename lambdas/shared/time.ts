/** Small time helpers shared by the steps; every step gets `now` injected (the emulator's clock is simulated). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** Pause for a number of seconds; the emulator passes its simulated clock's sleep. */
export type Sleep = (seconds: number) => Promise<void>;

export const systemSleep: Sleep = (seconds) =>
  new Promise((resolve) => {
    setTimeout(resolve, seconds * 1000);
  });

export function secondsBetween(
  fromIso: string | null | undefined,
  toIso: string | null | undefined,
): number | null {
  if (!fromIso || !toIso) return null;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms / 1000)) : null;
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
