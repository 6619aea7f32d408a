import { describe, expect, it } from 'vitest';
import { nextFiring, parseSchedule } from '../schedule.ts';
import { Scheduler } from '../scheduler.ts';

const at = (iso: string) => new Date(iso).getTime();

describe('rate expressions', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
  ])('%s fires every %i ms from the start', (expression, everyMs) => {
    const schedule = parseSchedule(expression);
    const start = at('2026-01-01T00:00:00Z');
    expect(nextFiring(schedule, start, start)).toBe(start + everyMs);
    expect(nextFiring(schedule, start + everyMs, start)).toBe(start + 2 * everyMs);
  });

  it.each(['rate(0 minutes)', 'rate(1 minutes)', 'rate(2 minute)', 'rate(5 seconds)', 'every 5 minutes'])('refuses %s', (expression) => {
    expect(() => parseSchedule(expression)).toThrow();
  });
});

describe('cron expressions (UTC, six fields)', () => {
  it.each([
    ['cron(0 12 * * ? *)', '2026-03-10T13:00:00Z', '2026-03-11T12:00:00Z'],
    ['cron(15 10 ? * MON-FRI *)', '2026-03-13T10:15:00Z', '2026-03-16T10:15:00Z'],
    ['cron(0/15 * * * ? *)', '2026-03-10T10:07:00Z', '2026-03-10T10:15:00Z'],
    ['cron(0 0 1 JAN,JUL ? *)', '2026-02-01T00:00:00Z', '2026-07-01T00:00:00Z'],
    ['cron(30 6 ? * 1 2027)', '2026-03-10T00:00:00Z', '2027-01-03T06:30:00Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(new Date(nextFiring(parseSchedule(expression), at(after), 0)).toISOString()).toBe(new Date(expected).toISOString());
  });

  it.each(['cron(0 12 * * * *)', 'cron(0 12 ? * ? *)', 'cron(0 12 * *)', 'cron(61 * * * ? *)'])('refuses %s', (expression) => {
    expect(() => parseSchedule(expression)).toThrow();
  });
});

describe('Scheduler.fireAll', () => {
  it('fires every rule once, ahead of its schedule, and resolves only when each firing has ended', async () => {
    const finished: string[] = [];
    const scheduler = new Scheduler();
    const rule = (name: string) => ({
      name,
      expression: 'rate(1 hour)',
      fire: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished.push(name);
      },
    });
    scheduler.add(rule('a'));
    scheduler.add(rule('b'));
    await scheduler.fireAll();
    expect(finished.sort()).toEqual(['a', 'b']);
    expect(Object.fromEntries(scheduler.firings)).toEqual({ a: 1, b: 1 });
    scheduler.stop();
  });
});
