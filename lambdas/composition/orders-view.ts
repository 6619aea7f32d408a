import { paginateQuery, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
  /** An index with at most this many entries is read whole, in one request. */
  readonly wholeIndexEntries: number;
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

/** Entries of a sparse index read whole in one request: past it, partition by partition. */
const WHOLE_INDEX_ENTRIES = 1_000;

/**
 * Order ids from one of the view's sparse indexes, oldest first, sorted below `query.before`: eventually
 * consistent, a nomination to be judged against the event store. A sparse index holds only the orders in
 * its state, so it is mostly small: one Scan page then reads it whole, where a query for each partition
 * its flag is spread over would take hundreds of requests to find a handful. Past a page, each partition
 * is read in order and merged.
 */
async function* nominated(client: DynamoDBDocumentClient, viewTable: string, query: SparseQuery): AsyncGenerator<string> {
  const names = { '#sort': query.sortKey };
  const whole = await client.send(
    new ScanCommand({
      TableName: viewTable,
      IndexName: query.indexName,
      Limit: query.wholeIndexEntries,
      ProjectionExpression: 'orderId, #sort',
      ExpressionAttributeNames: names,
    }),
  );
  if (!whole.LastEvaluatedKey) {
    const entries = (whole.Items ?? []).map((item) => [String(item[query.sortKey]), String(item.orderId)] as const);
    for (const [, orderId] of entries.filter(([sort]) => sort < query.before).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      yield orderId;
    return;
  }
  const partitions = query.keys.map((key) => partition(client, viewTable, query, key));
  for await (const [, [, orderId]] of mergeSorted(partitions, (a, b) => a[0] < b[0])) yield orderId;
}

/**
 * Ids of the orders still awaiting payment that were placed before `placedBefore`, from the sparse index
 * that holds only unpaid orders, so the query reads nothing else.
 */
export function unpaidOrdersPlacedBefore(
  client: DynamoDBDocumentClient,
  viewTable: string,
  placedBefore: string,
  wholeIndexEntries = WHOLE_INDEX_ENTRIES,
): AsyncGenerator<string> {
  // customerOrderKey is `${placedAt}#${orderId}`: below the bare timestamp means placed strictly before it.
  return nominated(client, viewTable, {
    indexName: AWAITING_PAYMENT_INDEX,
    partitionKey: 'awaitingPayment',
    sortKey: 'customerOrderKey',
    keys: sparseKeysOf(AWAITING_PAYMENT),
    before: placedBefore,
    wholeIndexEntries,
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
    wholeIndexEntries: WHOLE_INDEX_ENTRIES,
  });
}
