import { AWAITING_PAYMENT, PAYMENT_OPEN, viewRowAfter, type OrderViewRow } from '../domain/orders/index.ts';
import type { Projection } from '../patterns/cqrs/index.ts';
import { shardOf } from '../patterns/sharding/index.ts';

/**
 * How many partition keys each sparse index spreads its orders over (by order id). Every order enters the
 * awaiting-payment index and leaves it, and every payment the open-payments one: under one key each, an
 * index partition's 1,000 writes a second on AWS would cap the shop at 500 orders a second. Spread, a job
 * that reads one reads them all (one query each, merged oldest first).
 */
export const SPARSE_PARTITIONS = 64;

/** The sparse index key of an order flagged `flag` (PLACED, OPEN): the flag and the order's partition. */
export const sparseKeyOf = (flag: string, orderId: string): string => `${flag}#${shardOf({ shards: SPARSE_PARTITIONS }, orderId)}`;

/** Every key a sparse index's `flag` is spread over, and the bare flag rows projected before the spreading still carry. */
export const sparseKeysOf = (flag: string): string[] => [flag, ...Array.from({ length: SPARSE_PARTITIONS }, (_, k) => `${flag}#${k}`)];

/**
 * The OrdersView projection (CQRS read side): each row is the domain's view of the order after the event,
 * stamped with its customer's shard among `shards.shards` (rebuilds and reshards go by it), its sparse index
 * keys spread over their partitions.
 */
export function shardedViewProjection(shards: { readonly shards: number }): Projection<OrderViewRow> {
  return {
    keyAttribute: 'orderId',
    apply: (row, event) => {
      const next = viewRowAfter(row, event);
      return {
        ...next,
        shard: shardOf(shards, next.customerId),
        ...(next.awaitingPayment ? { awaitingPayment: sparseKeyOf(AWAITING_PAYMENT, next.orderId) } : {}),
        ...(next.paymentOpen ? { paymentOpen: sparseKeyOf(PAYMENT_OPEN, next.orderId) } : {}),
      };
    },
  };
}
