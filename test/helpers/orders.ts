import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OrderCommand, PaymentOutcome } from '../../lambdas/domain/orders/index.ts';
import { scanAll } from '../../scripts/check-consistency.ts';

/** The commands of one payment attempt, as the saga issues them: requested under `paymentKey`, then the provider's answer recorded. */
export function paymentAttempt(orderId: string, paymentKey: string, outcome: PaymentOutcome, now: string): OrderCommand[] {
  return [
    { type: 'RequestPayment', data: { orderId, paymentKey }, now },
    { type: 'RecordPayment', data: { orderId, paymentKey, outcome }, now },
  ];
}

/** The payment provider stand-in's charges of one order, read from its table. */
export const chargesIn = (documents: DynamoDBDocumentClient, chargesTable: string, orderId: string): Promise<Record<string, unknown>[]> =>
  scanAll(documents, chargesTable, { FilterExpression: 'orderId = :orderId', ExpressionAttributeValues: { ':orderId': orderId } });
