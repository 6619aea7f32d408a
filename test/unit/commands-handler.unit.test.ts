/**
 * The commands handler called in-process with API Gateway events (the event factory in helpers/api-events.ts):
 * every request refused at the edge is refused before the event store or the provider is reached, which
 * here refuse every connection, so an answer that needed them would be a 500.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../lambdas/platform/environment.ts';
import { apiEvent, lambdaContext, stubHandlerEnvironment } from '../helpers/api-events.ts';

type Handler = (event: ReturnType<typeof apiEvent>, context: typeof lambdaContext) => Promise<{ statusCode: number; body: string }>;
let handler: Handler;

beforeAll(async () => {
  stubHandlerEnvironment({
    [ENV.eventStore.table]: 'events',
    [ENV.breakers.table]: 'breakers',
    [ENV.breakers.transitionsTopic]: 'arn:aws:sns:us-east-1:000000000000:transitions',
    [ENV.ambassador.policyParameter]: '/outbound-policy',
  });
  handler = (await import('../../lambdas/handlers/commands.ts')).handler as unknown as Handler;
});

afterEach(() => vi.restoreAllMocks());

const errorOf = async (event: ReturnType<typeof apiEvent>) => {
  const answer = await handler(event, lambdaContext);
  return { status: answer.statusCode, ...(JSON.parse(answer.body) as { error: { code: string; message: string } }).error };
};
const items = [{ sku: 'LAMP', quantity: 1, unitPriceCents: 1250 }];

describe('the commands handler refuses at the edge', () => {
  it.each([
    ['a body that is not JSON', apiEvent('POST', '/orders', { body: '{"customerId":' }), 400, 'BAD_JSON'],
    [
      'a body that is not sent as JSON',
      apiEvent('POST', '/orders', { body: 'x', headers: { 'Content-Type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['an order without items', apiEvent('POST', '/orders', { body: { customerId: 'c-1', items: [] } }), 400, 'VALIDATION_FAILED'],
    [
      'an order whose total is over what legacy stores (nine dollar digits)',
      apiEvent('POST', '/orders', { body: { customerId: 'c-1', items: [{ sku: 'GOLD', quantity: 10_000, unitPriceCents: 100_000_000 }] } }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'an Idempotency-Key with a space in it',
      apiEvent('POST', '/orders', { body: { customerId: 'c-1', items }, headers: { 'Idempotency-Key': 'two words' } }),
      400,
      'BAD_IDEMPOTENCY_KEY',
    ],
    [
      'an If-Match that is no version',
      apiEvent('POST', '/orders/{orderId}/cancel', { pathParameters: { orderId: 'o-1' }, headers: { 'If-Match': 'soon' } }),
      400,
      'BAD_IF_MATCH',
    ],
    ['a route it does not serve', apiEvent('DELETE', '/orders/{orderId}', { pathParameters: { orderId: 'o-1' } }), 404, 'NOT_FOUND'],
  ])('%s: %i %s', async (_case, event, status, code) => {
    expect(await errorOf(event)).toMatchObject({ status, code });
  });

  it('refuses to shadow a payment: the provider’s answer is the decision, and it has no dry run', async () => {
    const event = { ...apiEvent('POST', '/orders/{orderId}/payment', { pathParameters: { orderId: 'o-1' } }), eightfoldDryRun: true };
    expect(await errorOf(event)).toMatchObject({ status: 400, code: 'DRY_RUN_UNSUPPORTED' });
  });
});

describe('the correlation id', () => {
  const answerTo = (correlationId: string) =>
    handler(
      apiEvent('POST', '/orders', { body: { customerId: 'c-1', items: [] }, headers: { 'X-Correlation-Id': correlationId } }),
      lambdaContext,
    );

  it('echoes a caller’s id of 1–64 characters of [A-Za-z0-9._-]', async () => {
    const answer = (await answerTo('checkout.7f3a_B-2')) as { headers?: Record<string, string> };
    expect(answer.headers?.['X-Correlation-Id']).toBe('checkout.7f3a_B-2');
  });

  it.each([
    ['too long', 'x'.repeat(65)],
    ['with markup', '<script>alert(1)</script>'],
    ['with a newline', 'a\nb'],
    ['empty', ''],
  ])('replaces one %s with the request’s own id', async (_case, correlationId) => {
    const answer = (await answerTo(correlationId)) as { headers?: Record<string, string> };
    expect(answer.headers?.['X-Correlation-Id']).toBe('request-1');
  });
});
