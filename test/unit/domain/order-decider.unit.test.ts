import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decide,
  evolve,
  fold,
  initialState,
  isOrderDomainError,
  orderUpcasters,
  chargedCents,
  openSince,
  paymentSummaryOf,
  pendingRefunds,
  refundedCents,
  type ExistingOrder,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type PaymentOutcome,
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
const KEY = 'o-1:v1';
const requested: OrderEvent = { type: 'PaymentRequested', data: { paymentKey: KEY, amountCents: 2448, requestedAt: NOW } };
const paid: OrderEvent = { type: 'OrderPaid', data: { paymentId: 'ch-1', amountCents: 2448, paidAt: NOW, paymentKey: KEY } };
const cancelled: OrderEvent = { type: 'OrderCancelled', data: { reason: 'CUSTOMER_REQUEST', cancelledAt: NOW } };
const shipped: OrderEvent = { type: 'OrderShipped', data: { shippedAt: NOW } };
const refundOwed = (chargeId: string, reason: string, paymentKey?: string): OrderEvent =>
  ({
    type: 'RefundRequested',
    data: { chargeId, amountCents: 2448, refundKey: `refund:${chargeId}`, reason, requestedAt: NOW, ...(paymentKey ? { paymentKey } : {}) },
  }) as OrderEvent;
const refunded = (chargeId: string): OrderEvent => ({
  type: 'PaymentRefunded',
  data: { chargeId, refundId: `re-${chargeId}`, amountCents: 2448, refundedAt: NOW },
});

const place: OrderCommand = { type: 'PlaceOrder', data: { orderId: 'o-1', customerId: 'c-1', items }, now: NOW };
const requestPayment = (paymentKey = KEY): OrderCommand => ({ type: 'RequestPayment', data: { orderId: 'o-1', paymentKey }, now: NOW });
const record = (outcome: PaymentOutcome, paymentKey = KEY): OrderCommand => ({
  type: 'RecordPayment',
  data: { orderId: 'o-1', paymentKey, outcome },
  now: NOW,
});
const approved = (chargeId = 'ch-1', amountCents = 2448): PaymentOutcome => ({ status: 'APPROVED', paymentId: chargeId, amountCents });
const declined: PaymentOutcome = { status: 'DECLINED', reason: 'INSUFFICIENT_FUNDS' };
const recordRefund = (chargeId: string): OrderCommand => ({
  type: 'RecordRefund',
  data: { orderId: 'o-1', chargeId, refundId: `re-${chargeId}` },
  now: NOW,
});
const cancel: OrderCommand = { type: 'CancelOrder', data: { orderId: 'o-1', reason: 'CUSTOMER_REQUEST' }, now: NOW };
const timeout: OrderCommand = { type: 'CancelOrder', data: { orderId: 'o-1', reason: 'PAYMENT_TIMEOUT' }, now: NOW };
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
      given([])
        .when(place)
        .then([{ type: 'OrderPlaced', data: { orderId: 'o-1', customerId: 'c-1', items, totalCents: 2448, placedAt: NOW } }]));
    it.each([requestPayment(), record(approved()), cancel, ship])('refuses $type as ORDER_NOT_FOUND', (command) =>
      given([]).when(command).thenThrows('ORDER_NOT_FOUND'),
    );
  });

  describe('when placed', () => {
    it('refuses to place it again', () => given([placed]).when(place).thenThrows('ORDER_ALREADY_EXISTS'));
    it('records the intent to pay before any money moves', () => given([placed]).when(requestPayment()).then([requested]));
    it('cancels', () => given([placed]).when(cancel).then([cancelled]));
    it('cancels for a payment timeout when no payment is in flight', () =>
      given([placed])
        .when(timeout)
        .then([{ type: 'OrderCancelled', data: { reason: 'PAYMENT_TIMEOUT', cancelledAt: NOW } }]));
    it('refuses to ship before payment', () => given([placed]).when(ship).thenThrows('ILLEGAL_TRANSITION'));
  });

  describe('the payment saga: a payment in flight', () => {
    it('is paid by the approved charge of that attempt', () => given([placed, requested]).when(record(approved())).then([paid]));
    it('records a decline and is payable again, under a new key', () => {
      given([placed, requested])
        .when(record(declined))
        .then([{ type: 'PaymentDeclined', data: { reason: 'INSUFFICIENT_FUNDS', declinedAt: NOW, paymentKey: KEY } }]);
      const afterDecline = [
        placed,
        requested,
        { type: 'PaymentDeclined', data: { reason: 'X', declinedAt: NOW, paymentKey: KEY } } as OrderEvent,
      ];
      expect(fold(afterDecline)).toMatchObject({ status: 'PLACED', declinedPayments: 1, payment: { charges: {} } });
      given(afterDecline)
        .when(requestPayment('o-1:v3'))
        .then([{ type: 'PaymentRequested', data: { paymentKey: 'o-1:v3', amountCents: 2448, requestedAt: NOW } }]);
    });
    it('refuses a second payment while one is in flight', () =>
      given([placed, requested]).when(requestPayment('o-1:v2')).thenThrows('PAYMENT_IN_PROGRESS'));
    it('is never cancelled by the payment timeout before the provider is asked', () =>
      given([placed, requested]).when(timeout).thenThrows('ILLEGAL_TRANSITION'));
    it('can be cancelled by the customer: the cancel answers at once, the payment stays in flight', () => {
      given([placed, requested]).when(cancel).then([cancelled]);
      expect(fold([placed, requested, cancelled])).toMatchObject({ status: 'CANCELLED', payment: { pending: { key: KEY } } });
    });
    it('refunds a charge that lands on an order cancelled meanwhile', () =>
      given([placed, requested, cancelled])
        .when(record(approved()))
        .then([refundOwed('ch-1', 'ORDER_CANCELLED', KEY)]));
    it('closes on a decline that lands on an order cancelled meanwhile, with nothing to refund', () => {
      given([placed, requested, cancelled])
        .when(record(declined))
        .then([{ type: 'PaymentDeclined', data: { reason: 'INSUFFICIENT_FUNDS', declinedAt: NOW, paymentKey: KEY } }]);
    });
    it('is abandoned when the provider holds no charge under its key', () =>
      given([placed, requested])
        .when(record({ status: 'NOT_FOUND' }))
        .then([{ type: 'PaymentAbandoned', data: { paymentKey: KEY, abandonedAt: NOW } }]));
    it('refunds a charge of another amount than the total', () =>
      given([placed, requested])
        .when(record(approved('ch-9', 1)))
        .then([
          {
            ...refundOwed('ch-9', 'AMOUNT_MISMATCH', KEY),
            data: { ...refundOwed('ch-9', 'AMOUNT_MISMATCH', KEY).data, amountCents: 1 },
          } as OrderEvent,
        ]));
  });

  describe('the payment saga: answers that arrive again or late', () => {
    it('records a charge once, however often its answer arrives', () => given([placed, requested, paid]).when(record(approved())).then([]));
    it('refunds a second charge of a paid order', () =>
      given([placed, requested, paid])
        .when(record(approved('ch-2'), 'o-1:v9'))
        .then([refundOwed('ch-2', 'DUPLICATE_CHARGE')]));
    it('refunds a charge of an attempt already closed', () => {
      const abandoned: OrderEvent = { type: 'PaymentAbandoned', data: { paymentKey: KEY, abandonedAt: NOW } };
      given([placed, requested, abandoned])
        .when(record(approved()))
        .then([refundOwed('ch-1', 'ATTEMPT_CLOSED')]);
    });
    it('ignores a decline or a lookup of an attempt already concluded', () => {
      given([placed, requested, paid]).when(record(declined)).then([]);
      given([placed, requested, paid])
        .when(record({ status: 'NOT_FOUND' }))
        .then([]);
    });
  });

  describe('when paid', () => {
    it('ships', () => given([placed, requested, paid]).when(ship).then([shipped]));
    it('cancels and owes the payment back, in the same append', () =>
      given([placed, requested, paid])
        .when(cancel)
        .then([cancelled, refundOwed('ch-1', 'ORDER_CANCELLED')]));
    it('refuses a second payment', () => given([placed, requested, paid]).when(requestPayment('o-1:v3')).thenThrows('ILLEGAL_TRANSITION'));
    it('refuses a payment-timeout cancellation: the payment came in time', () =>
      given([placed, requested, paid]).when(timeout).thenThrows('ILLEGAL_TRANSITION'));
  });

  describe('refunds', () => {
    const owed = [placed, requested, paid, cancelled, refundOwed('ch-1', 'ORDER_CANCELLED')];
    it('records the provider’s refund once', () => {
      given(owed)
        .when(recordRefund('ch-1'))
        .then([refunded('ch-1')]);
      given([...owed, refunded('ch-1')])
        .when(recordRefund('ch-1'))
        .then([]);
    });
    it('records no refund of a charge that owes none', () => given([placed, requested, paid]).when(recordRefund('ch-1')).then([]));
    it('show the money as it moves: charged, refund pending, refunded', () => {
      expect(paymentSummaryOf(fold([placed, requested]) as ExistingOrder)).toEqual({
        status: 'PENDING',
        chargedCents: 0,
        refundedCents: 0,
      });
      expect(paymentSummaryOf(fold([placed, requested, paid]) as ExistingOrder)).toEqual({
        status: 'PAID',
        chargedCents: 2448,
        refundedCents: 0,
      });
      expect(paymentSummaryOf(fold(owed) as ExistingOrder)).toEqual({ status: 'REFUND_PENDING', chargedCents: 2448, refundedCents: 0 });
      expect(paymentSummaryOf(fold([...owed, refunded('ch-1')]) as ExistingOrder)).toEqual({
        status: 'REFUNDED',
        chargedCents: 2448,
        refundedCents: 2448,
      });
      expect(openSince((fold(owed) as ExistingOrder).payment)).toBe(NOW);
      expect(openSince((fold([...owed, refunded('ch-1')]) as ExistingOrder).payment)).toBeUndefined();
    });
  });

  describe('when cancelled', () => {
    it.each([requestPayment(), cancel, ship])('refuses $type', (command) =>
      given([placed, cancelled]).when(command).thenThrows('ILLEGAL_TRANSITION'),
    );
  });

  describe('when shipped', () => {
    it.each([requestPayment('o-1:v4'), cancel, ship])('refuses $type', (command) =>
      given([placed, requested, paid, shipped]).when(command).thenThrows('ILLEGAL_TRANSITION'),
    );
  });

  it('gives an order stored before the saga (a view row with no ledger) an empty ledger on its next event', () => {
    const { payment: _none, ...before } = fold([placed]) as ExistingOrder;
    expect(evolve(before as OrderState, cancelled)).toMatchObject({ status: 'CANCELLED', payment: { charges: {} } });
  });

  it('folds a history into the state the read side shows', () => {
    expect(fold([placed, requested, paid, shipped])).toEqual({
      status: 'SHIPPED',
      orderId: 'o-1',
      customerId: 'c-1',
      items,
      totalCents: 2448,
      placedAt: '2026-11-25T11:00:00.000Z',
      updatedAt: NOW,
      paymentId: 'ch-1',
      declinedPayments: 0,
      payment: { charges: { 'ch-1': { amountCents: 2448 } } },
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

// Properties: random command sequences against the decider, the provider's answers among them.
const itemArb = fc.record({
  sku: fc.stringMatching(/^[A-Z0-9-]{1,12}$/),
  quantity: fc.integer({ min: 1, max: 1000 }),
  unitPriceCents: fc.integer({ min: 1, max: 1_000_000 }),
});
const pendingKey = (state: OrderState) => (state.status === 'NONE' ? 'none' : (state.payment.pending?.key ?? 'stale'));
const outcomeArb: fc.Arbitrary<(state: OrderState) => PaymentOutcome> = fc.oneof(
  // A charge of the order's total under a fresh id, or one already seen (a redelivery).
  {
    weight: 4,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(4)).map(
      ([n, odds]) =>
        (state: OrderState) =>
          approved(`ch-${n}`, state.status === 'NONE' || odds === 0 ? 7 : state.totalCents),
    ),
  },
  { weight: 1, arbitrary: fc.constant(() => declined) },
  { weight: 1, arbitrary: fc.constant(() => ({ status: 'NOT_FOUND' }) as PaymentOutcome) },
);
// Weighted so that histories reach every corner: paid, cancelled with money in flight, charged twice.
const commandArb: fc.Arbitrary<(state: OrderState) => OrderCommand> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc
      .array(itemArb, { minLength: 1, maxLength: 5 })
      .map((lines) => () => ({ type: 'PlaceOrder', data: { orderId: 'o', customerId: 'c', items: lines }, now: NOW }) as OrderCommand),
  },
  { weight: 2, arbitrary: fc.nat(99).map((n) => () => requestPayment(`o:v${n}`)) },
  {
    weight: 4,
    arbitrary: fc.tuple(outcomeArb, fc.nat(3)).map(
      ([outcome, odds]) =>
        (state: OrderState) =>
          record(outcome(state), odds > 0 ? pendingKey(state) : 'o:old'),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((n) => () => recordRefund(`ch-${n}`)) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('CUSTOMER_REQUEST', 'PAYMENT_TIMEOUT')
      .map((reason) => () => ({ type: 'CancelOrder', data: { orderId: 'o', reason }, now: NOW }) as OrderCommand),
  },
  { weight: 1, arbitrary: fc.constant(() => ship) },
);

const refundedEvent = (chargeId: string, state: OrderState): OrderEvent => decide(recordRefund(chargeId), state)[0]!;

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
        // After a cancel or a shipment, only money moves: the order itself never changes again.
        const terminal = events.findIndex((e) => e.type === 'OrderCancelled' || e.type === 'OrderShipped');
        const moneyOnly = ['RefundRequested', 'PaymentRefunded', 'PaymentDeclined', 'PaymentAbandoned'];
        const afterTerminal = terminal === -1 ? [] : events.slice(terminal + 1);
        return state.totalCents === total && placedOnce && afterTerminal.every((e) => moneyOnly.includes(e.type));
      }),
    );
  });

  it('never loses money: once every refund owed is done and no payment is in flight, the order keeps its total if paid or shipped, else nothing', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 40 }), (commands) => {
        const events = run(commands);
        const state = fold(events);
        if (state.status === 'NONE') return;
        // Settle as the saga does: every refund owed is carried out.
        const settled = fold(
          pendingRefunds(state.payment).map(([chargeId]) => refundedEvent(chargeId, state)),
          state,
        );
        if (settled.status === 'NONE' || settled.payment.pending) return;
        const keeps = settled.status === 'PAID' || settled.status === 'SHIPPED' ? settled.totalCents : 0;
        expect(chargedCents(settled.payment) - refundedCents(settled.payment)).toBe(keeps);
      }),
      { numRuns: 2000 },
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

describe('orders from legacy (Strangler Fig, the other way)', () => {
  const AT = '2026-11-25T11:30:00.000Z';
  const importOf = (status: ExistingOrder['status'], legacyRev = 1): OrderCommand => ({
    type: 'ImportOrder',
    data: {
      orderId: 'L-1',
      customerId: 'c-1',
      items,
      totalCents: 2448,
      placedAt: '2026-11-25T11:00:00.000Z',
      status,
      updatedAt: AT,
      legacyRev,
    },
    now: NOW,
  });
  const change = (status: ExistingOrder['status'], legacyRev: number, owner: 'eightfold' | 'legacy' = 'legacy'): OrderCommand => ({
    type: 'TakeLegacyChange',
    data: { orderId: 'L-1', legacyRev, status, at: AT, owner },
    now: NOW,
  });
  const imported = (status: ExistingOrder['status'], legacyRev = 1) => decide(importOf(status, legacyRev), initialState);

  it('imports an order whole, as legacy holds it at its revision, keeping its id', () => {
    const [event] = imported('PLACED', 3);
    expect(event).toEqual({ type: 'OrderImported', data: { ...importOf('PLACED', 3).data, importedAt: NOW } });
    expect(fold([event!])).toMatchObject({
      status: 'PLACED',
      orderId: 'L-1',
      customerId: 'c-1',
      totalCents: 2448,
      updatedAt: AT,
      legacyRev: 3,
    });
  });

  it('imports a paid order with the payment legacy took, which legacy holds and refunds: a cancel here owes no refund at the provider', () => {
    const state = fold(imported('PAID'));
    expect(state).toMatchObject({
      status: 'PAID',
      paymentId: 'legacy:L-1',
      payment: { charges: { 'legacy:L-1': { amountCents: 2448, heldBy: 'legacy' } } },
    });
    const cancel: OrderCommand = { type: 'CancelOrder', data: { orderId: 'L-1', reason: 'CUSTOMER_REQUEST' }, now: NOW };
    expect(decide(cancel, state).map((e) => e.type)).toEqual(['OrderCancelled']);
  });

  it('imports once: again is nothing, and an order of Eightfold’s own under that id is refused', () => {
    expect(decide(importOf('PLACED', 2), fold(imported('PLACED')))).toEqual([]);
    expect(() => decide(importOf('PLACED'), fold([placed]))).toThrow(/already exists/);
  });

  it('takes a change legacy made as the event it stands for, marked with legacy’s revision, and only once', () => {
    const state = fold(imported('PLACED'));
    const events = decide(change('CANCELLED', 2), state);
    expect(events).toEqual([{ type: 'OrderCancelled', data: { reason: 'CUSTOMER_REQUEST', cancelledAt: AT, legacyRev: 2 } }]);
    const after = fold(events, state);
    expect(after).toMatchObject({ status: 'CANCELLED', legacyRev: 2 });
    expect(decide(change('CANCELLED', 2), after)).toEqual([]);
    // An older revision, or one that agrees with the order already, changes nothing.
    expect(decide(change('PAID', 1), fold(imported('PLACED', 5)))).toEqual([]);
    expect(decide(change('PLACED', 6), fold(imported('PLACED', 5)))).toEqual([]);
  });

  it('takes legacy’s payment and shipment of an order Eightfold holds', () => {
    const state = fold([placed]);
    const paidOnLegacy = decide(change('PAID', 2), state);
    expect(paidOnLegacy).toEqual([{ type: 'OrderPaid', data: { paymentId: 'legacy:o-1', amountCents: 2448, paidAt: AT, legacyRev: 2 } }]);
    const after = fold(paidOnLegacy, state);
    expect(decide(change('SHIPPED', 3), after)).toEqual([{ type: 'OrderShipped', data: { shippedAt: AT, legacyRev: 3 } }]);
  });

  it('cancels an order paid here that legacy cancelled, owing its refund in the same append', () => {
    const state = fold([placed, requested, paid]);
    expect(decide(change('CANCELLED', 4), state).map((e) => e.type)).toEqual(['OrderCancelled', 'RefundRequested']);
  });

  it.each([
    ['eightfold', [placed, requested, paid, shipped], 'CANCELLED', 'a SHIPPED order cannot be cancelled'],
    ['legacy', [placed, requested, paid, shipped], 'CANCELLED', 'a SHIPPED order cannot be cancelled'],
    ['legacy', [placed, cancelled], 'PAID', 'a CANCELLED order cannot be paid on legacy'],
    ['legacy', [placed, requested], 'PAID', 'a PLACED order with a payment in flight cannot be paid on legacy'],
    ['eightfold', [placed], 'SHIPPED', 'a PLACED order cannot be shipped'],
    ['legacy', [placed, cancelled], 'PLACED', 'a CANCELLED order cannot be placed again'],
  ] as const)(
    'rejects, on a route %s owns, a change the order’s state here does not allow (%o → %s): the order keeps its status',
    (owner, history, status, reason) => {
      const state = fold(history);
      const events = decide(change(status, 7, owner), state);
      expect(events).toEqual([
        {
          type: 'LegacyChangeRejected',
          data: { legacyRev: 7, legacyStatus: status, keptStatus: (state as ExistingOrder).status, owner, reason, rejectedAt: NOW },
        },
      ]);
      const after = fold(events, state);
      expect(after).toEqual({ ...state, legacyRev: 7 });
      expect(decide(change(status, 7, owner), after)).toEqual([]);
    },
  );

  it('takes no change for an order it does not hold', () => {
    expect(() => decide(change('CANCELLED', 2), initialState)).toThrow(/does not exist/);
  });
});
