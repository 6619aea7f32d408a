import { domainEventOf, messageCorrelationId } from '../domain/orders/index.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from '../composition/event-store.ts';
import { outbound, OUTBOUND_SETTINGS } from '../composition/outbound.ts';
import { readSettings } from '../composition/settings.ts';
import { SUBSCRIBER_SETTINGS, subscriberHandler } from '../composition/subscriber.ts';
import { httpPaymentProvider } from '../use-cases/payment-provider.ts';
import { refundCharge, type PaymentDeps } from '../use-cases/payments.ts';

// The composition root: this function's settings, read once, and the use case's dependencies built from them.
const settings = readSettings({ ...SUBSCRIBER_SETTINGS, ...EVENT_STORE_SETTINGS, ...OUTBOUND_SETTINGS });
const payments: PaymentDeps = {
  store: orderEventStore(settings),
  provider: httpPaymentProvider(outbound(settings).ambassadorFor('payment-provider')),
  now: () => new Date(),
};

/**
 * The payment saga's compensation: each RefundRequested is refunded at the provider (through the
 * ambassador and its breaker, under the refund's own idempotency key) and recorded as PaymentRefunded.
 * While the provider is down, the message backs off and waits; the reconciler takes over any refund still
 * owed after its bound, so none is lost even past the DLQ.
 */
export const handler = subscriberHandler(settings, async (message) => {
  const event = domainEventOf(message);
  if (event.type !== 'RefundRequested') throw new Error(`${message.type} is not a refund; check the subscription's filter policy`);
  const metadata = {
    correlationId: messageCorrelationId(message) ?? message.eventId,
    causationId: message.eventId,
    actor: 'system:refunds',
  };
  const result = await refundCharge(payments, { orderId: message.orderId, chargeId: event.data.chargeId, metadata });
  return result === 'refunded' ? 'applied' : 'duplicate';
});
