/** A line of an order; prices are integer cents, never floats. */
export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

export const ORDER_STATUS = {
  PLACED: 'PLACED',
  PAID: 'PAID',
  CANCELLED: 'CANCELLED',
  SHIPPED: 'SHIPPED',
} as const;
export type OrderStatus = (typeof ORDER_STATUS)[keyof typeof ORDER_STATUS];

/** Why an order was cancelled: by its customer, or by the coordinator when payment never came. */
export type CancellationReason = 'CUSTOMER_REQUEST' | 'PAYMENT_TIMEOUT';

/** Why a charge is refunded: the order was cancelled, or it could not keep that charge when it landed. */
export type RefundReason = 'ORDER_CANCELLED' | 'ORDER_NOT_PAYABLE' | 'DUPLICATE_CHARGE' | 'AMOUNT_MISMATCH' | 'ATTEMPT_CLOSED';

/** The aggregate's state: what the decider needs to judge the next command. */
export type OrderState =
  | { readonly status: 'NONE' }
  | {
      readonly status: OrderStatus;
      readonly orderId: string;
      readonly customerId: string;
      readonly items: readonly OrderItem[];
      readonly totalCents: number;
      readonly placedAt: string;
      readonly updatedAt: string;
      readonly paymentId?: string;
      readonly declinedPayments: number;
      readonly cancellationReason?: CancellationReason;
      /** The payment saga's state: the attempt in flight, every charge the order took, every refund. */
      readonly payment: PaymentLedger;
      /** The newest revision of legacy's copy this order has taken a change from (imported orders, change capture). */
      readonly legacyRev?: number;
    };

/** A payment attempt recorded (PaymentRequested) and not yet concluded: money may be moving. */
export interface PendingPayment {
  /** The provider's idempotency key of this attempt. */
  readonly key: string;
  readonly amountCents: number;
  readonly requestedAt: string;
}

/** A refund the order owes on one of its charges: requested, then done. */
export interface RefundState {
  readonly refundKey: string;
  readonly requestedAt: string;
  readonly refundId?: string;
  readonly refundedAt?: string;
}

/** An approved charge the order knows of, and its refund, if it owes one. */
export interface ChargeState {
  readonly amountCents: number;
  /** A payment legacy took: legacy holds the money, so legacy refunds it when it is fed the cancel. */
  readonly heldBy?: 'legacy';
  readonly refund?: RefundState;
}

/** Money on an order, as its events record it. Charges are keyed by the provider's charge id. */
export interface PaymentLedger {
  readonly pending?: PendingPayment;
  readonly charges: Readonly<Record<string, ChargeState>>;
}

/** What `payment.status` says of an order. */
export type PaymentStatus = 'NONE' | 'PENDING' | 'PAID' | 'DECLINED' | 'REFUND_PENDING' | 'REFUNDED';

export type ExistingOrder = Exclude<OrderState, { status: 'NONE' }>;
