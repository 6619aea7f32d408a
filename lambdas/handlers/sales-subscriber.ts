import { domainEventOf, type OrderItem } from '../domain/orders/index.ts';
import { orderEventStore } from '../composition/event-store.ts';
import { salesCounters } from '../composition/sales.ts';
import { currentShardMap } from '../composition/shards.ts';
import { subscriberHandler } from '../composition/subscriber.ts';

/** The items of an order, from its OrderPlaced (a cancellation does not repeat them). */
async function placedItems(orderId: string): Promise<readonly OrderItem[]> {
  const { events } = await orderEventStore.read(orderId, { toVersion: 1 });
  const placed = events[0];
  if (placed?.type !== 'OrderPlaced') throw new Error(`Order ${orderId} has no OrderPlaced to take its items from`);
  return (placed.data as { items: readonly OrderItem[] }).items;
}

/**
 * Sharding: units sold per SKU, on write-sharded counters. OrderPlaced adds its quantities, OrderCancelled
 * takes them back; each event counts once however often it is delivered, and in any order (sums commute).
 */
export const handler = subscriberHandler(async (message) => {
  const event = domainEventOf(message);
  const [items, sign] = event.type === 'OrderPlaced' ? [event.data.items, 1] : [await placedItems(message.orderId), -1];
  return salesCounters.add(
    await currentShardMap(),
    message.eventId,
    items.map((item) => ({ key: item.sku, amount: sign * item.quantity })),
  );
});
