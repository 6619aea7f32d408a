import { domainEventOf, type OrderItem } from '../domain/orders/index.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from '../composition/event-store.ts';
import { SALES_SETTINGS, salesCounters } from '../composition/sales.ts';
import { readSettings } from '../composition/settings.ts';
import { currentShardMap, SHARD_MAP_SETTINGS } from '../composition/shards.ts';
import { SUBSCRIBER_SETTINGS, subscriberHandler } from '../composition/subscriber.ts';

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
 * Sharding: units sold per SKU, on write-sharded counters. An order placed, or imported from legacy other
 * than cancelled, adds its quantities; OrderCancelled takes them back. Each event counts once however often
 * it is delivered, and in any order (sums commute).
 */
export const handler = subscriberHandler(settings, async (message) => {
  const event = domainEventOf(message);
  const [items, sign] =
    event.type === 'OrderPlaced'
      ? [event.data.items, 1]
      : event.type === 'OrderImported'
        ? [event.data.items, event.data.status === 'CANCELLED' ? 0 : 1]
        : [await placedItems(message.orderId), -1];
  return counters.add(
    await shardMap(),
    message.eventId,
    items.map((item) => ({ key: item.sku, amount: sign * item.quantity })),
  );
});
