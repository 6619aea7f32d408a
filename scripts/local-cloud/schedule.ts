/**
 * EventBridge schedule expressions: `rate(5 minutes)` and six-field `cron(min hour day-of-month month
 * day-of-week year)` in UTC (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html).
 */

export type Schedule = { kind: 'rate'; everyMs: number } | { kind: 'cron'; fields: CronFields };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number> | 'any';
  months: Set<number>;
  daysOfWeek: Set<number> | 'any';
  years: Set<number> | 'all';
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, '');
    if (amount < 1) throw new Error(`Invalid schedule ${expression}: the rate must be at least 1`);
    if ((amount === 1) !== !rate[2]!.endsWith('s')) throw new Error(`Invalid schedule ${expression}: use "1 ${unit}" or "N ${unit}s"`);
    return { kind: 'rate', everyMs: amount * UNIT_MS[unit]! };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) throw new Error(`Unsupported schedule expression: ${expression}`);
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`Invalid schedule ${expression}: cron needs 6 fields`);
  const [min, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new Error(`Invalid schedule ${expression}: exactly one of day-of-month and day-of-week must be "?"`);
  }
  return {
    kind: 'cron',
    fields: {
      minutes: parseField(min, 0, 59),
      hours: parseField(hour, 0, 23),
      daysOfMonth: dom === '?' ? 'any' : parseField(dom, 1, 31),
      months: parseField(month, 1, 12, MONTHS, 1),
      daysOfWeek: dow === '?' ? 'any' : parseField(dow, 1, 7, DAYS, 1),
      years: year === '*' ? 'all' : parseField(year, 1970, 2199),
    },
  };
}

function parseField(field: string, min: number, max: number, names: string[] = [], base = 0): Set<number> {
  const values = new Set<number>();
  const toNumber = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const value = named >= 0 ? named + base : Number(token);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`Invalid cron value "${token}"`);
    return value;
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = min;
    let to = max;
    if (range !== '*') {
      const [a, b] = range!.split('-');
      from = toNumber(a!);
      to = b === undefined ? (stepText === undefined ? from : max) : toNumber(b);
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/** The first firing strictly after `afterMs` (epoch ms, UTC). */
export function nextFiring(schedule: Schedule, afterMs: number, startedAtMs: number): number {
  if (schedule.kind === 'rate') {
    const elapsed = afterMs - startedAtMs;
    return startedAtMs + (Math.floor(elapsed / schedule.everyMs) + 1) * schedule.everyMs;
  }
  const { fields } = schedule;
  const at = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  // Minute steps over at most five years: enough for any satisfiable expression.
  for (let i = 0; i < 5 * 366 * 24 * 60; i++) {
    const dayOk =
      (fields.daysOfMonth === 'any' || fields.daysOfMonth.has(at.getUTCDate())) &&
      (fields.daysOfWeek === 'any' || fields.daysOfWeek.has(at.getUTCDay() + 1));
    if (
      (fields.years === 'all' || fields.years.has(at.getUTCFullYear())) &&
      fields.months.has(at.getUTCMonth() + 1) &&
      dayOk &&
      fields.hours.has(at.getUTCHours()) &&
      fields.minutes.has(at.getUTCMinutes())
    ) {
      return at.getTime();
    }
    at.setTime(at.getTime() + 60_000);
  }
  throw new Error('Cron expression never fires');
}
