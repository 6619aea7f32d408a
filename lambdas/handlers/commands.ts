import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isDeepStrictEqual } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import {
  isOrderDomainError,
  orderDecider,
  orderIdForKey,
  paymentSummaryOf,
  type OrderCommand,
  type OrderErrorCode,
} from '../domain/orders/index.ts';
import { isOutboundError } from '../patterns/ambassador/index.ts';
import { isBrokenCircuitError } from '../patterns/circuit-breaker/index.ts';
import { handleCommand, isConcurrencyError, isEventTooLargeError, type EventMetadata } from '../patterns/event-sourcing/index.ts';
import { orderEventStore } from '../composition/event-store.ts';
import { errorResponse, etag, header, HttpError, isHttpError, jsonResponse, parseIfMatch, parseJsonBody } from '../platform/http.ts';
import { correlateRequests, correlationIdOf } from '../platform/correlation.ts';
import { logger } from '../platform/logger.ts';
import { emptyBodySchema, idSchema, paymentSchema, placeOrderSchema, type PlaceOrderBody } from '../use-cases/order-inputs.ts';
import { ambassadorFor } from '../composition/outbound.ts';
import { observed } from '../platform/observability.ts';
import { httpPaymentProvider, isPaymentProviderRefusedError } from '../use-cases/payment-provider.ts';
import { payOrder, type PaymentDeps } from '../use-cases/payments.ts';

const payments: PaymentDeps = {
  store: orderEventStore,
  provider: httpPaymentProvider(ambassadorFor('payment-provider')),
  now: () => new Date(),
};

/** Domain and store errors → HTTP, in one table. */
const DOMAIN_STATUS: Record<OrderErrorCode, number> = {
  ORDER_NOT_FOUND: 404,
  ORDER_ALREADY_EXISTS: 409,
  ILLEGAL_TRANSITION: 409,
  PAYMENT_IN_PROGRESS: 409,
};

function toHttpError(error: unknown): APIGatewayProxyResult | undefined {
  if (isHttpError(error)) return errorResponse(error.statusCode, error.code, error.message, error.details);
  if (isOrderDomainError(error)) {
    // A payment in flight concludes within the provider's timeout: the caller retries and meets its outcome.
    const retry = error.code === 'PAYMENT_IN_PROGRESS' ? { 'Retry-After': '1' } : undefined;
    return errorResponse(DOMAIN_STATUS[error.code], error.code, error.message, retry && { retryAfterSeconds: 1 }, retry);
  }
  if (isPaymentProviderRefusedError(error)) {
    // A 422 from the provider: this attempt was charged with other details; the first charge stands.
    return errorResponse(502, 'PAYMENT_PROVIDER_ERROR', `The payment provider refused the request (${error.code})`, {
      providerCode: error.code,
    });
  }
  if (isConcurrencyError(error)) {
    return errorResponse(
      409,
      'VERSION_CONFLICT',
      error.message,
      { currentVersion: error.currentVersion },
      { ETag: etag(error.currentVersion) },
    );
  }
  if (isEventTooLargeError(error)) return errorResponse(413, 'PAYLOAD_TOO_LARGE', error.message);
  if (isBrokenCircuitError(error)) {
    const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return errorResponse(
      503,
      'PAYMENT_UNAVAILABLE',
      `Payments are paused (circuit ${error.state}); retry in ${seconds} s`,
      { retryAfterSeconds: seconds },
      { 'Retry-After': String(seconds) },
    );
  }
  if (isOutboundError(error)) {
    return errorResponse(
      503,
      'PAYMENT_UNAVAILABLE',
      'The payment provider did not answer; nothing was charged twice, retry shortly',
      { retryAfterSeconds: 5 },
      { 'Retry-After': '5' },
    );
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

async function placeOrder(
  body: PlaceOrderBody,
  metadata: EventMetadata,
  dryRun = false,
  orderId = uuidv7(),
): Promise<APIGatewayProxyResult> {
  const command: OrderCommand = {
    type: 'PlaceOrder',
    data: { orderId, customerId: body.customerId, items: body.items },
    now: new Date().toISOString(),
  };
  const result = await handleCommand(orderEventStore, orderDecider, orderId, command, metadata, { expectedVersion: 0, dryRun });
  return placedResponse(orderId, result.version);
}

const placedResponse = (orderId: string, version: number) =>
  jsonResponse(201, { orderId, version, status: 'PLACED' }, { Location: `/orders/${orderId}`, ETag: etag(version) });

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
    if (placed?.metadata.idempotencyKey === key && data?.customerId === body.customerId && isDeepStrictEqual(data.items, body.items))
      return placedResponse(orderId, 1);
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
  const result = await handleCommand(orderEventStore, orderDecider, orderId.data, command, metadataOf(event, 'api'), {
    expectedVersion,
    dryRun: isDryRun(event),
  });
  const payment = result.state.status === 'NONE' ? undefined : paymentSummaryOf(result.state);
  return jsonResponse(
    200,
    { orderId: orderId.data, version: result.version, status: result.state.status, payment },
    { ETag: etag(result.version) },
  );
}

/** POST /orders/{orderId}/payment: the payment saga (use-cases/payments.ts), its outcome as HTTP. */
async function pay(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const orderId = idSchema.safeParse(event.pathParameters?.orderId);
  if (!orderId.success) throw new HttpError(404, 'ORDER_NOT_FOUND', 'No order has this id');
  const { cardToken } = parseJsonBody(event, paymentSchema, { optional: true });
  const result = await payOrder(payments, { orderId: orderId.data, cardToken, metadata: metadataOf(event, 'api') });
  const headers = { ETag: etag(result.version) };
  switch (result.outcome) {
    case 'PAID':
      return jsonResponse(200, { orderId: orderId.data, status: 'PAID', version: result.version }, headers);
    case 'DECLINED':
      return errorResponse(
        402,
        'PAYMENT_DECLINED',
        `The payment was declined: ${result.reason}`,
        { reason: result.reason, version: result.version },
        headers,
      );
    case 'CANCELLED':
      return errorResponse(
        409,
        'ORDER_CANCELLED',
        'The order was cancelled while the payment was in flight; the charge is refunded',
        { version: result.version, payment: result.payment },
        headers,
      );
  }
}

async function commands(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    switch (`${event.httpMethod} ${event.resource}`) {
      case 'POST /orders': {
        const body = parseJsonBody(event, placeOrderSchema);
        const key = header(event, 'idempotency-key');
        if (key === undefined || isDryRun(event)) return await placeOrder(body, metadataOf(event, body.customerId), isDryRun(event));
        if (!/^[\x21-\x7e]{1,128}$/.test(key))
          throw new HttpError(400, 'BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 128 visible ASCII characters');
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
