/**
 * The payment provider stand-in's book of charges and refunds, in its own Charges table keyed by the
 * charge's idempotency key. Each charge item carries its refunds (by refund idempotency key) and the cents
 * refunded so far, so "a refund never exceeds its charge" is one conditional write on one item.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, randomUUID } from 'node:crypto';
import { documentClient } from '../platform/clients.ts';
import { isConditionalCheckFailed } from '../kernel/dynamodb-errors.ts';
import { chargeIdOf, decideCharge, idempotencyKeyOfCharge, refundFits } from './payment-provider.ts';

/** The Charges table's index of charges by order, for operators (`GET /charges?orderId=`). */
export const CHARGES_BY_ORDER_INDEX = 'byOrder';

export interface ChargeRequest {
  readonly orderId: string;
  readonly amountCents: number;
  readonly currency: 'USD';
  readonly cardToken: string;
}

export interface RefundRecord {
  readonly refundId: string;
  readonly chargeId: string;
  readonly amountCents: number;
  readonly status: 'SUCCEEDED';
  readonly createdAt: string;
}

interface ChargeItem {
  idempotencyKey: string;
  requestHash: string;
  orderId: string;
  response: { chargeId: string; orderId: string; amountCents: number; status: 'APPROVED' | 'DECLINED'; reason?: string };
  refundedCents: number;
  refunds: Record<string, RefundRecord & { requestHash: string }>;
  createdAt: string;
}

/** What a book operation answers: a status and a body, or the same answer again for a repeated key. */
export type BookAnswer = { readonly status: number; readonly body: unknown; readonly replayed?: boolean };

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const failure = (status: number, code: string, message: string): BookAnswer => ({ status, body: { error: { code, message } } });

/** A charge as the provider shows it to its client. */
const view = (item: ChargeItem) => ({
  ...item.response,
  idempotencyKey: item.idempotencyKey,
  refundedCents: item.refundedCents ?? 0,
  createdAt: item.createdAt,
});

export class ChargeBook {
  private readonly table: string;

  constructor(table: string) {
    this.table = table;
  }

  private async get(idempotencyKey: string): Promise<ChargeItem | undefined> {
    const { Item } = await documentClient.send(new GetCommand({ TableName: this.table, Key: { idempotencyKey }, ConsistentRead: true }));
    return Item as ChargeItem | undefined;
  }

  /** `POST /charges`: the same key always gets the first charge's answer (never a second charge); another body is 422. */
  async charge(idempotencyKey: string, request: ChargeRequest): Promise<BookAnswer> {
    const requestHash = hashOf(request);
    const replay = (item: ChargeItem): BookAnswer =>
      item.requestHash === requestHash
        ? { status: 200, body: item.response, replayed: true }
        : failure(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request');
    const stored = await this.get(idempotencyKey);
    if (stored) return replay(stored);
    const response = {
      chargeId: chargeIdOf(idempotencyKey),
      orderId: request.orderId,
      amountCents: request.amountCents,
      ...decideCharge(request.amountCents, request.cardToken),
    };
    const item: ChargeItem = {
      idempotencyKey,
      requestHash,
      orderId: request.orderId,
      response,
      refundedCents: 0,
      refunds: {},
      createdAt: new Date().toISOString(),
    };
    try {
      await documentClient.send(
        new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(idempotencyKey)' }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return replay((await this.get(idempotencyKey))!);
    }
    return { status: 201, body: response };
  }

  /** `GET /charges?idempotencyKey=`: the charge made under a key, if any (how a client learns the fate of a lost answer). */
  async byKey(idempotencyKey: string): Promise<BookAnswer> {
    const item = await this.get(idempotencyKey);
    return { status: 200, body: { charges: item ? [view(item)] : [] } };
  }

  /** `GET /charges?orderId=`: every charge of an order, for operators (an index: eventually consistent). */
  async byOrder(orderId: string): Promise<BookAnswer> {
    const { Items = [] } = await documentClient.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: CHARGES_BY_ORDER_INDEX,
        KeyConditionExpression: 'orderId = :orderId',
        ExpressionAttributeValues: { ':orderId': orderId },
      }),
    );
    return { status: 200, body: { charges: (Items as ChargeItem[]).map(view) } };
  }

  /**
   * `POST /charges/{chargeId}/refunds`: refunds part or all of an approved charge, once per refund key.
   * Refunds of a charge never add up past it: each is a write conditional on the refunded total it read.
   */
  async refund(chargeId: string, refundKey: string, request: { amountCents?: number }): Promise<BookAnswer> {
    const key = idempotencyKeyOfCharge(chargeId);
    const charge = key === undefined ? undefined : await this.get(key);
    if (!charge) return failure(404, 'CHARGE_NOT_FOUND', `No charge ${chargeId}`);
    if (charge.response.status !== 'APPROVED')
      return failure(409, 'CHARGE_NOT_REFUNDABLE', `Charge ${chargeId} was declined: nothing to refund`);
    const amountCents = request.amountCents ?? charge.response.amountCents - charge.refundedCents;
    const requestHash = hashOf({ chargeId, amountCents });
    const earlier = charge.refunds[refundKey];
    if (earlier) {
      const { requestHash: earlierHash, ...record } = earlier;
      return earlierHash === requestHash
        ? { status: 200, body: record, replayed: true }
        : failure(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another refund');
    }
    if (!refundFits({ amountCents: charge.response.amountCents, refundedCents: charge.refundedCents }, amountCents)) {
      return failure(
        409,
        'REFUND_EXCEEDS_CHARGE',
        `A refund of ${amountCents} cents exceeds what is left of charge ${chargeId} (${charge.response.amountCents - charge.refundedCents})`,
      );
    }
    const record: RefundRecord = {
      refundId: `re_${randomUUID()}`,
      chargeId,
      amountCents,
      status: 'SUCCEEDED',
      createdAt: new Date().toISOString(),
    };
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { idempotencyKey: charge.idempotencyKey },
          UpdateExpression: 'SET refunds.#refundKey = :refund, refundedCents = :refunded',
          ConditionExpression: 'refundedCents = :seen AND attribute_not_exists(refunds.#refundKey)',
          ExpressionAttributeNames: { '#refundKey': refundKey },
          ExpressionAttributeValues: {
            ':refund': { ...record, requestHash },
            ':refunded': charge.refundedCents + amountCents,
            ':seen': charge.refundedCents,
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Another refund of this charge landed first: judge this one again against the new total.
      return this.refund(chargeId, refundKey, request);
    }
    return { status: 201, body: record };
  }
}
