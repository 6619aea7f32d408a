/**
 * The one error table (platform/http-errors.ts), and the middleware that applies it, through a real API
 * handler called in-process with API Gateway events: what it answers is decided before any AWS call.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConcurrencyError, EventTooLargeError } from '../../lambdas/patterns/event-sourcing/index.ts';
import { BrokenCircuitError } from '../../lambdas/patterns/circuit-breaker/index.ts';
import { OutboundError } from '../../lambdas/patterns/ambassador/index.ts';
import { OrderDomainError } from '../../lambdas/domain/orders/index.ts';
import { InvalidCursorError } from '../../lambdas/kernel/cursor.ts';
import { answerFor } from '../../lambdas/platform/http-errors.ts';
import { logger } from '../../lambdas/platform/logger.ts';
import { HttpError } from '../../lambdas/platform/http.ts';
import { IdempotencyKeyReusedError } from '../../lambdas/use-cases/orders.ts';
import { ViewBehindError, VersionNotFoundError } from '../../lambdas/use-cases/order-queries.ts';
import { PaymentProviderRefusedError } from '../../lambdas/use-cases/payment-provider.ts';
import { apiEvent, lambdaContext, stubHandlerEnvironment } from '../helpers/api-events.ts';

const answered = (error: unknown) => {
  const answer = answerFor(error);
  return (
    answer && { status: answer.statusCode, headers: answer.headers, body: JSON.parse(answer.body) as { error: Record<string, unknown> } }
  );
};

describe('the error table', () => {
  it.each([
    [new HttpError(400, 'BAD_JSON', 'The body is not valid JSON'), 400, { code: 'BAD_JSON', message: 'The body is not valid JSON' }],
    [
      new OrderDomainError('ILLEGAL_TRANSITION', 'Order o is SHIPPED', { orderId: 'o', command: 'CancelOrder', status: 'SHIPPED' }),
      409,
      { code: 'ILLEGAL_TRANSITION' },
    ],
    [
      new OrderDomainError('PAYMENT_IN_PROGRESS', 'in flight', { orderId: 'o', command: 'CancelOrder' }),
      409,
      { code: 'PAYMENT_IN_PROGRESS', retryAfterSeconds: 1 },
    ],
    [new ConcurrencyError('o', 1, 3), 409, { code: 'VERSION_CONFLICT', currentVersion: 3 }],
    [new EventTooLargeError('o', 'OrderPlaced', 500_000, 400_000), 413, { code: 'PAYLOAD_TOO_LARGE' }],
    [new InvalidCursorError('x'), 400, { code: 'BAD_CURSOR' }],
    [new IdempotencyKeyReusedError('o'), 422, { code: 'IDEMPOTENCY_KEY_REUSED' }],
    [new VersionNotFoundError('o', 2), 404, { code: 'VERSION_NOT_FOUND', currentVersion: 2 }],
    [new ViewBehindError(1, 2), 503, { code: 'VIEW_BEHIND', viewVersion: 1, minVersion: 2 }],
    [
      new BrokenCircuitError('payment-provider', 'OPEN', 2_500),
      503,
      { code: 'PAYMENT_UNAVAILABLE', message: 'Payments are paused (circuit OPEN); retry in 3 s', retryAfterSeconds: 3 },
    ],
    [new OutboundError('payment-provider', 'timed out'), 503, { code: 'PAYMENT_UNAVAILABLE', retryAfterSeconds: 5 }],
    [
      new PaymentProviderRefusedError(422, 'IDEMPOTENCY_KEY_REUSED', 'no'),
      502,
      { code: 'PAYMENT_PROVIDER_ERROR', providerCode: 'IDEMPOTENCY_KEY_REUSED' },
    ],
  ])('answers %s with %i and the contract’s body', (error, status, body) => {
    const answer = answered(error)!;
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatchObject(body);
    expect(answer.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Served-By': 'eightfold' });
  });

  it('sends Retry-After and ETag where the contract has them', () => {
    expect(answered(new BrokenCircuitError('payment-provider', 'OPEN', 2_500))!.headers).toMatchObject({ 'Retry-After': '3' });
    expect(answered(new ViewBehindError(1, 2))!.headers).toMatchObject({ 'Retry-After': '1' });
    expect(answered(new ConcurrencyError('o', 1, 3))!.headers).toMatchObject({ ETag: '"3"' });
  });

  it('names an outage of a dependency other than payments by its own name', () => {
    expect(answered(new OutboundError('legacy', 'timed out'))!.body.error).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'legacy did not answer; retry shortly',
    });
  });

  it('answers nothing for an error it does not know: that is a 500, in the handler’s words', () => {
    expect(answerFor(new Error('boom'))).toBeUndefined();
    expect(answerFor({ isEightfoldError: true, code: 'SOMETHING_ELSE' })).toBeUndefined();
  });
});

describe('an API handler’s error middleware', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  const queries = async () => {
    stubHandlerEnvironment({
      EVENTS_TABLE: 'events',
      ORDERS_VIEW_TABLE: 'view',
      NOTIFICATIONS_TABLE: 'notifications',
      SALES_COUNTERS_TABLE: 'sales',
      SHARD_MAPS_TABLE: 'maps',
      SHARD_MAP_CACHE_MS: '10000',
      DEFAULT_SHARDS: '16',
      DEFAULT_WRITE_SHARDS: '8',
      CURSOR_KEY_SECRET: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:cursor-key',
    });
    return (await import('../../lambdas/handlers/queries.ts')).handler;
  };

  it('answers a request refused at the edge with its code, and the caller’s correlation id', async () => {
    const handler = await queries();
    const answer = await handler(
      apiEvent('GET', '/orders/{orderId}', {
        pathParameters: { orderId: 'o-1' },
        query: { minVersion: 'zero' },
        headers: { 'X-Correlation-Id': 'corr-7' },
      }),
      lambdaContext,
    );
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'VALIDATION_FAILED', fields: [{ field: 'minVersion' }] } });
    expect(answer.headers).toMatchObject({ 'X-Correlation-Id': 'corr-7', 'X-Served-By': 'eightfold' });
  });

  it('answers a route it does not serve with 404 NOT_FOUND', async () => {
    const answer = await (await queries())(apiEvent('DELETE', '/orders/{orderId}', { path: '/orders/o-1' }), lambdaContext);
    expect(answer.statusCode).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'Nothing at DELETE /orders/o-1' } });
  });

  it('answers an unexpected failure 500 INTERNAL in its own words, never the error’s', async () => {
    const handler = await queries();
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    // The read model's DynamoDB refuses the connection: a failure no entry of the table names.
    const answer = await handler(
      apiEvent('GET', '/customers/{customerId}/orders', { pathParameters: { customerId: 'c-1' } }),
      lambdaContext,
    );
    expect(answer.statusCode).toBe(500);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'INTERNAL', message: 'The query failed; retry it' } });
    expect(logged).toHaveBeenCalledWith('request failed', { error: expect.any(Error) });
  });
});
