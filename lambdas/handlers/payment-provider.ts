import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { documentClient, requireEnv } from '../shared/clients.ts';
import { isConditionalCheckFailed } from '../shared/dynamodb-errors.ts';
import { injectedFailure } from '../shared/faults.ts';
import { header } from '../shared/http.ts';
import { logger } from '../shared/logger.ts';
import { decideCharge } from '../stand-ins/payment-provider.ts';
import { observed } from '../shared/observability.ts';

const chargesTable = requireEnv('CHARGES_TABLE');
const faultsTable = requireEnv('FAULTS_TABLE');
const tokenSecret = requireEnv('API_TOKEN_SECRET');

const chargeSchema = z.strictObject({
  orderId: z.string().min(1).max(64),
  amountCents: z.number().int().positive(),
  currency: z.literal('USD'),
  cardToken: z.string().min(1).max(64).default('tok_visa'),
});

const answer = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'X-Served-By': 'payment-provider', ...headers },
  body: JSON.stringify(body),
});
const failure = (statusCode: number, code: string, message: string) => answer(statusCode, { error: { code, message } });
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * A stand-in payment provider: `POST /charges` with a bearer token and a required Idempotency-Key. The same
 * key always gets the first charge's answer (never a second charge); the same key with another body is 422.
 * Faults set through Eightfold's `PUT /ops/faults/payment-provider` apply before anything else.
 */
async function provider(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const injected = await injectedFailure(faultsTable, 'payment-provider', 'The payment provider');
  if (injected) return failure(injected.statusCode, injected.code, injected.message);

  if (event.httpMethod !== 'POST' || event.path.replace(/\/$/, '').split('/').at(-1) !== 'charges') return failure(404, 'NOT_FOUND', 'Only POST /charges');
  const token = (await getSecret(tokenSecret, { maxAge: 300 })) as string;
  const presented = header(event, 'authorization')?.replace(/^Bearer /, '') ?? '';
  if (!timingSafeEqual(digest(presented), digest(token))) return failure(401, 'UNAUTHORIZED', 'Bad or missing bearer token');
  const idempotencyKey = header(event, 'idempotency-key');
  if (!idempotencyKey) return failure(400, 'IDEMPOTENCY_KEY_REQUIRED', 'Every charge needs an Idempotency-Key');
  let body: z.infer<typeof chargeSchema>;
  try {
    body = chargeSchema.parse(JSON.parse(event.body ?? ''));
  } catch (error) {
    return failure(400, 'BAD_REQUEST', (error as Error).message);
  }
  const requestHash = digest(JSON.stringify(body)).toString('hex');

  const stored = await documentClient.send(new GetCommand({ TableName: chargesTable, Key: { idempotencyKey }, ConsistentRead: true }));
  const replay = (item: Record<string, unknown>) =>
    item.requestHash === requestHash ? answer(200, item.response, { 'Idempotent-Replayed': 'true' }) : failure(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request');
  if (stored.Item) return replay(stored.Item);

  const decision = decideCharge(body.amountCents, body.cardToken);
  const response = { chargeId: `ch_${randomUUID()}`, orderId: body.orderId, amountCents: body.amountCents, ...decision };
  try {
    await documentClient.send(
      new PutCommand({
        TableName: chargesTable,
        Item: { idempotencyKey, requestHash, orderId: body.orderId, response, createdAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(idempotencyKey)',
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    const raced = await documentClient.send(new GetCommand({ TableName: chargesTable, Key: { idempotencyKey }, ConsistentRead: true }));
    return replay(raced.Item!);
  }
  logger.info('charge', { idempotencyKey, ...response });
  return answer(201, response);
}

export const handler = observed(provider);
