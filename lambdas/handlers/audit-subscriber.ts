import { applyInOrder } from '../patterns/pub-sub/index.ts';
import { requireEnv } from '../platform/clients.ts';
import { tailBucketOf } from '../composition/recent-events.ts';
import { consumerOptions, subscriberHandler } from '../composition/subscriber.ts';
import { ENV } from '../platform/environment.ts';

const auditTable = requireEnv(ENV.auditLog.table);
// The audit subscription takes every event, so each order's versions must arrive without gaps.
const consumer = consumerOptions('contiguous');

/**
 * Every order event, in order, into an append-only log keyed (orderId, version) for operators, each filed
 * under its minute too for the console's tail of recent events (GET /ops/events).
 */
export const handler = subscriberHandler((message) =>
  applyInOrder(consumer, { eventId: message.eventId, streamId: message.orderId, version: message.version }, () => ({
    put: {
      tableName: auditTable,
      keyAttribute: 'orderId',
      item: { ...message, tailBucket: tailBucketOf(message.recordedAt), auditedAt: new Date().toISOString() },
    },
  })),
);
