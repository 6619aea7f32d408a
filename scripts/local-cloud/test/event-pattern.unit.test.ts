import { describe, expect, it } from 'vitest';
import { compileFilterCriteria, matchesPattern } from '../event-pattern.ts';

const record = {
  eventName: 'INSERT',
  dynamodb: { NewImage: { type: { S: 'OrderPlaced' }, total: { N: '42' } }, Keys: { pk: { S: 'order#1' } } },
  body: { kind: 'gift', amount: 12, tags: ['red', 'big'] },
};

describe('matchesPattern', () => {
  describe.each([
    { description: 'an exact value', pattern: { eventName: ['INSERT'] }, matches: true },
    { description: 'one of several values', pattern: { eventName: ['MODIFY', 'INSERT'] }, matches: true },
    { description: 'a value that differs', pattern: { eventName: ['REMOVE'] }, matches: false },
    { description: 'a nested value', pattern: { dynamodb: { NewImage: { type: { S: ['OrderPlaced'] } } } }, matches: true },
    { description: 'a prefix', pattern: { dynamodb: { Keys: { pk: { S: [{ prefix: 'order#' }] } } } }, matches: true },
    { description: 'a suffix that differs', pattern: { dynamodb: { Keys: { pk: { S: [{ suffix: '#2' }] } } } }, matches: false },
    { description: 'anything-but', pattern: { eventName: [{ 'anything-but': ['REMOVE'] }] }, matches: true },
    { description: 'anything-but the value', pattern: { eventName: [{ 'anything-but': 'INSERT' }] }, matches: false },
    { description: 'a numeric range', pattern: { body: { amount: [{ numeric: ['>', 10, '<=', 12] }] } }, matches: true },
    { description: 'a numeric range missed', pattern: { body: { amount: [{ numeric: ['<', 10] }] } }, matches: false },
    { description: 'exists: true', pattern: { body: { kind: [{ exists: true }] } }, matches: true },
    { description: 'exists: false on a present field', pattern: { body: { kind: [{ exists: false }] } }, matches: false },
    { description: 'exists: false on an absent field', pattern: { body: { colour: [{ exists: false }] } }, matches: true },
    { description: 'equals-ignore-case', pattern: { body: { kind: [{ 'equals-ignore-case': 'GIFT' }] } }, matches: true },
    { description: 'a wildcard', pattern: { body: { kind: [{ wildcard: 'g*t' }] } }, matches: true },
    { description: 'any element of an array', pattern: { body: { tags: ['big'] } }, matches: true },
    { description: '$or alternatives', pattern: { $or: [{ eventName: ['REMOVE'] }, { body: { kind: ['gift'] } }] }, matches: true },
    { description: 'a missing nested object', pattern: { missing: { inner: ['x'] } }, matches: false },
  ])('$description', ({ pattern, matches }) => {
    it(matches ? 'matches' : 'does not match', () => {
      expect(matchesPattern(pattern, record)).toBe(matches);
    });
  });

  it('rejects a pattern whose leaf is not an array', () => {
    expect(() => matchesPattern({ eventName: 'INSERT' } as never, record)).toThrow('Filter pattern leaves must be arrays');
  });
});

describe('compileFilterCriteria', () => {
  it('passes every record when there is no filter', () => {
    expect(compileFilterCriteria(undefined)(record)).toBe(true);
  });

  it('passes a record that any filter matches, as Lambda ORs its filters', () => {
    const filter = compileFilterCriteria({ Filters: [{ Pattern: '{"eventName":["REMOVE"]}' }, { Pattern: '{"eventName":["INSERT"]}' }] });
    expect(filter(record)).toBe(true);
    expect(filter({ eventName: 'MODIFY' })).toBe(false);
  });
});
