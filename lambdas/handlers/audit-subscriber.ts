import { tailBucketOf } from '../composition/recent-events.ts';
import { readSettings, text } from '../composition/settings.ts';
import { consumerOptions, ORDERED_SUBSCRIBER_SETTINGS, orderedSubscriber, subscriberHandler } from '../composition/subscriber.ts';
import { ENV } from '../platform/environment.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({ ...ORDERED_SUBSCRIBER_SETTINGS, auditTable: [ENV.auditLog.table, text] });
// The audit subscription takes every event, so each order's versions must arrive without gaps.
const consumer = consumerOptions(settings, 'contiguous');

/**
 * Every order event, in order, into an append-only log keyed (orderId, version) for operators, each filed
 * under its minute too for the console's tail of recent events (GET /ops/events).
 */
const audit = orderedSubscriber(consumer, (message) => ({
  event: { eventId: message.eventId, streamId: message.orderId, version: message.version },
  decide: () => ({
    put: {
      tableName: settings.auditTable,
      keyAttribute: 'orderId',
      item: { ...message, tailBucket: tailBucketOf(message.recordedAt), auditedAt: new Date().toISOString() },
    },
  }),
}));

export const handler = subscriberHandler(settings, audit.consume, { consumeBatch: audit.consumeBatch });
