/**
 * The queries over HTTP: each route parses its path and query, calls its use case (use-cases/order-queries.ts)
 * and answers JSON. What a use case throws is answered by the error table (platform/http-errors.ts).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { cursors, deps } from '../composition/queries.ts';
import { toOrderResponse } from '../domain/orders/index.ts';
import { callerOf } from '../platform/caller.ts';
import { correlateRequests } from '../platform/correlation.ts';
import { dispatch, etag, HttpError, jsonResponse, type Route } from '../platform/http.ts';
import { answerErrors } from '../platform/http-errors.ts';
import { observed } from '../platform/observability.ts';
import { idSchema, skuSchema } from '../use-cases/order-inputs.ts';
import { customerNotifications, customerOrders, getOrder, orderAt, orderEvents, unitsSold, type Page } from '../use-cases/order-queries.ts';
import type { QUERY_ROUTES } from './routes.ts';

function pathId(event: APIGatewayProxyEvent, name: 'orderId' | 'customerId'): string {
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
    const fields = [{ field: name, message: 'out of range' }];
    throw new HttpError(400, 'VALIDATION_FAILED', `${name} must be a whole number from ${bounds.min} to ${bounds.max}`, { fields });
  }
  return value;
}

/**
 * The page a request asks for. Its cursor is sealed to the list it pages, `scope` (the route and the id in
 * its path): one edited, made up or carried over from another list is refused with 400 BAD_CURSOR.
 */
const pageOf = async (event: APIGatewayProxyEvent, defaultLimit: number, scope: string) => ({
  limit: wholeNumber(event, 'limit', { min: 1, max: 100 }) ?? defaultLimit,
  cursor: await cursors.open(scope, event.queryStringParameters?.cursor),
});
const pageBody = async <Item>(name: string, { items, nextCursor }: Page<Item>, scope: string) => {
  const sealed = await cursors.seal(scope, nextCursor);
  return { [name]: items, ...(sealed ? { nextCursor: sealed } : {}) };
};

const ROUTES = {
  /** GET /orders/{orderId}[?minVersion=N]: the projected order; read-your-writes waits a bounded time. */
  'GET /orders/{orderId}': async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const minVersion = wholeNumber(event, 'minVersion', { min: 1, max: Number.MAX_SAFE_INTEGER });
    const row = await getOrder(deps, { orderId: pathId(event, 'orderId'), minVersion, caller: callerOf(event) });
    return jsonResponse(200, toOrderResponse(row), { ETag: etag(row.version) });
  },
  'GET /orders/{orderId}/events': async (event: APIGatewayProxyEvent) => {
    const orderId = pathId(event, 'orderId');
    const scope = `events:${orderId}`;
    const page = await orderEvents(deps, { orderId, caller: callerOf(event), ...(await pageOf(event, 50, scope)) });
    return jsonResponse(200, await pageBody('events', page, scope));
  },
  /** GET /orders/{orderId}/history?version=N: the order as it was after event N. */
  'GET /orders/{orderId}/history': async (event: APIGatewayProxyEvent) => {
    const version = wholeNumber(event, 'version', { min: 1, max: Number.MAX_SAFE_INTEGER });
    if (version === undefined)
      throw new HttpError(400, 'VALIDATION_FAILED', 'version is required', { fields: [{ field: 'version', message: 'required' }] });
    const order = await orderAt(deps, { orderId: pathId(event, 'orderId'), version, caller: callerOf(event) });
    return jsonResponse(200, toOrderResponse(order), { ETag: etag(order.version) });
  },
  'GET /customers/{customerId}/orders': async (event: APIGatewayProxyEvent) => {
    const customerId = pathId(event, 'customerId');
    const scope = `orders:${customerId}`;
    const { items, nextCursor } = await customerOrders(deps, { customerId, caller: callerOf(event), ...(await pageOf(event, 20, scope)) });
    return jsonResponse(200, await pageBody('orders', { items: items.map(toOrderResponse), nextCursor }, scope));
  },
  'GET /customers/{customerId}/notifications': async (event: APIGatewayProxyEvent) => {
    const customerId = pathId(event, 'customerId');
    const scope = `notifications:${customerId}`;
    return jsonResponse(
      200,
      await pageBody(
        'notifications',
        await customerNotifications(deps, { customerId, caller: callerOf(event), ...(await pageOf(event, 20, scope)) }),
        scope,
      ),
    );
  },
  'GET /products/{sku}/sales': async (event: APIGatewayProxyEvent) => {
    const sku = skuSchema.safeParse(event.pathParameters?.sku);
    if (!sku.success) throw new HttpError(404, 'PRODUCT_NOT_FOUND', 'No product has this SKU');
    return jsonResponse(200, await unitsSold(deps, sku.data));
  },
} satisfies Record<keyof typeof QUERY_ROUTES, Route>;

export const handler = observed((event: APIGatewayProxyEvent) => dispatch(ROUTES, event))
  .use(correlateRequests())
  .use(answerErrors('The query failed; retry it'));
