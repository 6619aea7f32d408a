import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { VIEW_BY_CUSTOMER_INDEX, type OrderViewRow } from '../domain/orders/index.ts';
import { formatCursor, parseCursor } from '../kernel/cursor.ts';
import { documentClient } from '../platform/clients.ts';
import type { Notification, OrderQueryDeps, Page, PageRequest } from '../use-cases/order-queries.ts';

/** A customer's items in a table (or index) keyed by customerId, newest first, a page at a time. */
async function customerPage(
  table: { name: string; index?: string },
  customerId: string,
  page: PageRequest,
): Promise<Page<Record<string, unknown>>> {
  const result = await documentClient.send(
    new QueryCommand({
      TableName: table.name,
      IndexName: table.index,
      KeyConditionExpression: 'customerId = :customerId',
      ExpressionAttributeValues: { ':customerId': customerId },
      ScanIndexForward: false,
      Limit: page.limit,
      ExclusiveStartKey: parseCursor(page.cursor),
    }),
  );
  return { items: result.Items ?? [], nextCursor: formatCursor(result.LastEvaluatedKey) };
}

/** The orders view on DynamoDB: rows by order id, and by customer newest first (the byCustomer index sorts by placement time). */
export function ordersView(tableName: string): OrderQueryDeps['views'] {
  return {
    get: async (orderId) => {
      const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true }));
      return Item as OrderViewRow | undefined;
    },
    byCustomer: async (customerId, page) =>
      (await customerPage({ name: tableName, index: VIEW_BY_CUSTOMER_INDEX }, customerId, page)) as Page<OrderViewRow>,
  };
}

/** The notifications table on DynamoDB, newest first (notification ids are UUIDv7 event ids). */
export function notificationsTable(tableName: string): OrderQueryDeps['notifications'] {
  return {
    byCustomer: async (customerId, page) => {
      const { items, nextCursor } = await customerPage({ name: tableName }, customerId, page);
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
