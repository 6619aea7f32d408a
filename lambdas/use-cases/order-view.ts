import { viewRowAfter, type OrderViewRow } from '../domain/orders/index.ts';
import type { Projection } from '../patterns/cqrs/index.ts';
import { shardOf } from '../patterns/sharding/index.ts';

/**
 * The OrdersView projection (CQRS read side): each row is the domain's view of the order after the event,
 * stamped with its customer's shard among `shards.shards` (the by-shard index reads it).
 */
export function shardedViewProjection(shards: { readonly shards: number }): Projection<OrderViewRow> {
  return {
    keyAttribute: 'orderId',
    apply: (row, event) => {
      const next = viewRowAfter(row, event);
      return { ...next, shard: shardOf(shards, next.customerId) };
    },
  };
}
