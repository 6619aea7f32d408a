import type { CancellationReason, OrderItem, OrderStatus, RefundReason } from './types.ts';

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
  | Readonly<{ type: 'PaymentRefunded'; data: PaymentRefunded }>
  | Readonly<{ type: 'OrderImported'; data: OrderImported }>
  | Readonly<{ type: 'LegacyChangeRejected'; data: LegacyChangeRejected }>;

export type OrderEventType = OrderEvent['type'];

export interface OrderPlaced {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly placedAt: string;
}
/**
 * Present on an event that records a change legacy made (Strangler Fig's change capture): legacy's revision
 * of the order that carried it. Such an event is never fed back to legacy.
 */
export interface FromLegacy {
  readonly legacyRev?: number;
}

export interface OrderPaid extends FromLegacy {
  /** The provider's charge; `legacy:<orderId>` for a payment legacy took, which legacy holds (and refunds). */
  readonly paymentId: string;
  readonly amountCents: number;
  readonly paidAt: string;
  /** The attempt it concludes (absent on payments recorded before the saga, and on legacy's). */
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
export interface OrderCancelled extends FromLegacy {
  readonly reason: CancellationReason;
  readonly cancelledAt: string;
}
export interface OrderShipped extends FromLegacy {
  readonly shippedAt: string;
}
/**
 * An order legacy took, brought over as legacy held it at revision `legacyRev` (the backfill, or change
 * capture meeting an order Eightfold has not seen). It keeps its id: legacy's order number.
 */
export interface OrderImported {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly placedAt: string;
  readonly status: OrderStatus;
  /** When legacy last changed it. */
  readonly updatedAt: string;
  readonly legacyRev: number;
  readonly importedAt: string;
}
/**
 * Legacy changed the order in a way Eightfold's decider refuses: the order moved on here meanwhile. Whoever
 * owned the route legacy's change came through decides what follows (docs/design.md, "Strangler Fig, both
 * ways"): `eightfold` keeps its state and corrects legacy's copy; `legacy` leaves a conflict for an operator.
 */
export interface LegacyChangeRejected {
  readonly legacyRev: number;
  /** The status legacy gave the order. */
  readonly legacyStatus: OrderStatus;
  /** The status the order keeps here. */
  readonly keptStatus: OrderStatus;
  readonly owner: 'eightfold' | 'legacy';
  readonly reason: string;
  readonly rejectedAt: string;
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
  OrderImported: 1,
  LegacyChangeRejected: 1,
};
