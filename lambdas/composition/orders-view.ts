import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWAITING_PAYMENT, AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX, PAYMENT_OPEN } from '../domain/orders/index.ts';
import { mergeSorted } from '../patterns/sharding/index.ts';
import { sparseKeysOf } from '../use-cases/order-view.ts';

interface SparseQuery {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Every key the index's flag is spread over. */
  readonly keys: readonly string[];
  /** Only entries sorted below this. */
  readonly before: string;
}

/** One partition of a sparse index, oldest first: [sort key, order id] pairs. */
async function* partition(
  client: DynamoDBDocumentClient,
  viewTable: string,
  query: SparseQuery,
  key: string,
): AsyncGenerator<[string, string]> {
  const pages = paginateQuery(
    { client, pageSize: 100 },
    {
      TableName: viewTable,
      IndexName: query.indexName,
      KeyConditionExpression: '#key = :key AND #sort < :before',
      ExpressionAttributeNames: { '#key': query.partitionKey, '#sort': query.sortKey },
      ExpressionAttributeValues: { ':key': key, ':before': query.before },
      ProjectionExpression: 'orderId, #sort',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) yield [String(item[query.sortKey]), String(item.orderId)];
}

/**
 * Order ids from one of the view's sparse indexes, oldest first across the partitions its flag is spread
 * over (each read in order, merged): eventually consistent, a nomination to be judged against the event store.
 */
async function* nominated(client: DynamoDBDocumentClient, viewTable: string, query: SparseQuery): AsyncGenerator<string> {
  const partitions = query.keys.map((key) => partition(client, viewTable, query, key));
  for await (const [, [, orderId]] of mergeSorted(partitions, (a, b) => a[0] < b[0])) yield orderId;
}

/**
 * Ids of the orders still awaiting payment that were placed before `placedBefore`, from the sparse index
 * that holds only unpaid orders, so the query reads nothing else.
 */
export function unpaidOrdersPlacedBefore(client: DynamoDBDocumentClient, viewTable: string, placedBefore: string): AsyncGenerator<string> {
  // customerOrderKey is `${placedAt}#${orderId}`: below the bare timestamp means placed strictly before it.
  return nominated(client, viewTable, {
    indexName: AWAITING_PAYMENT_INDEX,
    partitionKey: 'awaitingPayment',
    sortKey: 'customerOrderKey',
    keys: sparseKeysOf(AWAITING_PAYMENT),
    before: placedBefore,
  });
}

/** Ids of the orders whose payment saga has had a step open (a charge in flight, a refund owed) since before `openBefore`. */
export function ordersWithPaymentsOpenSince(client: DynamoDBDocumentClient, viewTable: string, openBefore: string): AsyncGenerator<string> {
  return nominated(client, viewTable, {
    indexName: OPEN_PAYMENTS_INDEX,
    partitionKey: 'paymentOpen',
    sortKey: 'paymentOpenSince',
    keys: sparseKeysOf(PAYMENT_OPEN),
    before: openBefore,
  });
}
