import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isDeepStrictEqual } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { isOrderDomainError, orderDecider, orderIdForKey, type OrderCommand, type OrderErrorCode, type PaymentOutcome } from '../domain/orders/index.ts';
import { isOutboundError } from '../patterns/ambassador/index.ts';
import { isBrokenCircuitError } from '../patterns/circuit-breaker/index.ts';
import { handleCommand, isConcurrencyError, isEventTooLargeError, type EventMetadata } from '../patterns/event-sourcing/index.ts';
import { orderEventStore } from '../shared/event-store.ts';
import { errorResponse, etag, header, HttpError, isHttpError, jsonResponse, parseIfMatch, parseJsonBody } from '../shared/http.ts';
import { correlateRequests, correlationIdOf } from '../shared/correlation.ts';
import { logger } from '../shared/logger.ts';
import { emptyBodySchema, idSchema, paymentSchema, placeOrderSchema, type PlaceOrderBody } from '../shared/orders-schemas.ts';
import { ambassadorFor } from '../shared/outbound.ts';
import { observed } from '../shared/observability.ts';

const paymentProvider = ambassadorFor('payment-provider');

/** Domain and store errors → HTTP, in one table. */
const DOMAIN_STATUS: Record<OrderErrorCode, number> = {
  ORDER_NOT_FOUND: 404,
  ORDER_ALREADY_EXISTS: 409,
  ILLEGAL_TRANSITION: 409,
  PAYMENT_AMOUNT_MISMATCH: 409,
};

function toHttpError(error: unknown): APIGatewayProxyResult | undefined {
  if (isHttpError(error)) return errorResponse(error.statusCode, error.code, error.message, error.details);
  if (isOrderDomainError(error)) return errorResponse(DOMAIN_STATUS[error.code], error.code, error.message);
  if (isConcurrencyError(error)) {
    return errorResponse(409, 'VERSION_CONFLICT', error.message, { currentVersion: error.currentVersion }, { ETag: etag(error.currentVersion) });
  }
  if (isEventTooLargeError(error)) return errorResponse(413, 'PAYLOAD_TOO_LARGE', error.message);
  if (isBrokenCircuitError(error)) {
    const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return errorResponse(503, 'PAYMENT_UNAVAILABLE', `Payments are paused (circuit ${error.state}); retry in ${seconds} s`, { retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
  }
  if (isOutboundError(error)) {
    return errorResponse(503, 'PAYMENT_UNAVAILABLE', 'The payment provider did not answer; nothing was charged twice, retry shortly', { retryAfterSeconds: 5 }, { 'Retry-After': '5' });
  }
  return undefined;
}

function metadataOf(event: APIGatewayProxyEvent, actor: string, idempotencyKey?: string): EventMetadata {
  return {
    correlationId: correlationIdOf(event) ?? uuidv7(),
    causationId: event.requestContext?.requestId,
    actor,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

/**
 * A strangler shadow run (`eightfoldDryRun` on the event, which only a direct invoker can set, never an API
 * client): the command is decided and answered, but nothing is appended, charged or remembered.
 */
const isDryRun = (event: APIGatewayProxyEvent) => (event as { eightfoldDryRun?: unknown }).eightfoldDryRun === true;

async function placeOrder(body: PlaceOrderBody, metadata: EventMetadata, dryRun = false, orderId = uuidv7()): Promise<APIGatewayProxyResult> {
  const command: OrderCommand = { type: 'PlaceOrder', data: { orderId, customerId: body.customerId, items: body.items }, now: new Date().toISOString() };
  const result = await handleCommand(orderEventStore, orderDecider, orderId, command, metadata, { expectedVersion: 0, dryRun });
  return placedResponse(orderId, result.version);
}

const placedResponse = (orderId: string, version: number) => jsonResponse(201, { orderId, version, status: 'PLACED' }, { Location: `/orders/${orderId}`, ETag: etag(version) });

/**
 * POST /orders with an Idempotency-Key: the order id is derived from the key, so the conditional append
 * that places the order is also the idempotency record, written in the same request. However often the
 * request is sent — concurrently, after a lost answer, after a crash between the append and the answer —
 * one order is placed; a repeat meets the stream it made and answers as the first did, and a repeat with
 * another body is refused with 422.
 */
async function placeKeyedOrder(key: string, body: PlaceOrderBody, metadata: EventMetadata): Promise<APIGatewayProxyResult> {
  const orderId = orderIdForKey(key);
  try {
    return await placeOrder(body, metadata, false, orderId);
  } catch (error) {
    if (!isConcurrencyError(error)) throw error;
    const { events } = await orderEventStore.read(orderId, { toVersion: 1 });
    const placed = events[0];
    const data = placed?.data as { customerId?: string; items?: unknown } | undefined;
    if (placed?.metadata.idempotencyKey === key && data?.customerId === body.customerId && isDeepStrictEqual(data.items, body.items)) return placedResponse(orderId, 1);
    throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request body');
  }
}

async function transition(event: APIGatewayProxyEvent, type: 'CancelOrder' | 'ShipOrder'): Promise<APIGatewayProxyResult> {
  const orderId = idSchema.safeParse(event.pathParameters?.orderId);
  if (!orderId.success) throw new HttpError(404, 'ORDER_NOT_FOUND', 'No order has this id');
  parseJsonBody(event, emptyBodySchema, { optional: true });
  const expectedVersion = parseIfMatch(event);
  const now = new Date().toISOString();
  const command: OrderCommand =
    type === 'CancelOrder'
      ? { type, data: { orderId: orderId.data, reason: 'CUSTOMER_REQUEST' }, now }
      : { type, data: { orderId: orderId.data }, now };
  const result = await handleCommand(orderEventStore, orderDecider, orderId.data, command, metadataOf(event, 'api'), { expectedVersion, dryRun: isDryRun(event) });
  return jsonResponse(200, { orderId: orderId.data, version: result.version, status: result.state.status }, { ETag: etag(result.version) });
}

/**
 * POST /orders/{orderId}/payment: charge the order's total through the ambassador (timeouts, retries,
 * breaker), then record the outcome. The provider's idempotency key is the order and the version it was
 * charged at, so a retried request, or a retry after a timeout, never charges twice.
 */
async function pay(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const orderId = idSchema.safeParse(event.pathParameters?.orderId);
  if (!orderId.success) throw new HttpError(404, 'ORDER_NOT_FOUND', 'No order has this id');
  const { cardToken } = parseJsonBody(event, paymentSchema, { optional: true });
  // An open breaker answers 503 before the order is even read.
  await paymentProvider.failFastIfOpen();
  const metadata = metadataOf(event, 'api');
  const loaded = await orderEventStore.load(orderId.data, orderDecider);
  const now = new Date().toISOString();
  // The decider judges payability before any money moves (unknown → 404, not PLACED → 409).
  orderDecider.decide({ type: 'PayOrder', data: { orderId: orderId.data, payment: { status: 'DECLINED', reason: 'dry run' } }, now }, loaded.state);
  const total = loaded.state.status === 'NONE' ? 0 : loaded.state.totalCents;
  const charge = await paymentProvider.send({
    method: 'POST',
    path: '/charges',
    body: { orderId: orderId.data, amountCents: total, currency: 'USD', ...(cardToken ? { cardToken } : {}) },
    idempotencyKey: `${orderId.data}:v${loaded.version}`,
    correlationId: metadata.correlationId,
  });
  const answer = charge.body as { chargeId?: string; status?: string; reason?: string; amountCents?: number };
  if (charge.status >= 400 || (answer.status !== 'APPROVED' && answer.status !== 'DECLINED')) {
    logger.error('unexpected answer from the payment provider', { status: charge.status, body: charge.body });
    // 422 from the provider: this order version was already charged with other details (a retry with
    // another card after a timeout); the first charge stands, so the client must retry with the same card.
    const providerCode = (charge.body as { error?: { code?: string } } | undefined)?.error?.code ?? `HTTP ${charge.status}`;
    return errorResponse(502, 'PAYMENT_PROVIDER_ERROR', `The payment provider refused the request (${providerCode})`, { providerCode });
  }
  const payment: PaymentOutcome =
    answer.status === 'APPROVED' ? { status: 'APPROVED', paymentId: answer.chargeId!, amountCents: answer.amountCents! } : { status: 'DECLINED', reason: answer.reason ?? 'DECLINED' };
  const result = await handleCommand(orderEventStore, orderDecider, orderId.data, { type: 'PayOrder', data: { orderId: orderId.data, payment }, now }, metadata, { expectedVersion: loaded.version });
  if (payment.status === 'DECLINED') {
    return errorResponse(402, 'PAYMENT_DECLINED', `The payment was declined: ${payment.reason}`, { reason: payment.reason, version: result.version }, { ETag: etag(result.version) });
  }
  return jsonResponse(200, { orderId: orderId.data, status: 'PAID', version: result.version }, { ETag: etag(result.version) });
}

async function commands(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    switch (`${event.httpMethod} ${event.resource}`) {
      case 'POST /orders': {
        const body = parseJsonBody(event, placeOrderSchema);
        const key = header(event, 'idempotency-key');
        if (key === undefined || isDryRun(event)) return await placeOrder(body, metadataOf(event, body.customerId), isDryRun(event));
        if (!/^[\x21-\x7e]{1,128}$/.test(key)) throw new HttpError(400, 'BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 128 visible ASCII characters');
        return await placeKeyedOrder(key, body, metadataOf(event, body.customerId, key));
      }
      case 'POST /orders/{orderId}/cancel':
        return await transition(event, 'CancelOrder');
      case 'POST /orders/{orderId}/ship':
        return await transition(event, 'ShipOrder');
      case 'POST /orders/{orderId}/payment':
        // A payment cannot be rehearsed: the provider's answer is the decision. The façade refuses to shadow it.
        if (isDryRun(event)) throw new HttpError(400, 'DRY_RUN_UNSUPPORTED', 'A payment cannot run as a dry run');
        return await pay(event);
      default:
        return errorResponse(404, 'NOT_FOUND', `No command at ${event.httpMethod} ${event.path}`);
    }
  } catch (error) {
    const response = toHttpError(error);
    if (response) return response;
    logger.error('command failed', { error: error as Error });
    return errorResponse(500, 'INTERNAL', 'The command failed; it may be retried safely');
  }
}

export const handler = observed(commands).use(correlateRequests());
