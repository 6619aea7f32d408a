import { domainEventOf, isCustomerFacing, notificationText } from '../domain/orders/index.ts';
import { readSettings, text } from '../composition/settings.ts';
import { consumerOptions, ORDERED_SUBSCRIBER_SETTINGS, orderedSubscriber, subscriberHandler } from '../composition/subscriber.ts';
import { ENV } from '../platform/environment.ts';
import { customerPartOf } from '../use-cases/order-view.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({ ...ORDERED_SUBSCRIBER_SETTINGS, notificationsTable: [ENV.notifications.table, text] });
// The subscription is filtered to customer-facing events, so versions arrive with gaps: newer is enough.
const consumer = consumerOptions(settings, 'monotonic');

/**
 * One notification per customer-facing event, keyed (customerId, notificationId = event id), where the
 * partition key holds the customer and a part of their notifications (`c1#3`, by order id: a busy account's
 * would pass one partition's writes; the key kept its name, since renaming it would replace the table). Only an
 * order's first event (OrderPlaced, or OrderImported from legacy, which notifies no one) names the
 * customer: the subscriber remembers it in its checkpoint for the order's later events.
 */
const notifications = orderedSubscriber<{ customerId: string }>(consumer, (message) => {
  const event = domainEventOf(message);
  const stream = { eventId: message.eventId, streamId: message.orderId, version: message.version };
  if (event.type === 'OrderImported') return { event: stream, decide: () => ({ context: { customerId: event.data.customerId } }) };
  if (!isCustomerFacing(event)) throw new Error(`${message.type} is not a customer-facing event; check the subscription's filter policy`);
  return {
    event: stream,
    decide: (context) => {
      const customerId = event.type === 'OrderPlaced' ? event.data.customerId : context?.customerId;
      if (!customerId) throw new Error(`Order ${message.orderId}: no customer known (its first event was never received)`);
      return {
        context: { customerId },
        put: {
          tableName: settings.notificationsTable,
          keyAttribute: 'customerId',
          item: {
            customerId: customerPartOf(customerId, message.orderId),
            notificationId: message.eventId,
            orderId: message.orderId,
            orderVersion: message.version,
            eventType: message.type,
            text: notificationText(message.orderId, event),
            createdAt: message.recordedAt,
            deliveredAt: new Date().toISOString(),
          },
        },
      };
    },
  };
});

export const handler = subscriberHandler(settings, notifications.consume, { consumeBatch: notifications.consumeBatch });
