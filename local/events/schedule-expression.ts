/**
 * EventBridge Scheduler expressions (docs/aws-facts.md I.5): `rate(value unit)`,
 * `cron(minutes hours day-of-month month day-of-week year)` read in the schedule's time zone, and
 * the one-off `at(yyyy-mm-ddThh:mm:ss)`. Cron fields take `*`, `?`, lists, ranges, `/` steps and
 * names (JAN-DEC, SUN-SAT, day-of-week 1-7 = SUN-SAT); `L`, `W` and `#` are refused by name.
 */

export type ScheduleExpression =
  | { readonly kind: 'rate'; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly fields: CronFields; readonly timeZone: string }
  | { readonly kind: 'at'; readonly atMs: number };

interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number> | null;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number> | null;
  readonly years: ReadonlySet<number> | null;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseScheduleExpression(expression: string, timeZone = 'UTC'): ScheduleExpression {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = (rate[2] as string).replace(/s$/, '');
    if (value < 1) throw new Error(`Schedule expression ${expression}: the rate must be at least 1.`);
    return { kind: 'rate', everyMs: value * (UNIT_MS[unit] as number) };
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    return { kind: 'at', atMs: zonedToUtc(y, mo, d, h, mi, s, timeZone) };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) {
    const parts = (cron[1] as string).trim().split(/\s+/);
    if (parts.length !== 6) {
      throw new Error(
        `Schedule expression ${expression}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year).`,
      );
    }
    const [mi, h, dom, mo, dow, y] = parts as [string, string, string, string, string, string];
    if (dom !== '?' && dow !== '?') {
      throw new Error(`Schedule expression ${expression}: day-of-month or day-of-week must be "?".`);
    }
    return {
      kind: 'cron',
      timeZone,
      fields: {
        minutes: field(mi, 0, 59, expression),
        hours: field(h, 0, 23, expression),
        daysOfMonth: dom === '?' ? null : field(dom, 1, 31, expression),
        months: field(mo, 1, 12, expression, MONTHS, 1),
        // AWS numbers days 1-7 from Sunday; kept 1-7 here.
        daysOfWeek: dow === '?' ? null : field(dow, 1, 7, expression, DAYS, 1),
        years: y === '*' ? null : field(y, 1970, 2199, expression),
      },
    };
  }
  throw new Error(`Schedule expression ${expression} is not rate(...), cron(...) or at(...).`);
}

/**
 * The first firing strictly after `afterMs` (a rate counts from `originMs`, when the schedule was
 * created), or undefined when there is none (a past `at`, a cron whose years are over).
 */
export function nextFiring(
  expression: ScheduleExpression,
  afterMs: number,
  originMs: number,
): number | undefined {
  switch (expression.kind) {
    case 'rate': {
      const periods = Math.floor((afterMs - originMs) / expression.everyMs) + 1;
      return originMs + Math.max(1, periods) * expression.everyMs;
    }
    case 'at':
      return expression.atMs > afterMs ? expression.atMs : undefined;
    case 'cron':
      return nextCron(expression.fields, expression.timeZone, afterMs);
  }
}

function nextCron(f: CronFields, timeZone: string, afterMs: number): number | undefined {
  const start = zonedParts(afterMs, timeZone);
  // Day by day in the zone's calendar, for up to five years.
  for (let day = 0; day < 5 * 366; day++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + day));
    const y = date.getUTCFullYear();
    const mo = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const dow = date.getUTCDay() + 1;
    if (f.years && !f.years.has(y)) continue;
    if (!f.months.has(mo)) continue;
    if (f.daysOfMonth && !f.daysOfMonth.has(d)) continue;
    if (f.daysOfWeek && !f.daysOfWeek.has(dow)) continue;
    for (const h of [...f.hours].sort((a, b) => a - b)) {
      for (const mi of [...f.minutes].sort((a, b) => a - b)) {
        const at = zonedToUtc(y, mo, d, h, mi, 0, timeZone);
        if (at > afterMs) return at;
      }
    }
  }
  return undefined;
}

function field(
  text: string,
  min: number,
  max: number,
  expression: string,
  names?: string[],
  nameBase = 0,
): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const index = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = index >= 0 ? index + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`Schedule expression ${expression}: "${token}" is not a value from ${min} to ${max}.`);
    }
    return n;
  };
  for (const part of text.split(',')) {
    if (/[LW#]/.test(part) && !names?.some((n) => part.toUpperCase().includes(n))) {
      throw new Error(
        `Schedule expression ${expression}: "${part}" (L, W or #) is not supported by the emulator.`,
      );
    }
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`Schedule expression ${expression}: bad step in "${part}".`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

function zonedParts(ms: number, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: parts.hour as number,
    minute: parts.minute as number,
    second: parts.second as number,
  };
}

/** The UTC instant of a wall-clock time in `timeZone`. */
function zonedToUtc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  timeZone: string,
): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(guess, timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    guess += wall - shown;
  }
  return guess;
}
