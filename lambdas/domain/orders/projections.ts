import { evolve, initialState } from './decider.ts';
import type { OrderEvent } from './events.ts';
import { openSince, paymentSummaryOf, type PaymentSummary } from './payment.ts';
import type { CancellationReason, OrderItem, OrderState, OrderStatus, PaymentLedger } from './types.ts';

/** A row of the OrdersView table: the order as the read side shows it, at `version` (an item: any attribute may be read). */
export interface OrderViewRow {
  readonly [attribute: string]: unknown;
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly placedAt: string;
  readonly updatedAt: string;
  readonly version: number;
  readonly declinedPayments: number;
  readonly paymentId?: string;
  readonly cancellationReason?: CancellationReason;
  readonly payment: PaymentLedger;
  /** Sort key of the by-customer index (newest first is a descending query) and of the awaiting-payment one. */
  readonly customerOrderKey: string;
  /** Partition key of the by-customer index: the customer and a part of their list (spread by the projector). */
  readonly customerPart?: string;
  /** The customer's shard under the current shard map (stamped by the projector): rebuilds and reshards go by it. */
  readonly shard?: number;
  /** Present only while the order awaits payment: the key of the sparse awaiting-payment index (PLACED, spread by the projector). */
  readonly awaitingPayment?: string;
  /** Present only while a payment step is open (a charge in flight, a refund not done): the keys of the sparse open-payments index. */
  readonly paymentOpen?: string;
  readonly paymentOpenSince?: string;
}

/**
 * The view's by-customer index: partition key `customerPart` (a customer's orders spread over several keys,
 * so a busy account's list is not one partition's writes), sort key `customerOrderKey` (newest first by placedAt).
 */
export const VIEW_BY_CUSTOMER_INDEX = 'byCustomerPart';

/** The sparse index of the orders still unpaid, sorted by placedAt, and its one partition. */
export const AWAITING_PAYMENT_INDEX = 'awaitingPayment';
export const AWAITING_PAYMENT = 'PLACED';

/** The sparse index of orders whose payment saga has a step open, sorted by when it opened: the reconciler reads it. */
export const OPEN_PAYMENTS_INDEX = 'openPayments';
export const PAYMENT_OPEN = 'OPEN';

/** What `GET /orders/{orderId}` answers (the contract's order shape). */
export interface OrderResponse {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly version: number;
  readonly placedAt: string;
  readonly updatedAt: string;
  readonly payment: PaymentSummary;
}

/** An order (a loaded state with its version, or a view row) in the contract's shape. */
export function toOrderResponse(order: Exclude<OrderState, { status: 'NONE' }> & { readonly version: number }): OrderResponse {
  const { orderId, customerId, status, items, totalCents, version, placedAt, updatedAt } = order;
  return { orderId, customerId, status, items, totalCents, version, placedAt, updatedAt, payment: paymentSummaryOf(order) };
}

function stateOf(row: OrderViewRow): OrderState {
  const {
    version: _version,
    customerOrderKey: _key,
    customerPart: _part,
    awaitingPayment: _awaiting,
    shard: _shard,
    paymentOpen: _open,
    paymentOpenSince: _since,
    ...state
  } = row;
  return state as OrderState;
}

/** A stored event of an order, as the view folds it. */
export interface RecordedOrderEvent {
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly data: unknown;
}

/**
 * The OrdersView row after an event: the domain's own evolve, so the read side can never disagree with the
 * write side (the CQRS projection in use-cases/order-view.ts applies it).
 */
export function viewRowAfter(row: OrderViewRow | undefined, event: RecordedOrderEvent): OrderViewRow {
  const state = evolve(row ? stateOf(row) : initialState, { type: event.type, data: event.data } as OrderEvent);
  if (state.status === 'NONE') throw new Error(`Event ${event.type} v${event.version} of ${event.streamId} comes before its OrderPlaced`);
  const open = openSince(state.payment);
  return {
    ...state,
    version: event.version,
    customerOrderKey: `${state.placedAt}#${state.orderId}`,
    ...(state.status === 'PLACED' ? { awaitingPayment: AWAITING_PAYMENT } : {}),
    ...(open ? { paymentOpen: PAYMENT_OPEN, paymentOpenSince: open } : {}),
  };
}
