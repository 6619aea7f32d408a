import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decide,
  evolve,
  fold,
  initialState,
  isOrderDomainError,
  orderUpcasters,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
} from '../../../lambdas/domain/orders/index.ts';
import v1Fixture from '../../fixtures/events/order-placed.v1.json' with { type: 'json' };

const NOW = '2026-11-25T12:00:00.000Z';
const items = [
  { sku: 'BOOK-DUNE', quantity: 2, unitPriceCents: 999 },
  { sku: 'MUG-BLUE', quantity: 1, unitPriceCents: 450 },
];
const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: { orderId: 'o-1', customerId: 'c-1', items, totalCents: 2448, placedAt: '2026-11-25T11:00:00.000Z' },
};
const paid: OrderEvent = { type: 'OrderPaid', data: { paymentId: 'p-1', amountCents: 2448, paidAt: NOW } };
const cancelled: OrderEvent = { type: 'OrderCancelled', data: { reason: 'CUSTOMER_REQUEST', cancelledAt: NOW } };
const shipped: OrderEvent = { type: 'OrderShipped', data: { shippedAt: NOW } };

const place: OrderCommand = { type: 'PlaceOrder', data: { orderId: 'o-1', customerId: 'c-1', items }, now: NOW };
const payApproved: OrderCommand = { type: 'PayOrder', data: { orderId: 'o-1', payment: { status: 'APPROVED', paymentId: 'p-1', amountCents: 2448 } }, now: NOW };
const payDeclined: OrderCommand = { type: 'PayOrder', data: { orderId: 'o-1', payment: { status: 'DECLINED', reason: 'INSUFFICIENT_FUNDS' } }, now: NOW };
const cancel: OrderCommand = { type: 'CancelOrder', data: { orderId: 'o-1', reason: 'CUSTOMER_REQUEST' }, now: NOW };
const ship: OrderCommand = { type: 'ShipOrder', data: { orderId: 'o-1' }, now: NOW };

/** given(events).when(command).then(events) / .thenThrows(code) */
function given(events: OrderEvent[]) {
  return {
    when: (command: OrderCommand) => ({
      then: (expected: OrderEvent[]) => expect(decide(command, fold(events))).toEqual(expected),
      thenThrows: (code: string) => {
        let caught: unknown;
        try {
          decide(command, fold(events));
        } catch (error) {
          caught = error;
        }
        expect(isOrderDomainError(caught), `expected ${code}, got ${String(caught)}`).toBe(true);
        expect((caught as { code: string }).code).toBe(code);
      },
    }),
  };
}

describe('Order decider', () => {
  describe('when there is no order', () => {
    it('places it with the total in cents and the time of the command', () =>
      given([]).when(place).then([{ type: 'OrderPlaced', data: { orderId: 'o-1', customerId: 'c-1', items, totalCents: 2448, placedAt: NOW } }]));
    it.each([payApproved, cancel, ship])('refuses $type as ORDER_NOT_FOUND', (command) => given([]).when(command).thenThrows('ORDER_NOT_FOUND'));
  });

  describe('when placed', () => {
    it('refuses to place it again', () => given([placed]).when(place).thenThrows('ORDER_ALREADY_EXISTS'));
    it('records an approved payment', () => given([placed]).when(payApproved).then([paid]));
    it('records a declined payment and stays payable', () => {
      given([placed]).when(payDeclined).then([{ type: 'PaymentDeclined', data: { reason: 'INSUFFICIENT_FUNDS', declinedAt: NOW } }]);
      const state = fold([placed, { type: 'PaymentDeclined', data: { reason: 'X', declinedAt: NOW } }]);
      expect(state).toMatchObject({ status: 'PLACED', declinedPayments: 1 });
      given([placed, { type: 'PaymentDeclined', data: { reason: 'X', declinedAt: NOW } }]).when(payApproved).then([paid]);
    });
    it('refuses a payment of another amount', () => {
      const wrongAmount: OrderCommand = { ...payApproved, data: { orderId: 'o-1', payment: { status: 'APPROVED', paymentId: 'p', amountCents: 1 } } } as OrderCommand;
      given([placed]).when(wrongAmount).thenThrows('PAYMENT_AMOUNT_MISMATCH');
    });
    it('cancels', () => given([placed]).when(cancel).then([cancelled]));
    it('refuses to ship before payment', () => given([placed]).when(ship).thenThrows('ILLEGAL_TRANSITION'));
  });

  describe('when paid', () => {
    it('ships', () => given([placed, paid]).when(ship).then([shipped]));
    it('cancels', () => given([placed, paid]).when(cancel).then([cancelled]));
    it('refuses a second payment', () => given([placed, paid]).when(payApproved).thenThrows('ILLEGAL_TRANSITION'));
    it('refuses a payment-timeout cancellation: the payment came in time', () => {
      const timeout: OrderCommand = { type: 'CancelOrder', data: { orderId: 'o-1', reason: 'PAYMENT_TIMEOUT' }, now: NOW };
      given([placed, paid]).when(timeout).thenThrows('ILLEGAL_TRANSITION');
      given([placed]).when(timeout).then([{ type: 'OrderCancelled', data: { reason: 'PAYMENT_TIMEOUT', cancelledAt: NOW } }]);
    });
  });

  describe('when cancelled', () => {
    it.each([payApproved, cancel, ship])('refuses $type', (command) => given([placed, cancelled]).when(command).thenThrows('ILLEGAL_TRANSITION'));
  });

  describe('when shipped', () => {
    it.each([payApproved, cancel, ship])('refuses $type', (command) => given([placed, paid, shipped]).when(command).thenThrows('ILLEGAL_TRANSITION'));
  });

  it('folds a history into the state the read side shows', () => {
    expect(fold([placed, paid, shipped])).toEqual({
      status: 'SHIPPED',
      orderId: 'o-1',
      customerId: 'c-1',
      items,
      totalCents: 2448,
      placedAt: '2026-11-25T11:00:00.000Z',
      updatedAt: NOW,
      paymentId: 'p-1',
      declinedPayments: 0,
    });
  });
});

describe('OrderPlaced upcaster v1 → v2', () => {
  it('turns float dollars into integer cents, exactly', () => {
    // Prepare: a v1 event as stored in 2025 (0.1 + 19.98 is not 20.08 in floating point).
    const upcast = orderUpcasters.OrderPlaced![1]!;
    // Act
    const data = upcast(v1Fixture.data);
    // Assess
    expect(data).toEqual({
      orderId: 'order-legacy-1',
      customerId: 'customer-7',
      items: [
        { sku: 'BOOK-DUNE', quantity: 2, unitPriceCents: 999 },
        { sku: 'MUG-BLUE', quantity: 1, unitPriceCents: 10 },
      ],
      totalCents: 2008,
      placedAt: '2025-06-01T10:00:00.000Z',
    });
  });
});

// Properties: random command sequences against the decider.
const itemArb = fc.record({ sku: fc.stringMatching(/^[A-Z0-9-]{1,12}$/), quantity: fc.integer({ min: 1, max: 1000 }), unitPriceCents: fc.integer({ min: 1, max: 1_000_000 }) });
const commandArb: fc.Arbitrary<(state: OrderState) => OrderCommand> = fc.oneof(
  fc.array(itemArb, { minLength: 1, maxLength: 5 }).map((lines) => () => ({ type: 'PlaceOrder', data: { orderId: 'o', customerId: 'c', items: lines }, now: NOW }) as OrderCommand),
  fc.boolean().map((approved) => (state: OrderState) =>
    ({
      type: 'PayOrder',
      data: { orderId: 'o', payment: approved ? { status: 'APPROVED', paymentId: 'p', amountCents: state.status === 'NONE' ? 0 : state.totalCents } : { status: 'DECLINED', reason: 'NO' } },
      now: NOW,
    }) as OrderCommand),
  fc.constantFrom('CUSTOMER_REQUEST', 'PAYMENT_TIMEOUT').map((reason) => () => ({ type: 'CancelOrder', data: { orderId: 'o', reason }, now: NOW }) as OrderCommand),
  fc.constant(() => ({ type: 'ShipOrder', data: { orderId: 'o' }, now: NOW }) as OrderCommand),
);

/** Runs commands, keeping the events of those the decider accepts. */
function run(commands: ((state: OrderState) => OrderCommand)[]): OrderEvent[] {
  const events: OrderEvent[] = [];
  for (const make of commands) {
    const state = fold(events);
    try {
      events.push(...decide(make(state), state));
    } catch (error) {
      if (!isOrderDomainError(error)) throw error;
    }
  }
  return events;
}

describe('Order decider properties', () => {
  it('any command sequence folds to a valid state', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 30 }), (commands) => {
        const events = run(commands);
        const state = fold(events);
        if (events.length === 0) return state.status === 'NONE';
        if (state.status === 'NONE') return false;
        const total = state.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
        const placedOnce = events.filter((e) => e.type === 'OrderPlaced').length === 1;
        const terminalLast = events.findIndex((e) => e.type === 'OrderCancelled' || e.type === 'OrderShipped');
        return state.totalCents === total && placedOnce && (terminalLast === -1 || terminalLast === events.length - 1);
      }),
    );
  });

  it('a snapshot (stored as JSON) plus the tail folds to the same state as the whole history', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 30 }), fc.nat(), (commands, cut) => {
        const events = run(commands);
        const at = events.length === 0 ? 0 : cut % (events.length + 1);
        const snapshot = JSON.parse(JSON.stringify(fold(events.slice(0, at)))) as OrderState;
        expect(fold(events.slice(at), snapshot)).toEqual(fold(events));
      }),
    );
  });

  it('evolve ignores events before an OrderPlaced (nothing to apply them to)', () => {
    expect(evolve(initialState, paid)).toBe(initialState);
  });
});
