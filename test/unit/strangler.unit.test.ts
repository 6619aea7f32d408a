import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderEvent, OrderEventMessage } from '../../lambdas/domain/orders/index.ts';
import {
  compareAnswers,
  MAX_DIFFERENCES,
  routingTableSchema,
  servedByEightfold,
  stickyKeyOf,
} from '../../lambdas/patterns/strangler/index.ts';
import { feedToLegacy, LegacyFeedConflictError, LegacyRefusedError, toLegacyFeedEntry } from '../../lambdas/use-cases/legacy-feed.ts';
import { retryDelaySeconds } from '../../lambdas/composition/subscriber.ts';
import { centsOf, dollarsOf, legacyFeedSchema } from '../../lambdas/use-cases/legacy-contract.ts';

const message = (version: number, event: OrderEvent): OrderEventMessage => ({
  eventId: `e${version}`,
  orderId: 'o-1',
  version,
  type: event.type,
  schemaVersion: 1,
  data: event.data,
  metadata: { correlationId: 'c-1' },
  recordedAt: `2026-11-26T10:00:0${version}.000Z`,
});
const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId: 'o-1',
    customerId: 'c-9',
    items: [{ sku: 'LAMP', quantity: 3, unitPriceCents: 1205 }],
    totalCents: 3615,
    placedAt: '2026-11-26T10:00:00.000Z',
  },
};

describe('legacy money', () => {
  it('writes cents as dollar strings with two decimals and reads them back exactly', () => {
    expect(dollarsOf(3615)).toBe('36.15');
    expect(dollarsOf(5)).toBe('0.05');
    expect(dollarsOf(100)).toBe('1.00');
    expect(centsOf('12.5')).toBe(1250);
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), (cents) => centsOf(dollarsOf(cents)) === cents));
  });
});

describe('the anti-corruption layer', () => {
  it('feeds a placement as the whole order in legacy’s terms, with our version and event id', () => {
    const entry = toLegacyFeedEntry(message(1, placed), placed);
    expect(entry).toEqual({
      version: 1,
      event_id: 'e1',
      status_code: 'N',
      updated_at: '2026-11-26T10:00:00.000Z',
      order: {
        customer_no: 'c-9',
        lines: [{ sku: 'LAMP', qty: 3, unit_price: '12.05' }],
        total_amount: '36.15',
        placed_at: '2026-11-26T10:00:00.000Z',
      },
    });
    expect(legacyFeedSchema.parse(entry)).toEqual(entry);
  });

  it.each([
    [{ type: 'OrderPaid', data: { paymentId: 'p', amountCents: 1, paidAt: 't1' } }, 'P', 't1'],
    [{ type: 'OrderCancelled', data: { reason: 'CUSTOMER_REQUEST', cancelledAt: 't3' } }, 'C', 't3'],
    [{ type: 'OrderShipped', data: { shippedAt: 't4' } }, 'S', 't4'],
  ] as [OrderEvent, string, string][])('feeds %o as a status change at the time it happened', (event, status, at) => {
    expect(toLegacyFeedEntry(message(2, event), event)).toEqual({ version: 2, event_id: 'e2', status_code: status, updated_at: at });
  });

  it.each([
    [{ type: 'PaymentDeclined', data: { reason: 'card', declinedAt: 't2' } }, 't2'],
    [{ type: 'PaymentRequested', data: { paymentKey: 'k', amountCents: 1, requestedAt: 't5' } }, 't5'],
    [
      { type: 'RefundRequested', data: { chargeId: 'ch', amountCents: 1, refundKey: 'r', reason: 'ORDER_CANCELLED', requestedAt: 't6' } },
      't6',
    ],
    [{ type: 'PaymentRefunded', data: { chargeId: 'ch', refundId: 're', amountCents: 1, refundedAt: 't7' } }, 't7'],
  ] as [OrderEvent, string][])('feeds %o as a revision that leaves legacy’s status as it was', (event, at) => {
    const entry = toLegacyFeedEntry(message(3, event), event);
    expect(entry).toEqual({ version: 3, event_id: 'e3', updated_at: at });
    expect(legacyFeedSchema.parse(entry)).toEqual(entry);
  });

  it.each([
    [{ type: 'OrderImported', data: { ...placed.data, status: 'PLACED', updatedAt: 't', legacyRev: 4, importedAt: 't' } }],
    [{ type: 'OrderCancelled', data: { reason: 'CUSTOMER_REQUEST', cancelledAt: 't3', legacyRev: 5 } }],
    [{ type: 'OrderPaid', data: { paymentId: 'legacy:o-1', amountCents: 1, paidAt: 't1', legacyRev: 6 } }],
    [
      {
        type: 'LegacyChangeRejected',
        data: { legacyRev: 7, legacyStatus: 'CANCELLED', keptStatus: 'SHIPPED', owner: 'legacy', reason: 'r', rejectedAt: 't' },
      },
    ],
  ] as [OrderEvent][])('feeds nothing back of a change legacy made: %o', (event) => {
    expect(toLegacyFeedEntry(message(4, event), event)).toBeUndefined();
  });

  it('corrects legacy when Eightfold rejected its change on a route Eightfold owns: the status the order keeps', () => {
    const rejected: OrderEvent = {
      type: 'LegacyChangeRejected',
      data: { legacyRev: 3, legacyStatus: 'CANCELLED', keptStatus: 'SHIPPED', owner: 'eightfold', reason: 'r', rejectedAt: 't9' },
    };
    expect(toLegacyFeedEntry(message(5, rejected), rejected)).toEqual({ version: 5, event_id: 'e5', status_code: 'S', updated_at: 't9' });
  });

  it('refuses a placement without its status', () => {
    expect(
      legacyFeedSchema.safeParse({
        version: 1,
        event_id: 'e1',
        updated_at: 't',
        order: { customer_no: 'c', lines: [{ sku: 'A', qty: 1, unit_price: '1.00' }], total_amount: '1.00', placed_at: 't' },
      }).success,
    ).toBe(false);
  });

  it('counts legacy’s answers: applied, a repeat of the same event, a refusal to retry, and anything else a conflict', async () => {
    const sent: unknown[] = [];
    const answering = (status: number, body: unknown) => async (request: unknown) => (sent.push(request), { status, body });
    expect(await feedToLegacy(answering(200, { applied: true, rev: 1 }), message(1, placed), placed)).toBe('applied');
    const held = (version: number, eventId: string) => ({
      applied: false,
      rev: 2,
      eightfold_version: version,
      eightfold_event_id: eventId,
    });
    expect(await feedToLegacy(answering(200, held(1, 'e1')), message(1, placed), placed)).toBe('duplicate');
    await expect(feedToLegacy(answering(409, { error: { code: 'ORDER_UNKNOWN' } }), message(1, placed), placed)).rejects.toBeInstanceOf(
      LegacyRefusedError,
    );
    // The same version by another event (a placement written first by someone else), a newer version, or an order of legacy's own.
    for (const answer of [held(1, 'forged'), held(2, 'e2'), { applied: false, rev: 1 }])
      await expect(feedToLegacy(answering(200, answer), message(1, placed), placed)).rejects.toBeInstanceOf(LegacyFeedConflictError);
    expect(sent[0]).toMatchObject({ method: 'PUT', path: '/integration/orders/o-1', correlationId: 'c-1' });
  });
});

describe('a subscriber’s retry backoff', () => {
  it('doubles from the first delay with each receive, up to the longest', () => {
    expect([1, 2, 3, 4, 9, 10, 30, 1000].map((n) => retryDelaySeconds(n, 1, 300))).toEqual([1, 2, 4, 8, 256, 300, 300, 300]);
  });
});

describe('shadow comparisons', () => {
  const order = { orderId: 'o-1', status: 'PLACED', items: [{ sku: 'LAMP', quantity: 2 }], updatedAt: 't1' };

  it('finds nothing between equal answers, whatever the key order', () => {
    expect(
      compareAnswers(
        { statusCode: 200, body: order },
        { statusCode: 200, body: { updatedAt: 't1', items: [{ quantity: 2, sku: 'LAMP' }], status: 'PLACED', orderId: 'o-1' } },
      ),
    ).toEqual([]);
  });

  it('names each difference by its path: status code, fields, list lengths and elements, missing fields', () => {
    const eightfold = {
      orderId: 'o-1',
      status: 'PAID',
      items: [
        { sku: 'LAMP', quantity: 3 },
        { sku: 'MUG', quantity: 1 },
      ],
      version: 2,
    };
    expect(compareAnswers({ statusCode: 200, body: order }, { statusCode: 201, body: eightfold })).toEqual([
      { path: 'statusCode', legacy: 200, eightfold: 201 },
      { path: 'status', legacy: 'PLACED', eightfold: 'PAID' },
      { path: 'items.length', legacy: 1, eightfold: 2 },
      { path: 'items[0].quantity', legacy: 2, eightfold: 3 },
      { path: 'updatedAt', legacy: 't1', eightfold: undefined },
      { path: 'version', legacy: undefined, eightfold: 2 },
    ]);
  });

  it('skips ignored fields at any depth, and whole paths', () => {
    const eightfold = { ...order, orderId: 'o-2', updatedAt: 't2', items: [{ sku: 'LAMP', quantity: 5 }] };
    expect(
      compareAnswers({ statusCode: 200, body: order }, { statusCode: 200, body: eightfold }, ['orderId', 'updatedAt', 'items[0].quantity']),
    ).toEqual([]);
  });

  it('compares bodies that are not JSON as text, and reports at most MAX_DIFFERENCES', () => {
    expect(compareAnswers({ statusCode: 502, body: 'Bad gateway' }, { statusCode: 502, body: 'Bad Gateway' })).toEqual([
      { path: 'body', legacy: 'Bad gateway', eightfold: 'Bad Gateway' },
    ]);
    const many = (offset: number) => Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, i + offset]));
    expect(compareAnswers({ statusCode: 200, body: many(0) }, { statusCode: 200, body: many(1) })).toHaveLength(MAX_DIFFERENCES);
  });
});

describe('the routing table', () => {
  it('takes the four modes, a percent only when weighted, ignores only when shadowed', () => {
    expect(
      routingTableSchema.parse({ 'GET /orders/{orderId}': { mode: 'shadow', since: '2026-11-26', ignore: ['updatedAt'] } }),
    ).toBeDefined();
    for (const bad of [
      { 'GET /orders': { mode: 'weighted', since: '2026-11-26' } },
      { 'GET /orders': { mode: 'eightfold', since: '2026-11-26', percent: 10 } },
      { 'GET /orders': { mode: 'legacy', since: '2026-11-26', ignore: ['x'] } },
      { 'GET /orders': { mode: 'weighted', since: '2026-11-26', percent: 101 } },
      { 'GET /orders': { mode: 'legacy', since: 'yesterday' } },
      { 'FETCH /orders': { mode: 'legacy', since: '2026-11-26' } },
      { 'GET orders': { mode: 'legacy', since: '2026-11-26' } },
    ]) {
      expect(routingTableSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('keys a weighted split on the customer, however the request names it', () => {
    expect(stickyKeyOf({ pathParameters: { customerId: 'c-1' } })).toBe('customer:c-1');
    expect(stickyKeyOf({ body: JSON.stringify({ customerId: 'c-2', items: [] }) })).toBe('customer:c-2');
    expect(stickyKeyOf({ headers: { 'X-Customer-Id': 'c-3' } })).toBe('customer:c-3');
    expect(stickyKeyOf({ pathParameters: { orderId: 'o-1' }, body: 'not json' })).toBe('param:o-1');
    expect(stickyKeyOf({ sourceIp: '10.0.0.1' })).toBe('ip:10.0.0.1');
    // A customer signed in is the customer, whatever else the request names: their orders stay on one side.
    expect(stickyKeyOf({ signedInCustomer: 'c-4', pathParameters: { orderId: 'o-1' } })).toBe('customer:c-4');
    expect(stickyKeyOf({ signedInCustomer: 'c-4', body: JSON.stringify({ items: [] }) })).toBe('customer:c-4');
  });

  it('sends each key always the same way, and close to the percentage of keys to Eightfold', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 100 }),
        (key, percent) => servedByEightfold(key, percent) === servedByEightfold(key, percent),
      ),
    );
    for (const percent of [0, 10, 50, 90, 100]) {
      const share = Array.from({ length: 10_000 }, (_, i) => servedByEightfold(`customer:${i}`, percent)).filter(Boolean).length / 100;
      expect(Math.abs(share - percent)).toBeLessThanOrEqual(1.5);
    }
    // Raising the percentage only moves keys from legacy to Eightfold, never back.
    for (let i = 0; i < 1_000; i++) if (servedByEightfold(`customer:${i}`, 20)) expect(servedByEightfold(`customer:${i}`, 30)).toBe(true);
  });
});
