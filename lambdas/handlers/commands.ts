/**
 * The order commands over HTTP: each route parses its request, calls its use case (use-cases/orders.ts,
 * use-cases/payments.ts) and turns the outcome into the contract's answer. What a use case throws is
 * answered by the error table (platform/http-errors.ts).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { orders, payments } from '../composition/commands.ts';
import { correlateRequests, metadataOf } from '../platform/correlation.ts';
import {
  dispatch,
  errorResponse,
  etag,
  header,
  HttpError,
  jsonResponse,
  parseIfMatch,
  parseJsonBody,
  type Route,
} from '../platform/http.ts';
import { answerErrors } from '../platform/http-errors.ts';
import { callerOf } from '../platform/caller.ts';
import { actorOf, orderCustomerOf } from '../use-cases/access.ts';
import { observed } from '../platform/observability.ts';
import { emptyBodySchema, idSchema, paymentSchema, placeOrderSchema } from '../use-cases/order-inputs.ts';
import { changeOrder, placeOrder } from '../use-cases/orders.ts';
import { payOrder } from '../use-cases/payments.ts';
import type { COMMAND_ROUTES } from './routes.ts';

/**
 * A strangler shadow run (`eightfoldDryRun` on the event, which only a direct invoker can set, never an API
 * client): the command is decided and answered, but nothing is appended, charged or remembered.
 */
const isDryRun = (event: APIGatewayProxyEvent) => (event as { eightfoldDryRun?: unknown }).eightfoldDryRun === true;

function orderIdOf(event: APIGatewayProxyEvent): string {
  const orderId = idSchema.safeParse(event.pathParameters?.orderId);
  if (!orderId.success) throw new HttpError(404, 'ORDER_NOT_FOUND', 'No order has this id');
  return orderId.data;
}

/** POST /orders, with an optional Idempotency-Key (a dry run ignores it: it remembers nothing). */
async function place(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const body = parseJsonBody(event, placeOrderSchema);
  const caller = callerOf(event);
  const customerId = orderCustomerOf(caller, body.customerId);
  const dryRun = isDryRun(event);
  const key = dryRun ? undefined : header(event, 'idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key))
    throw new HttpError(400, 'BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 128 visible ASCII characters');
  const { orderId, version } = await placeOrder(orders, {
    customerId,
    items: body.items,
    idempotencyKey: key,
    dryRun,
    metadata: metadataOf(event, actorOf(caller), key),
  });
  return jsonResponse(201, { orderId, version, status: 'PLACED' }, { Location: `/orders/${orderId}`, ETag: etag(version) });
}

/** POST /orders/{orderId}/cancel and /ship. */
const change =
  (kind: 'CancelOrder' | 'ShipOrder') =>
  async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const caller = callerOf(event);
    const orderId = orderIdOf(event);
    parseJsonBody(event, emptyBodySchema, { optional: true });
    const input = {
      orderId,
      change: kind,
      expectedVersion: parseIfMatch(event),
      metadata: metadataOf(event, actorOf(caller)),
      dryRun: isDryRun(event),
      caller,
    };
    const { version, status, payment } = await changeOrder(orders, input);
    return jsonResponse(200, { orderId, version, status, payment }, { ETag: etag(version) });
  };

/** POST /orders/{orderId}/payment: the payment saga, its outcome as HTTP. */
async function pay(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  // A payment cannot be rehearsed: the provider's answer is the decision. The façade refuses to shadow it.
  if (isDryRun(event)) throw new HttpError(400, 'DRY_RUN_UNSUPPORTED', 'A payment cannot run as a dry run');
  const caller = callerOf(event);
  const orderId = orderIdOf(event);
  const { cardToken } = parseJsonBody(event, paymentSchema, { optional: true });
  const result = await payOrder(payments, { orderId, cardToken, metadata: metadataOf(event, actorOf(caller)), caller });
  const headers = { ETag: etag(result.version) };
  switch (result.outcome) {
    case 'PAID':
      return jsonResponse(200, { orderId, status: 'PAID', version: result.version }, headers);
    case 'DECLINED':
      return errorResponse(
        402,
        'PAYMENT_DECLINED',
        `The payment was declined: ${result.reason}`,
        { reason: result.reason, version: result.version },
        headers,
      );
    case 'CANCELLED': {
      const message = 'The order was cancelled while the payment was in flight; the charge is refunded';
      return errorResponse(409, 'ORDER_CANCELLED', message, { version: result.version, payment: result.payment }, headers);
    }
  }
}

const ROUTES = {
  'POST /orders': place,
  'POST /orders/{orderId}/cancel': change('CancelOrder'),
  'POST /orders/{orderId}/ship': change('ShipOrder'),
  'POST /orders/{orderId}/payment': pay,
} satisfies Record<keyof typeof COMMAND_ROUTES, Route>;

export const handler = observed((event: APIGatewayProxyEvent) => dispatch(ROUTES, event))
  .use(correlateRequests())
  .use(answerErrors('The command failed; it may be retried safely'));
