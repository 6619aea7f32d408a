import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { requireEnv } from '../../platform/clients.ts';
import { applyFaults, currentFaults } from '../../platform/faults.ts';
import { header } from '../../platform/http.ts';
import { logger } from '../../platform/logger.ts';
import { observed } from '../../platform/observability.ts';
import { bearerMatches } from '../bearer.ts';
import { ChargeBook, type BookAnswer } from '../charge-book.ts';
import { ENV } from '../../platform/environment.ts';

const book = new ChargeBook(requireEnv(ENV.standIns.charges));
const faultsTable = requireEnv(ENV.faults.table);
const tokenSecret = requireEnv(ENV.standIns.apiTokenSecret);

const chargeSchema = z.strictObject({
  orderId: z.string().min(1).max(64),
  amountCents: z.number().int().positive(),
  currency: z.literal('USD'),
  cardToken: z.string().min(1).max(64).default('tok_visa'),
});
const refundSchema = z.strictObject({ amountCents: z.number().int().positive().optional() });
const keySchema = z.string().min(1).max(255);

const answer = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'X-Served-By': 'payment-provider', ...headers },
  body: JSON.stringify(body),
});
const failure = (statusCode: number, code: string, message: string) => answer(statusCode, { error: { code, message } });
const fromBook = (result: BookAnswer) => answer(result.status, result.body, result.replayed ? { 'Idempotent-Replayed': 'true' } : {});

function parsed<T>(schema: z.ZodType<T>, body: string | null): T | APIGatewayProxyResult {
  try {
    return schema.parse(JSON.parse(body || '{}'));
  } catch (error) {
    return failure(400, 'BAD_REQUEST', (error as Error).message);
  }
}
const isAnswer = (value: unknown): value is APIGatewayProxyResult => typeof value === 'object' && value !== null && 'statusCode' in value;

/**
 * A stand-in payment provider, every call with a bearer token:
 * - `POST /charges` (Idempotency-Key required): the same key always gets the first charge's answer;
 * - `GET /charges?idempotencyKey=K` or `?orderId=O`: the charges made under a key, or of an order;
 * - `POST /charges/{chargeId}/refunds` (Idempotency-Key required): a refund, never beyond the charge.
 * Faults set through Eightfold's `PUT /ops/faults/payment-provider` apply before anything else, except
 * `loseChargeAnswers`: the charge is made, then its answer is lost (504).
 */
async function provider(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const faults = await currentFaults(faultsTable, 'payment-provider');
  const injected = await applyFaults(faults, 'The payment provider');
  if (injected) return failure(injected.statusCode, injected.code, injected.message);

  if (!(await bearerMatches(event, tokenSecret))) return failure(401, 'UNAUTHORIZED', 'Bad or missing bearer token');
  const segments = event.path.replace(/\/$/, '').split('/');
  const chargesAt = segments.lastIndexOf('charges');
  const route = `${event.httpMethod} ${segments
    .slice(chargesAt)
    .map((segment, i) => (i === 1 ? '{chargeId}' : segment))
    .join('/')}`;
  const idempotencyKey = keySchema.safeParse(header(event, 'idempotency-key'));

  switch (route) {
    case 'GET charges': {
      const { idempotencyKey: byKey, orderId } = event.queryStringParameters ?? {};
      if (byKey) return fromBook(await book.byKey(byKey));
      if (orderId) return fromBook(await book.byOrder(orderId));
      return failure(400, 'BAD_REQUEST', 'Ask by ?idempotencyKey= or ?orderId=');
    }
    case 'POST charges': {
      if (!idempotencyKey.success) return failure(400, 'IDEMPOTENCY_KEY_REQUIRED', 'Every charge needs an Idempotency-Key');
      const body = parsed(chargeSchema, event.body);
      if (isAnswer(body)) return body;
      const result = await book.charge(idempotencyKey.data, body);
      logger.info('charge', { idempotencyKey: idempotencyKey.data, status: result.status, replayed: result.replayed === true });
      if (faults.loseChargeAnswers) return failure(504, 'ANSWER_LOST', 'The charge was processed; its answer was lost on the way back');
      return fromBook(result);
    }
    case 'POST charges/{chargeId}/refunds': {
      if (!idempotencyKey.success) return failure(400, 'IDEMPOTENCY_KEY_REQUIRED', 'Every refund needs an Idempotency-Key');
      const body = parsed(refundSchema, event.body);
      if (isAnswer(body)) return body;
      const result = await book.refund(decodeURIComponent(segments[chargesAt + 1]!), idempotencyKey.data, body);
      logger.info('refund', { idempotencyKey: idempotencyKey.data, status: result.status, replayed: result.replayed === true });
      return fromBook(result);
    }
    default:
      return failure(404, 'NOT_FOUND', 'Only POST /charges, GET /charges and POST /charges/{chargeId}/refunds');
  }
}

export const handler = observed(provider);
