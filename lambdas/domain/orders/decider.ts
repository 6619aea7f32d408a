import type { OrderCommand } from './commands.ts';
import { ORDER_ERROR_CODES, OrderDomainError } from './errors.ts';
import type { OrderEvent } from './events.ts';
import type { ExistingOrder, OrderState, OrderStatus } from './types.ts';

export const initialState: OrderState = { status: 'NONE' };

/** Which commands each status allows; everything else is an illegal transition. */
const ALLOWED: Record<OrderStatus, readonly OrderCommand['type'][]> = {
  PLACED: ['PayOrder', 'CancelOrder'],
  PAID: ['CancelOrder', 'ShipOrder'],
  CANCELLED: [],
  SHIPPED: [],
};

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
  if (!ALLOWED[state.status].includes(command.type)) {
    throw new OrderDomainError(ORDER_ERROR_CODES.ILLEGAL_TRANSITION, `A ${state.status} order cannot take ${command.type}`, {
      orderId: state.orderId,
      command: command.type,
      status: state.status,
    });
  }
  return state;
}

/** Judges a command against the current state: the events it causes, or a domain error. */
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
    case 'PayOrder': {
      const order = existing(command, state);
      const { payment } = command.data;
      if (payment.status === 'DECLINED') return [{ type: 'PaymentDeclined', data: { reason: payment.reason, declinedAt: command.now } }];
      if (payment.amountCents !== order.totalCents) {
        throw new OrderDomainError(
          ORDER_ERROR_CODES.PAYMENT_AMOUNT_MISMATCH,
          `Payment of ${payment.amountCents} cents does not match the order total of ${order.totalCents}`,
          { orderId: order.orderId, command: command.type, status: order.status },
        );
      }
      return [{ type: 'OrderPaid', data: { paymentId: payment.paymentId, amountCents: payment.amountCents, paidAt: command.now } }];
    }
    case 'CancelOrder': {
      const order = existing(command, state);
      // A payment timeout applies only to an order still waiting for its payment: once paid, it stands.
      if (command.data.reason === 'PAYMENT_TIMEOUT' && order.status !== 'PLACED') {
        throw new OrderDomainError(ORDER_ERROR_CODES.ILLEGAL_TRANSITION, `A ${order.status} order is not waiting for payment`, {
          orderId: order.orderId,
          command: command.type,
          status: order.status,
        });
      }
      return [{ type: 'OrderCancelled', data: { reason: command.data.reason, cancelledAt: command.now } }];
    }
    case 'ShipOrder':
      existing(command, state);
      return [{ type: 'OrderShipped', data: { shippedAt: command.now } }];
    default: {
      const unknownCommand: never = command;
      throw new Error(`Unknown command ${JSON.stringify(unknownCommand)}`);
    }
  }
}

/** Applies one event to the state. Total: events are facts, so evolve never refuses one. */
export function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') {
    const { orderId, customerId, items, totalCents, placedAt } = event.data;
    return { status: 'PLACED', orderId, customerId, items, totalCents, placedAt, updatedAt: placedAt, declinedPayments: 0 };
  }
  if (state.status === 'NONE') return state; // an event without its OrderPlaced: nothing to apply it to
  switch (event.type) {
    case 'OrderPaid':
      return { ...state, status: 'PAID', paymentId: event.data.paymentId, updatedAt: event.data.paidAt };
    case 'PaymentDeclined':
      return { ...state, declinedPayments: state.declinedPayments + 1, updatedAt: event.data.declinedAt };
    case 'OrderCancelled':
      return { ...state, status: 'CANCELLED', cancellationReason: event.data.reason, updatedAt: event.data.cancelledAt };
    case 'OrderShipped':
      return { ...state, status: 'SHIPPED', updatedAt: event.data.shippedAt };
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
export const orderDecider = { decide, evolve, initialState, stateSchemaVersion: 1 } as const;
