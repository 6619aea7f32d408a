import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { orderDecider, toOrderEventMessage, toOrderResponse, VIEW_BY_CUSTOMER_INDEX, type OrderViewRow } from '../domain/orders/index.ts';
import { isEventStoreError } from '../patterns/event-sourcing/index.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';
import { formatCursor, parseCursor } from '../kernel/cursor.ts';
import { orderEventStore } from '../composition/event-store.ts';
import { dispatch, errorResponse, etag, HttpError, jsonResponse, type Route } from '../platform/http.ts';
import { correlateRequests } from '../platform/correlation.ts';
import { logger } from '../platform/logger.ts';
import { idSchema, skuSchema } from '../use-cases/order-inputs.ts';
import { salesCounters } from '../composition/sales.ts';
import { currentShardMap } from '../composition/shards.ts';
import { observed } from '../platform/observability.ts';

const viewTable = requireEnv('ORDERS_VIEW_TABLE');
const notificationsTable = requireEnv('NOTIFICATIONS_TABLE');
/** How long `?minVersion=N` waits for the projection to catch up before answering 503 VIEW_BEHIND. */
const MIN_VERSION_WAIT_MS = Number(process.env.MIN_VERSION_WAIT_MS ?? 2000);
const POLL_MS = 50;

function pathId(event: APIGatewayProxyEvent, name: string): string {
  const parsed = idSchema.safeParse(event.pathParameters?.[name]);
  if (!parsed.success)
    throw new HttpError(404, name === 'customerId' ? 'CUSTOMER_NOT_FOUND' : 'ORDER_NOT_FOUND', `No ${name.replace('Id', '')} has this id`);
  return parsed.data;
}

function wholeNumber(event: APIGatewayProxyEvent, name: string, bounds: { min: number; max: number }): number | undefined {
  const raw = event.queryStringParameters?.[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < bounds.min || value > bounds.max) {
    throw new HttpError(400, 'VALIDATION_FAILED', `${name} must be a whole number from ${bounds.min} to ${bounds.max}`, {
      fields: [{ field: name, message: 'out of range' }],
    });
  }
  return value;
}

function keyOf(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  const key = parseCursor(cursor);
  if (!key) throw new HttpError(400, 'BAD_CURSOR', 'The cursor is not one this API issued');
  return key;
}

async function viewRow(orderId: string): Promise<OrderViewRow | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: viewTable, Key: { orderId }, ConsistentRead: true }));
  return Item as OrderViewRow | undefined;
}

/** GET /orders/{orderId}[?minVersion=N]: the projected order; read-your-writes waits a bounded time. */
async function getOrder(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const orderId = pathId(event, 'orderId');
  const minVersion = wholeNumber(event, 'minVersion', { min: 1, max: Number.MAX_SAFE_INTEGER });
  const deadline = Date.now() + (minVersion ? MIN_VERSION_WAIT_MS : 0);
  let row = await viewRow(orderId);
  while (minVersion && (row?.version ?? 0) < minVersion && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    row = await viewRow(orderId);
  }
  if (minVersion && (row?.version ?? 0) < minVersion) {
    return errorResponse(
      503,
      'VIEW_BEHIND',
      `The read model reflects version ${row?.version ?? 0} of this order, not yet ${minVersion}; retry shortly`,
      { viewVersion: row?.version ?? 0, minVersion },
      { 'Retry-After': '1' },
    );
  }
  if (!row) return errorResponse(404, 'ORDER_NOT_FOUND', `No order ${orderId}`);
  return jsonResponse(200, toOrderResponse(row), { ETag: etag(row.version) });
}

/** GET /orders/{orderId}/events: the audit trail, oldest first, from the event store itself. */
async function getEvents(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const orderId = pathId(event, 'orderId');
  const limit = wholeNumber(event, 'limit', { min: 1, max: 100 }) ?? 50;
  const page = await orderEventStore.read(orderId, { limit, cursor: event.queryStringParameters?.cursor });
  if (page.events.length === 0 && !event.queryStringParameters?.cursor) return errorResponse(404, 'ORDER_NOT_FOUND', `No order ${orderId}`);
  return jsonResponse(200, { events: page.events.map(toOrderEventMessage), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
}

/** GET /orders/{orderId}/history?version=N: the order as it was after event N (time travel). */
async function getHistory(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const orderId = pathId(event, 'orderId');
  const version = wholeNumber(event, 'version', { min: 1, max: Number.MAX_SAFE_INTEGER });
  if (version === undefined)
    throw new HttpError(400, 'VALIDATION_FAILED', 'version is required', { fields: [{ field: 'version', message: 'required' }] });
  const loaded = await orderEventStore.load(orderId, { ...orderDecider, toVersion: version });
  if (loaded.state.status === 'NONE') return errorResponse(404, 'ORDER_NOT_FOUND', `No order ${orderId}`);
  if (loaded.version < version)
    return errorResponse(404, 'VERSION_NOT_FOUND', `Order ${orderId} has only ${loaded.version} versions`, {
      currentVersion: loaded.version,
    });
  return jsonResponse(200, toOrderResponse({ ...loaded.state, version: loaded.version }), { ETag: etag(loaded.version) });
}

/** A customer's items in a table (or index) keyed by customerId, newest first, a page at a time. */
async function customerPage(
  event: APIGatewayProxyEvent,
  table: { name: string; index?: string },
): Promise<{ items: Record<string, unknown>[]; nextCursor?: string }> {
  const customerId = pathId(event, 'customerId');
  const limit = wholeNumber(event, 'limit', { min: 1, max: 100 }) ?? 20;
  const page = await documentClient.send(
    new QueryCommand({
      TableName: table.name,
      IndexName: table.index,
      KeyConditionExpression: 'customerId = :customerId',
      ExpressionAttributeValues: { ':customerId': customerId },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: keyOf(event.queryStringParameters?.cursor),
    }),
  );
  return { items: page.Items ?? [], nextCursor: formatCursor(page.LastEvaluatedKey) };
}

/** GET /customers/{customerId}/orders: newest first (the byCustomer index sorts by placement time). */
async function getCustomerOrders(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { items, nextCursor } = await customerPage(event, { name: viewTable, index: VIEW_BY_CUSTOMER_INDEX });
  return jsonResponse(200, { orders: (items as OrderViewRow[]).map(toOrderResponse), ...(nextCursor ? { nextCursor } : {}) });
}

/** GET /customers/{customerId}/notifications: newest first (notification ids are UUIDv7 event ids). */
async function getNotifications(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { items, nextCursor } = await customerPage(event, { name: notificationsTable });
  const notifications = items.map((item) => ({
    notificationId: item.notificationId,
    orderId: item.orderId,
    type: item.eventType,
    version: item.orderVersion,
    text: item.text,
    createdAt: item.createdAt,
  }));
  return jsonResponse(200, { notifications, ...(nextCursor ? { nextCursor } : {}) });
}

/** GET /products/{sku}/sales: units sold (placed minus cancelled), gathered from the counter's write shards. */
async function getSales(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const parsed = skuSchema.safeParse(event.pathParameters?.sku);
  if (!parsed.success) throw new HttpError(404, 'PRODUCT_NOT_FOUND', 'No product has this SKU');
  const { total, writeShards } = await salesCounters.total(await currentShardMap(), parsed.data);
  return jsonResponse(200, { sku: parsed.data, unitsSold: total, shards: writeShards, asOf: new Date().toISOString() });
}

const ROUTES: Record<string, Route> = {
  'GET /products/{sku}/sales': getSales,
  'GET /orders/{orderId}': getOrder,
  'GET /orders/{orderId}/events': getEvents,
  'GET /orders/{orderId}/history': getHistory,
  'GET /customers/{customerId}/orders': getCustomerOrders,
  'GET /customers/{customerId}/notifications': getNotifications,
};

const queries = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  dispatch(ROUTES, event, {
    mapError: (error) => (isEventStoreError(error) ? errorResponse(400, 'BAD_CURSOR', error.message) : undefined),
    onUnexpected: (error) => logger.error('query failed', { error: error as Error }),
    failure: 'The query failed; retry it',
  });

export const handler = observed(queries).use(correlateRequests());
