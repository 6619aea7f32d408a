import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { documentClient, requireEnv } from '../../platform/clients.ts';
import { applyFaults, currentFaults } from '../../platform/faults.ts';
import { issuesText } from '../../platform/http.ts';
import { LEGACY_CATALOG } from '../legacy-catalog.ts';
import { bearerMatches } from '../bearer.ts';
import { LegacyOrders, type LegacyAnswer } from '../legacy-orders.ts';
import { observed } from '../../platform/observability.ts';
import { ENV } from '../../platform/environment.ts';

const customersTable = requireEnv(ENV.standIns.legacyCustomers);
const integrationToken = requireEnv(ENV.standIns.apiTokenSecret);
const faultsTable = requireEnv(ENV.faults.table);
const orders = new LegacyOrders(requireEnv(ENV.standIns.legacyOrders));

const answer = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  // No X-Served-By: a real legacy system sends none, and Eightfold's façade stamps its answers itself.
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});
const notFound = (what: string) => answer(404, { error: { code: 'NOT_FOUND', message: `No ${what}` } });
const BAD_JSON: LegacyAnswer = { statusCode: 400, body: { error: { code: 'BAD_JSON', message: 'The body is not JSON' } } };

/** The request body as JSON; undefined when it is not JSON. */
function jsonBody(event: APIGatewayProxyEvent): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(event.body ?? '') };
  } catch {
    return undefined;
  }
}

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const profileSchema = z.strictObject({ name: z.string().min(1).max(200), email: z.email().max(254) });

/** The path after the stage, however the request reached us (directly, or through Eightfold's proxy). */
const pathOf = (event: APIGatewayProxyEvent) => `/${event.pathParameters?.proxy ?? ''}`.replace(/\/+$/, '') || '/';

/**
 * The legacy monolith Eightfold strangles: a catalog, customer profiles, its old orders API and daily
 * report, and its integration API (`/integration/*`: the feed Eightfold keeps its orders in sync through,
 * and the changes Eightfold follows legacy's orders by), for the bearer token Eightfold's ambassador holds
 * only. One Lambda behind `{proxy+}`, routing by itself, as old systems do. Faults set by Eightfold's
 * `PUT /ops/faults/legacy` apply first.
 */
async function legacy(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const faults = await currentFaults(faultsTable, 'legacy');
  const injected = await applyFaults(faults, 'The legacy system');
  if (injected) return answer(injected.statusCode, { error: { code: injected.code, message: injected.message } });
  const path = pathOf(event);
  if (faults.integrationDown && path.startsWith('/integration/'))
    return answer(503, { error: { code: 'UNAVAILABLE', message: 'The legacy system’s integration API is down' } });
  const method = event.httpMethod;
  if (method === 'GET' && path === '/catalog/products') return answer(200, { products: LEGACY_CATALOG });
  const product = /^\/catalog\/products\/([^/]+)$/.exec(path);
  if (method === 'GET' && product) {
    const found = LEGACY_CATALOG.find((p) => p.sku === decodeURIComponent(product[1]!));
    return found ? answer(200, found) : notFound('product with this SKU');
  }
  const customerOrders = /^\/customers\/([^/]+)\/orders$/.exec(path);
  if (method === 'GET' && customerOrders) {
    const customerId = decodeURIComponent(customerOrders[1]!);
    if (!idPattern.test(customerId)) return notFound('customer with this id');
    const served = await orders.ofCustomer(customerId, event.queryStringParameters?.limit);
    return answer(served.statusCode, served.body);
  }
  const customer = /^\/customers\/([^/]+)$/.exec(path);
  if (customer) {
    const customerId = decodeURIComponent(customer[1]!);
    if (!idPattern.test(customerId)) return notFound('customer with this id');
    if (method === 'GET') {
      const { Item } = await documentClient.send(new GetCommand({ TableName: customersTable, Key: { customerId }, ConsistentRead: true }));
      return Item ? answer(200, Item) : notFound('customer with this id');
    }
    if (method === 'PUT') {
      const body = jsonBody(event);
      if (!body) return answer(BAD_JSON.statusCode, BAD_JSON.body);
      const parsed = profileSchema.safeParse(body.value);
      if (!parsed.success) return answer(400, { error: { code: 'VALIDATION_FAILED', message: issuesText(parsed.error) } });
      const profile = { customerId, ...parsed.data, updatedAt: new Date().toISOString() };
      await documentClient.send(new PutCommand({ TableName: customersTable, Item: profile }));
      return answer(200, profile);
    }
  }
  const served = await ordersRoute(method, path, event);
  return served ? answer(served.statusCode, served.body) : notFound(`route ${method} ${path} in the legacy system`);
}

/** The old orders API, the report, and the integration feed; undefined for any other route. */
async function ordersRoute(method: string, path: string, event: APIGatewayProxyEvent): Promise<LegacyAnswer | undefined> {
  if (method === 'GET' && path === '/reports/orders') return orders.dailyReport(event.queryStringParameters?.date);
  if (method === 'POST' && path === '/orders') {
    const body = jsonBody(event);
    return body ? orders.place(body.value) : BAD_JSON;
  }
  if (path.startsWith('/integration/') && !(await bearerMatches(event, integrationToken)))
    return { statusCode: 401, body: { error: { code: 'UNAUTHORIZED', message: 'The integration API needs its bearer token' } } };
  if (method === 'GET' && path === '/integration/orders')
    return orders.changes(event.queryStringParameters?.changedSince, event.queryStringParameters?.limit);
  const order = /^\/(orders|integration\/orders)\/([^/]+)(\/cancel)?$/.exec(path);
  if (!order) return undefined;
  const orderNo = decodeURIComponent(order[2]!);
  if (!idPattern.test(orderNo)) return { statusCode: 404, body: { error: { code: 'NOT_FOUND', message: `No order ${orderNo}` } } };
  if (order[1] === 'orders' && !order[3] && method === 'GET') return orders.get(orderNo);
  if (order[1] === 'orders' && order[3] && method === 'POST') return orders.cancel(orderNo);
  if (order[1] === 'integration/orders' && !order[3] && method === 'GET') return orders.getRow(orderNo);
  if (order[1] === 'integration/orders' && !order[3] && method === 'PUT') {
    const body = jsonBody(event);
    return body ? orders.applyFeed(orderNo, body.value) : BAD_JSON;
  }
  return undefined;
}

export const handler = observed(legacy);
