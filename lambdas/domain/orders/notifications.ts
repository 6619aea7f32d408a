import type { OrderEvent, OrderEventType } from './events.ts';

/**
 * The events a customer hears about. PaymentDeclined is not one: the customer is told at checkout (402) and
 * usually retries in the same session, so a message per declined card would be noise. Nor are the saga's
 * inner steps (a payment requested, a refund owed): the customer hears when money actually comes back.
 */
export const CUSTOMER_FACING_EVENTS = [
  'OrderPlaced',
  'OrderPaid',
  'OrderCancelled',
  'OrderShipped',
  'PaymentRefunded',
] as const satisfies readonly OrderEventType[];
/**
 * What the notifications subscriber receives: the customer-facing events, and an order imported from legacy,
 * which tells it no one anything (legacy told its customer) but names the customer of the order's later events.
 */
export const NOTIFIER_EVENTS = [...CUSTOMER_FACING_EVENTS, 'OrderImported'] as const satisfies readonly OrderEventType[];

export type CustomerFacingEvent = Extract<OrderEvent, { type: (typeof CUSTOMER_FACING_EVENTS)[number] }>;

export const isCustomerFacing = (event: OrderEvent): event is CustomerFacingEvent =>
  (CUSTOMER_FACING_EVENTS as readonly string[]).includes(event.type);

const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

/** The text of the notification an event sends to the order's customer. */
export function notificationText(orderId: string, event: CustomerFacingEvent): string {
  switch (event.type) {
    case 'OrderPlaced': {
      const units = event.data.items.reduce((sum, item) => sum + item.quantity, 0);
      return `Thanks! Order ${orderId} is placed: ${units} item${units === 1 ? '' : 's'}, ${dollars(event.data.totalCents)}.`;
    }
    case 'OrderPaid':
      return `We received your payment of ${dollars(event.data.amountCents)} for order ${orderId}.`;
    case 'OrderCancelled':
      return event.data.reason === 'PAYMENT_TIMEOUT'
        ? `Order ${orderId} was cancelled because payment did not arrive in time.`
        : `Order ${orderId} is cancelled, as you asked.`;
    case 'OrderShipped':
      return `Order ${orderId} is on its way.`;
    case 'PaymentRefunded':
      return `We refunded ${dollars(event.data.amountCents)} for order ${orderId}.`;
  }
}
