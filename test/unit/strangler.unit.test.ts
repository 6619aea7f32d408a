import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderEvent, OrderEventMessage } from '../../lambdas/domain/orders/index.ts';
import { feedToLegacy, LegacyRefusedError, toLegacyFeedEntry } from '../../lambdas/patterns/strangler/index.ts';
import { retryDelaySeconds } from '../../lambdas/shared/subscriber.ts';
import { centsOf, dollarsOf, legacyFeedSchema } from '../../lambdas/stand-ins/legacy-orders.ts';

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
  data: { orderId: 'o-1', customerId: 'c-9', items: [{ sku: 'LAMP', quantity: 3, unitPriceCents: 1205 }], totalCents: 3615, placedAt: '2026-11-26T10:00:00.000Z' },
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
  it('feeds a placement as the whole order in legacy’s terms, at revision = our version', () => {
    const entry = toLegacyFeedEntry(message(1, placed), placed);
    expect(entry).toEqual({
      rev: 1,
      status_code: 'N',
      updated_at: '2026-11-26T10:00:01.000Z',
      order: { customer_no: 'c-9', lines: [{ sku: 'LAMP', qty: 3, unit_price: '12.05' }], total_amount: '36.15', placed_at: '2026-11-26T10:00:00.000Z' },
    });
    expect(legacyFeedSchema.parse(entry)).toEqual(entry);
  });

  it.each([
    [{ type: 'OrderPaid', data: { paymentId: 'p', amountCents: 1, paidAt: 'x' } }, 'P'],
    [{ type: 'PaymentDeclined', data: { reason: 'card', declinedAt: 'x' } }, 'N'],
    [{ type: 'OrderCancelled', data: { reason: 'CUSTOMER_REQUEST', cancelledAt: 'x' } }, 'C'],
    [{ type: 'OrderShipped', data: { shippedAt: 'x' } }, 'S'],
  ] as [OrderEvent, string][])('feeds %o as a status change only', (event, status) => {
    expect(toLegacyFeedEntry(message(2, event), event)).toEqual({ rev: 2, status_code: status, updated_at: '2026-11-26T10:00:02.000Z' });
  });

  it('counts legacy’s answers: applied, a repeat, or a refusal that must be retried', async () => {
    const sent: unknown[] = [];
    const answering = (status: number, body: unknown) => async (request: unknown) => (sent.push(request), { status, body });
    expect(await feedToLegacy(answering(200, { applied: true }), message(1, placed), placed)).toBe('applied');
    expect(await feedToLegacy(answering(200, { applied: false }), message(1, placed), placed)).toBe('duplicate');
    await expect(feedToLegacy(answering(409, { error: { code: 'ORDER_UNKNOWN' } }), message(1, placed), placed)).rejects.toBeInstanceOf(LegacyRefusedError);
    expect(sent[0]).toMatchObject({ method: 'PUT', path: '/integration/orders/o-1', correlationId: 'c-1' });
  });
});

describe('a subscriber’s retry backoff', () => {
  it('doubles from the first delay with each receive, up to the longest', () => {
    expect([1, 2, 3, 4, 9, 10, 30, 1000].map((n) => retryDelaySeconds(n, 1, 300))).toEqual([1, 2, 4, 8, 256, 300, 300, 300]);
  });
});
