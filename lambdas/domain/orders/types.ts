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
    };

export type ExistingOrder = Exclude<OrderState, { status: 'NONE' }>;
