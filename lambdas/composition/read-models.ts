import { GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { VIEW_BY_CUSTOMER_INDEX, type OrderViewRow } from '../domain/orders/index.ts';
import { formatCursor, InvalidCursorError, parseCursor } from '../kernel/cursor.ts';
import { readSpreadPage, type SpreadPosition } from '../patterns/sharding/index.ts';
import { documentClient } from '../platform/clients.ts';
import { customerPartsOf } from '../use-cases/order-view.ts';
import type { Notification, OrderQueryDeps, Page, PageRequest } from '../use-cases/order-queries.ts';

/** A table (or index) whose partition key spreads each customer's items over parts, sorted newest first by its sort key. */
interface CustomerList {
  readonly tableName: string;
  readonly indexName?: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** What DynamoDB's start key names for an item of it: the table's key attributes, and the index's. */
  readonly positionAttributes: readonly string[];
}

/** One part of a customer's list, newest first, from just after `after`, a query of `pageSize` items at a time. */
async function* partOfList(
  list: CustomerList,
  key: string,
  after: Readonly<Record<string, unknown>> | undefined,
  pageSize: number,
): AsyncGenerator<Record<string, unknown>> {
  const pages = paginateQuery(
    { client: documentClient, pageSize },
    {
      TableName: list.tableName,
      IndexName: list.indexName,
      KeyConditionExpression: '#part = :part',
      ExpressionAttributeNames: { '#part': list.partitionKey },
      ExpressionAttributeValues: { ':part': key },
      ScanIndexForward: false,
      ExclusiveStartKey: after,
    },
  );
  for await (const page of pages) yield* page.Items ?? [];
}

/** Where a cursor left each part of the list: refused unless it names only these parts, each at an item or done. */
function positionsOf(cursor: string | undefined, parts: readonly string[]): Record<string, SpreadPosition> | undefined {
  const positions = parseCursor(cursor);
  const valid = Object.entries(positions ?? {}).every(
    ([part, at]) => parts.includes(part) && (at === 'done' || (typeof at === 'object' && at !== null && !Array.isArray(at))),
  );
  if (!valid) throw new InvalidCursorError(cursor!);
  return positions as Record<string, SpreadPosition> | undefined;
}

/** A page of a customer's items, newest first across the parts their list is spread over (every part read, merged). */
async function customerPage(list: CustomerList, parts: readonly string[], page: PageRequest): Promise<Page<Record<string, unknown>>> {
  const { items, next } = await readSpreadPage({
    keys: parts,
    from: positionsOf(page.cursor, parts),
    limit: page.limit,
    read: (key, after) => partOfList(list, key, after, page.limit),
    positionOf: (item) => Object.fromEntries(list.positionAttributes.map((attribute) => [attribute, item[attribute]])),
    before: (a, b) => String(a[list.sortKey]) > String(b[list.sortKey]),
  });
  return { items, nextCursor: formatCursor(next) };
}

/** The orders view on DynamoDB: rows by order id, and a customer's newest first (the by-customer index sorts by placement time). */
export function ordersView(tableName: string): OrderQueryDeps['views'] {
  const list: CustomerList = {
    tableName,
    indexName: VIEW_BY_CUSTOMER_INDEX,
    partitionKey: 'customerPart',
    sortKey: 'customerOrderKey',
    positionAttributes: ['orderId', 'customerPart', 'customerOrderKey'],
  };
  return {
    get: async (orderId) => {
      const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true }));
      return Item as OrderViewRow | undefined;
    },
    byCustomer: async (customerId, page) => (await customerPage(list, customerPartsOf(customerId), page)) as Page<OrderViewRow>,
  };
}

/** The notifications table on DynamoDB, newest first (notification ids are UUIDv7 event ids). */
export function notificationsTable(tableName: string): OrderQueryDeps['notifications'] {
  const list: CustomerList = {
    tableName,
    partitionKey: 'customerId',
    sortKey: 'notificationId',
    positionAttributes: ['customerId', 'notificationId'],
  };
  return {
    // Notifications written before the customer's were spread still sit under the bare customer id.
    byCustomer: async (customerId, page) => {
      const { items, nextCursor } = await customerPage(list, [customerId, ...customerPartsOf(customerId)], page);
      const notifications = items.map((item): Notification => ({
        notificationId: String(item.notificationId),
        orderId: String(item.orderId),
        type: String(item.eventType),
        version: Number(item.orderVersion),
        text: String(item.text),
        createdAt: String(item.createdAt),
      }));
      return { items: notifications, nextCursor };
    },
  };
}
