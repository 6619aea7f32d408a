import { domainEventOf, type OrderEventMessage, type OrderItem } from '../domain/orders/index.ts';
import type { CounterDelta } from '../patterns/sharding/index.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from '../composition/event-store.ts';
import { SALES_SETTINGS, salesCounters } from '../composition/sales.ts';
import { readSettings } from '../composition/settings.ts';
import { currentShardMap, SHARD_MAP_SETTINGS } from '../composition/shards.ts';
import { consumeStated, SUBSCRIBER_SETTINGS, subscriberHandler } from '../composition/subscriber.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({ ...SUBSCRIBER_SETTINGS, ...EVENT_STORE_SETTINGS, ...SALES_SETTINGS, ...SHARD_MAP_SETTINGS });
const store = orderEventStore(settings);
const counters = salesCounters(settings);
const shardMap = currentShardMap(settings, 'writes');

/** The items of an order, from its first event, placed or imported (a cancellation does not repeat them). */
async function placedItems(orderId: string): Promise<readonly OrderItem[]> {
  const { events } = await store.read(orderId, { toVersion: 1 });
  const placed = events[0];
  if (placed?.type !== 'OrderPlaced' && placed?.type !== 'OrderImported')
    throw new Error(`Order ${orderId} has no OrderPlaced or OrderImported to take its items from`);
  return (placed.data as { items: readonly OrderItem[] }).items;
}

/**
 * What an event does to the counters: an order placed, or imported from legacy other than cancelled, adds
 * its quantities; OrderCancelled takes them back.
 */
async function deltasOf(message: OrderEventMessage): Promise<CounterDelta[]> {
  const event = domainEventOf(message);
  const [items, sign] =
    event.type === 'OrderPlaced'
      ? [event.data.items, 1]
      : event.type === 'OrderImported'
        ? [event.data.items, event.data.status === 'CANCELLED' ? 0 : 1]
        : [await placedItems(message.orderId), -1];
  return items.map((item) => ({ key: item.sku, amount: sign * item.quantity }));
}

/**
 * Sharding: units sold per SKU, on write-sharded counters. Each event counts once however often it is
 * delivered, and in any order (sums commute), so a batch's events go together, in a transaction or a few;
 * what that cannot settle (an event applied before, a conflict on a hot SKU) is applied alone.
 */
export const handler = subscriberHandler(
  settings,
  async (message) => counters.add(await shardMap(), message.eventId, await deltasOf(message)),
  {
    consumeBatch: async (messages) => {
      const map = await shardMap();
      return consumeStated(
        messages,
        async (message) => ({ eventId: message.eventId, deltas: await deltasOf(message) }),
        (events) => counters.addMany(map, events),
      );
    },
  },
);
