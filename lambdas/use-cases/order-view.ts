import { AWAITING_PAYMENT, PAYMENT_OPEN, viewRowAfter, type OrderViewRow } from '../domain/orders/index.ts';
import type { Projection } from '../patterns/cqrs/index.ts';
import { shardOf, spreadKeyOf, spreadKeysOf } from '../patterns/sharding/index.ts';

/**
 * How many partition keys each sparse index spreads its orders over (by order id). Every order enters the
 * awaiting-payment index and leaves it, and every payment the open-payments one: two writes an order, so
 * under one key an index partition's 1,000 writes a second on AWS would cap the shop at 500 orders a
 * second, and under 512 at about 170,000 (the hottest key takes a little over its share). A job reads a
 * small index whole in one request, a large one a query per key, merged oldest first.
 */
export const SPARSE_PARTITIONS = 512;

/** The sparse index key of an order flagged `flag` (PLACED, OPEN): the flag and the order's partition. */
export const sparseKeyOf = (flag: string, orderId: string): string => spreadKeyOf(flag, orderId, SPARSE_PARTITIONS);

/** Every key a sparse index's `flag` is spread over, and the bare flag rows projected before the spreading still carry. */
export const sparseKeysOf = (flag: string): string[] => [flag, ...spreadKeysOf(flag, SPARSE_PARTITIONS)];

/**
 * How many partition keys one customer's orders spread over (by order id), in the view's by-customer index
 * and in the notifications table. Under one key each, a customer placing hundreds of orders a second (a
 * large account: each order writes its list four times, its notifications three) would pass a partition's
 * 1,000 writes a second on AWS; spread, a page of either reads every part, a query each, merged newest first.
 */
export const CUSTOMER_PARTS = 8;

/** The partition key an order of `customerId` is listed (and notified) under. */
export const customerPartOf = (customerId: string, orderId: string): string => spreadKeyOf(customerId, orderId, CUSTOMER_PARTS);

/** Every partition key a customer's orders are listed (and notified) under. */
export const customerPartsOf = (customerId: string): string[] => spreadKeysOf(customerId, CUSTOMER_PARTS);

/**
 * The OrdersView projection (CQRS read side): each row is the domain's view of the order after the event,
 * stamped with its customer's shard among `shards.shards` (rebuilds and reshards go by it), its by-customer
 * and sparse index keys spread over their partitions.
 */
export function shardedViewProjection(shards: { readonly shards: number }): Projection<OrderViewRow> {
  return {
    keyAttribute: 'orderId',
    apply: (row, event) => {
      const next = viewRowAfter(row, event);
      return {
        ...next,
        shard: shardOf(shards, next.customerId),
        customerPart: customerPartOf(next.customerId, next.orderId),
        ...(next.awaitingPayment ? { awaitingPayment: sparseKeyOf(AWAITING_PAYMENT, next.orderId) } : {}),
        ...(next.paymentOpen ? { paymentOpen: sparseKeyOf(PAYMENT_OPEN, next.orderId) } : {}),
      };
    },
  };
}
