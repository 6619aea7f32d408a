import type { OrderCommand, PaymentOutcome } from '../../lambdas/domain/orders/index.ts';

/** The commands of one payment attempt, as the saga issues them: requested under `paymentKey`, then the provider's answer recorded. */
export function paymentAttempt(orderId: string, paymentKey: string, outcome: PaymentOutcome, now: string): OrderCommand[] {
  return [
    { type: 'RequestPayment', data: { orderId, paymentKey }, now },
    { type: 'RecordPayment', data: { orderId, paymentKey, outcome }, now },
  ];
}
