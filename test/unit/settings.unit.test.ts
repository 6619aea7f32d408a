/** A function's settings (lambdas/composition/settings.ts): read once, typed, and a cold start that names every bad variable. */
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { json, list, readSettings, text, whole } from '../../lambdas/composition/settings.ts';

const fields = {
  table: ['EVENTS_TABLE', text],
  snapshotEvery: ['SNAPSHOT_EVERY', whole.default(50)],
  routes: ['ROUTES', json(z.record(z.string(), z.number()))],
  targets: ['TARGETS', list],
} as const;

describe('readSettings', () => {
  it('reads each variable into its typed field, with defaults for the optional ones', () => {
    expect(readSettings(fields, { EVENTS_TABLE: 'events', ROUTES: '{"a":1}', TARGETS: 'legacy,payment-provider' })).toEqual({
      table: 'events',
      snapshotEvery: 50,
      routes: { a: 1 },
      targets: ['legacy', 'payment-provider'],
    });
    expect(readSettings(fields, { EVENTS_TABLE: 'e', SNAPSHOT_EVERY: '7', ROUTES: '{}' })).toMatchObject({ snapshotEvery: 7, targets: [] });
  });

  it('fails the cold start naming every variable missing or malformed, not only the first', () => {
    expect(() => readSettings(fields, { SNAPSHOT_EVERY: 'often', ROUTES: '{"a":' })).toThrow(
      /Environment variables missing or malformed: EVENTS_TABLE \(.*\), SNAPSHOT_EVERY \(.*\), ROUTES \(.*\)/,
    );
  });
});
