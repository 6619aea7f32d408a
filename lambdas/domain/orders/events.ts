import type { CancellationReason, OrderItem, RefundReason } from './types.ts';

/**
 * What happened to an order, in the past tense. `schemaVersion` is the version of `data`'s shape; older
 * stored versions are upcast on read (see `upcasters.ts`).
 */
export type OrderEvent =
  | Readonly<{ type: 'OrderPlaced'; data: OrderPlaced }>
  | Readonly<{ type: 'OrderPaid'; data: OrderPaid }>
  | Readonly<{ type: 'PaymentDeclined'; data: PaymentDeclined }>
  | Readonly<{ type: 'OrderCancelled'; data: OrderCancelled }>
  | Readonly<{ type: 'OrderShipped'; data: OrderShipped }>
  | Readonly<{ type: 'PaymentRequested'; data: PaymentRequested }>
  | Readonly<{ type: 'PaymentAbandoned'; data: PaymentAbandoned }>
  | Readonly<{ type: 'RefundRequested'; data: RefundRequested }>
  | Readonly<{ type: 'PaymentRefunded'; data: PaymentRefunded }>;

export type OrderEventType = OrderEvent['type'];

export interface OrderPlaced {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly placedAt: string;
}
export interface OrderPaid {
  readonly paymentId: string;
  readonly amountCents: number;
  readonly paidAt: string;
  /** The attempt it concludes (absent on payments recorded before the saga). */
  readonly paymentKey?: string;
}
export interface PaymentDeclined {
  readonly reason: string;
  readonly declinedAt: string;
  readonly paymentKey?: string;
}
/** The saga's first step, recorded before any money moves: a cancel now sees a payment in flight. */
export interface PaymentRequested {
  /** The provider's idempotency key: every call about this attempt carries it. */
  readonly paymentKey: string;
  readonly amountCents: number;
  readonly requestedAt: string;
}
/** The provider, asked by key after the reconciler's bound, holds no charge for this attempt. */
export interface PaymentAbandoned {
  readonly paymentKey: string;
  readonly abandonedAt: string;
}
/**
 * The order owes a refund of a charge: its own payment when it is cancelled, or a charge it cannot keep
 * (it landed on a cancelled order, or a second one). A charge not known before is counted as taken here.
 */
export interface RefundRequested {
  readonly chargeId: string;
  readonly amountCents: number;
  /** The provider's idempotency key of the refund. */
  readonly refundKey: string;
  readonly reason: RefundReason;
  readonly requestedAt: string;
  /** The attempt whose charge this is, when it concludes one. */
  readonly paymentKey?: string;
}
/** The provider refunded the charge. */
export interface PaymentRefunded {
  readonly chargeId: string;
  readonly refundId: string;
  readonly amountCents: number;
  readonly refundedAt: string;
}
export interface OrderCancelled {
  readonly reason: CancellationReason;
  readonly cancelledAt: string;
}
export interface OrderShipped {
  readonly shippedAt: string;
}

/** The schema version each event type is written with today. */
export const CURRENT_SCHEMA_VERSION: Record<OrderEventType, number> = {
  OrderPlaced: 2,
  OrderPaid: 1,
  PaymentDeclined: 1,
  OrderCancelled: 1,
  OrderShipped: 1,
  PaymentRequested: 1,
  PaymentAbandoned: 1,
  RefundRequested: 1,
  PaymentRefunded: 1,
};
