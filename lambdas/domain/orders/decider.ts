import { legacyChargeOf, refundKeyOf, type LegacyChange, type OrderCommand, type PaymentOutcome } from './commands.ts';
import { ORDER_ERROR_CODES, OrderDomainError } from './errors.ts';
import type { OrderEvent } from './events.ts';
import { NO_PAYMENT } from './payment.ts';
import type { CancellationReason, ExistingOrder, OrderState, OrderStatus, PaymentLedger, RefundReason } from './types.ts';

export const initialState: OrderState = { status: 'NONE' };

/**
 * Which commands each status allows; everything else is an illegal transition. Recording what the payment
 * provider did (RecordPayment, RecordRefund) is allowed in every status: money that moved is a fact, and
 * the decider decides what the order does with it.
 */
const ALLOWED: Record<OrderStatus, readonly OrderCommand['type'][]> = {
  PLACED: ['RequestPayment', 'CancelOrder'],
  PAID: ['CancelOrder', 'ShipOrder'],
  CANCELLED: [],
  SHIPPED: [],
};
/** Facts from elsewhere (money that moved, a change legacy made): taken in any status, the decider decides what follows. */
const ALWAYS_ALLOWED: readonly OrderCommand['type'][] = ['RecordPayment', 'RecordRefund', 'TakeLegacyChange'];

function totalOf(items: readonly { quantity: number; unitPriceCents: number }[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

function existing(command: OrderCommand, state: OrderState): ExistingOrder {
  if (state.status === 'NONE') {
    throw new OrderDomainError(ORDER_ERROR_CODES.ORDER_NOT_FOUND, `Order ${command.data.orderId} does not exist`, {
      orderId: command.data.orderId,
      command: command.type,
    });
  }
  if (!ALLOWED[state.status].includes(command.type) && !ALWAYS_ALLOWED.includes(command.type)) {
    throw new OrderDomainError(ORDER_ERROR_CODES.ILLEGAL_TRANSITION, `A ${state.status} order cannot take ${command.type}`, {
      orderId: state.orderId,
      command: command.type,
      status: state.status,
    });
  }
  return state;
}

/** The refund a charge needs: its key is derived from the charge, so asking twice is asking once. */
function refundOf(chargeId: string, amountCents: number, reason: RefundReason, now: string, paymentKey?: string): OrderEvent {
  return {
    type: 'RefundRequested',
    data: { chargeId, amountCents, refundKey: refundKeyOf(chargeId), reason, requestedAt: now, ...(paymentKey ? { paymentKey } : {}) },
  };
}

/** A cancel, and the refund a paid order owes in the same append (unless legacy took the payment: legacy refunds it). */
function cancellation(order: ExistingOrder, reason: CancellationReason, now: string, legacyRev?: number): OrderEvent[] {
  const cancelled: OrderEvent = { type: 'OrderCancelled', data: { reason, cancelledAt: now, ...(legacyRev ? { legacyRev } : {}) } };
  const charge = order.paymentId ? order.payment.charges[order.paymentId] : undefined;
  if (order.status !== 'PAID' || !order.paymentId || charge?.heldBy) return [cancelled];
  return [cancelled, refundOf(order.paymentId, charge?.amountCents ?? order.totalCents, 'ORDER_CANCELLED', now)];
}

/**
 * A change legacy made, judged as the command it stands for. One Eightfold already agrees with (or an older
 * revision) changes nothing; one the order's status does not allow here is rejected, with who owned the
 * route it came through, and the order keeps its status.
 */
function legacyChange(order: ExistingOrder, change: LegacyChange, now: string): OrderEvent[] {
  const { legacyRev, status, at, owner } = change;
  if (legacyRev <= (order.legacyRev ?? 0) || status === order.status) return [];
  const reject = (reason: string): OrderEvent[] => [
    {
      type: 'LegacyChangeRejected',
      data: { legacyRev, legacyStatus: status, keptStatus: order.status, owner, reason, rejectedAt: now },
    },
  ];
  switch (status) {
    case 'CANCELLED':
      return order.status === 'PLACED' || order.status === 'PAID'
        ? cancellation(order, 'CUSTOMER_REQUEST', at, legacyRev)
        : reject(`a ${order.status} order cannot be cancelled`);
    case 'PAID':
      if (order.status !== 'PLACED' || order.payment.pending)
        return reject(`a ${order.status} order${order.payment.pending ? ' with a payment in flight' : ''} cannot be paid on legacy`);
      return [
        { type: 'OrderPaid', data: { paymentId: legacyChargeOf(order.orderId), amountCents: order.totalCents, paidAt: at, legacyRev } },
      ];
    case 'SHIPPED':
      return order.status === 'PAID'
        ? [{ type: 'OrderShipped', data: { shippedAt: at, legacyRev } }]
        : reject(`a ${order.status} order cannot be shipped`);
    case 'PLACED':
      return reject(`a ${order.status} order cannot be placed again`);
  }
}

/**
 * The saga's decision on what the provider said of an attempt. An approved charge is kept only by the
 * order still waiting for that very attempt, at its total; any other is refunded. An answer about an
 * attempt already concluded (a redelivery, the reconciler after the payer) changes nothing.
 */
function recordPayment(order: ExistingOrder, paymentKey: string, outcome: PaymentOutcome, now: string): OrderEvent[] {
  const awaited = order.payment.pending?.key === paymentKey;
  switch (outcome.status) {
    case 'APPROVED': {
      if (order.payment.charges[outcome.paymentId]) return [];
      if (awaited && order.status === 'PLACED' && outcome.amountCents === order.totalCents) {
        return [{ type: 'OrderPaid', data: { paymentId: outcome.paymentId, amountCents: outcome.amountCents, paidAt: now, paymentKey } }];
      }
      const reason: RefundReason =
        order.status === 'CANCELLED'
          ? 'ORDER_CANCELLED'
          : order.status !== 'PLACED'
            ? 'DUPLICATE_CHARGE'
            : !awaited
              ? 'ATTEMPT_CLOSED'
              : 'AMOUNT_MISMATCH';
      return [refundOf(outcome.paymentId, outcome.amountCents, reason, now, awaited ? paymentKey : undefined)];
    }
    case 'DECLINED':
      return awaited ? [{ type: 'PaymentDeclined', data: { reason: outcome.reason, declinedAt: now, paymentKey } }] : [];
    case 'NOT_FOUND':
      return awaited ? [{ type: 'PaymentAbandoned', data: { paymentKey, abandonedAt: now } }] : [];
  }
}

/** Judges a command against the current state: the events it causes (none when it is already done), or a domain error. */
export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder': {
      if (state.status !== 'NONE') {
        throw new OrderDomainError(ORDER_ERROR_CODES.ORDER_ALREADY_EXISTS, `Order ${command.data.orderId} already exists`, {
          orderId: command.data.orderId,
          command: command.type,
          status: state.status,
        });
      }
      const { orderId, customerId, items } = command.data;
      return [{ type: 'OrderPlaced', data: { orderId, customerId, items, totalCents: totalOf(items), placedAt: command.now } }];
    }
    case 'RequestPayment': {
      const order = existing(command, state);
      if (order.payment.pending) {
        throw new OrderDomainError(ORDER_ERROR_CODES.PAYMENT_IN_PROGRESS, `Order ${order.orderId} has a payment in flight`, {
          orderId: order.orderId,
          command: command.type,
          status: order.status,
        });
      }
      return [
        {
          type: 'PaymentRequested',
          data: { paymentKey: command.data.paymentKey, amountCents: order.totalCents, requestedAt: command.now },
        },
      ];
    }
    case 'RecordPayment': {
      const order = existing(command, state);
      return recordPayment(order, command.data.paymentKey, command.data.outcome, command.now);
    }
    case 'RecordRefund': {
      const order = existing(command, state);
      const charge = order.payment.charges[command.data.chargeId];
      if (!charge?.refund || charge.refund.refundedAt) return [];
      return [
        {
          type: 'PaymentRefunded',
          data: {
            chargeId: command.data.chargeId,
            refundId: command.data.refundId,
            amountCents: charge.amountCents,
            refundedAt: command.now,
          },
        },
      ];
    }
    case 'CancelOrder': {
      const order = existing(command, state);
      // A payment timeout applies only to an order still waiting for its payment, with none in flight: a
      // payment in flight is first concluded by asking the provider (the reconciler), never guessed at.
      if (command.data.reason === 'PAYMENT_TIMEOUT' && (order.status !== 'PLACED' || order.payment.pending)) {
        throw new OrderDomainError(
          ORDER_ERROR_CODES.ILLEGAL_TRANSITION,
          `A ${order.status} order${order.payment.pending ? ' with a payment in flight' : ''} is not waiting for payment`,
          {
            orderId: order.orderId,
            command: command.type,
            status: order.status,
          },
        );
      }
      // A paid order gives its money back: the refund is owed in the same append as the cancel.
      return cancellation(order, command.data.reason, command.now);
    }
    case 'ShipOrder':
      existing(command, state);
      return [{ type: 'OrderShipped', data: { shippedAt: command.now } }];
    case 'ImportOrder': {
      // Imported already (a backfill run again, capture meeting it too): nothing to do. An order of Eightfold's own under that id is a clash.
      if (state.status !== 'NONE' && state.legacyRev !== undefined) return [];
      if (state.status !== 'NONE') {
        throw new OrderDomainError(ORDER_ERROR_CODES.ORDER_ALREADY_EXISTS, `Order ${command.data.orderId} already exists`, {
          orderId: command.data.orderId,
          command: command.type,
          status: state.status,
        });
      }
      return [{ type: 'OrderImported', data: { ...command.data, importedAt: command.now } }];
    }
    case 'TakeLegacyChange':
      return legacyChange(existing(command, state), command.data, command.now);
    default: {
      const unknownCommand: never = command;
      throw new Error(`Unknown command ${JSON.stringify(unknownCommand)}`);
    }
  }
}

/** A ledger with its pending attempt set or, when undefined, without the key at all (stored rows stay exact). */
const withPending = (ledger: PaymentLedger, pending: PaymentLedger['pending']): PaymentLedger => {
  const { pending: _previous, ...rest } = ledger;
  return pending ? { ...rest, pending } : rest;
};

/** Applies one event to the state. Total: events are facts, so evolve never refuses one. */
export function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') {
    const { orderId, customerId, items, totalCents, placedAt } = event.data;
    return {
      status: 'PLACED',
      orderId,
      customerId,
      items,
      totalCents,
      placedAt,
      updatedAt: placedAt,
      declinedPayments: 0,
      payment: NO_PAYMENT,
    };
  }
  if (event.type === 'OrderImported') {
    const { orderId, customerId, items, totalCents, placedAt, status, updatedAt, legacyRev } = event.data;
    // A paid or shipped order was paid on legacy, which holds the money.
    const paid = status === 'PAID' || status === 'SHIPPED' ? legacyChargeOf(orderId) : undefined;
    return {
      status,
      orderId,
      customerId,
      items,
      totalCents,
      placedAt,
      updatedAt,
      declinedPayments: 0,
      payment: paid ? { charges: { [paid]: { amountCents: totalCents, heldBy: 'legacy' } } } : NO_PAYMENT,
      ...(paid ? { paymentId: paid } : {}),
      legacyRev,
    };
  }
  if (state.status === 'NONE') return state; // an event without its OrderPlaced: nothing to apply it to
  const next = evolveExisting(state, event);
  // A change taken from legacy moves the order's legacy revision on, whatever it did.
  const legacyRev = (event.data as { legacyRev?: number }).legacyRev;
  return legacyRev && next.status !== 'NONE' && legacyRev > (next.legacyRev ?? 0) ? { ...next, legacyRev } : next;
}

function evolveExisting(state: ExistingOrder, event: Exclude<OrderEvent, { type: 'OrderPlaced' | 'OrderImported' }>): OrderState {
  // States stored before the saga (snapshots are versioned, view rows are not) have no ledger yet.
  const order: ExistingOrder = state.payment ? state : { ...state, payment: NO_PAYMENT };
  const { payment } = order;
  // The attempt still in flight once an event concludes `paymentKey` (an event of no attempt concludes any).
  const pendingAfter = (paymentKey: string | undefined): PaymentLedger['pending'] =>
    paymentKey === undefined || payment.pending?.key === paymentKey ? undefined : payment.pending;
  switch (event.type) {
    case 'PaymentRequested': {
      const { paymentKey: key, amountCents, requestedAt } = event.data;
      return { ...order, payment: { ...payment, pending: { key, amountCents, requestedAt } }, updatedAt: requestedAt };
    }
    case 'OrderPaid': {
      const { paymentId, amountCents, paidAt, paymentKey, legacyRev } = event.data;
      const charges = { ...payment.charges, [paymentId]: legacyRev ? { amountCents, heldBy: 'legacy' as const } : { amountCents } };
      return { ...order, status: 'PAID', paymentId, payment: withPending({ charges }, pendingAfter(paymentKey)), updatedAt: paidAt };
    }
    case 'PaymentDeclined':
      return {
        ...order,
        declinedPayments: order.declinedPayments + 1,
        payment: withPending(payment, pendingAfter(event.data.paymentKey)),
        updatedAt: event.data.declinedAt,
      };
    case 'PaymentAbandoned':
      return { ...order, payment: withPending(payment, pendingAfter(event.data.paymentKey)), updatedAt: event.data.abandonedAt };
    case 'RefundRequested': {
      const { chargeId, amountCents, refundKey, requestedAt, paymentKey } = event.data;
      const charges = {
        ...payment.charges,
        [chargeId]: { amountCents: payment.charges[chargeId]?.amountCents ?? amountCents, refund: { refundKey, requestedAt } },
      };
      return {
        ...order,
        payment: withPending({ charges }, paymentKey === undefined ? payment.pending : pendingAfter(paymentKey)),
        updatedAt: requestedAt,
      };
    }
    case 'PaymentRefunded': {
      const { chargeId, refundId, refundedAt } = event.data;
      const charge = payment.charges[chargeId];
      if (!charge?.refund) return { ...order, updatedAt: refundedAt };
      const charges = { ...payment.charges, [chargeId]: { ...charge, refund: { ...charge.refund, refundId, refundedAt } } };
      return { ...order, payment: withPending({ charges }, payment.pending), updatedAt: refundedAt };
    }
    case 'OrderCancelled':
      return { ...order, status: 'CANCELLED', cancellationReason: event.data.reason, updatedAt: event.data.cancelledAt };
    case 'OrderShipped':
      return { ...order, status: 'SHIPPED', updatedAt: event.data.shippedAt };
    case 'LegacyChangeRejected':
      return order;
    default: {
      const unknownEvent: never = event;
      throw new Error(`Unknown event ${JSON.stringify(unknownEvent)}`);
    }
  }
}

/** The state after a sequence of events. */
export function fold(events: readonly OrderEvent[], from: OrderState = initialState): OrderState {
  return events.reduce(evolve, from);
}

/** The Order aggregate as the event store's command handler takes it. Bump `stateSchemaVersion` when OrderState's shape changes: older snapshots are then ignored. */
export const orderDecider = { decide, evolve, initialState, stateSchemaVersion: 2 } as const;
