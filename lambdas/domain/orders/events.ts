import type { CancellationReason, OrderItem } from './types.ts';

/**
 * What happened to an order, in the past tense. `schemaVersion` is the version of `data`'s shape; older
 * stored versions are upcast on read (see `upcasters.ts`).
 */
export type OrderEvent =
  | Readonly<{ type: 'OrderPlaced'; data: OrderPlaced }>
  | Readonly<{ type: 'OrderPaid'; data: OrderPaid }>
  | Readonly<{ type: 'PaymentDeclined'; data: PaymentDeclined }>
  | Readonly<{ type: 'OrderCancelled'; data: OrderCancelled }>
  | Readonly<{ type: 'OrderShipped'; data: OrderShipped }>;

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
}
export interface PaymentDeclined {
  readonly reason: string;
  readonly declinedAt: string;
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
};
