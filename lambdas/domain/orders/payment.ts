import type { ExistingOrder, PaymentLedger, PaymentStatus } from './types.ts';

export const NO_PAYMENT: PaymentLedger = { charges: {} };

/** Cents the provider charged the order, refunds not deducted. */
export const chargedCents = (ledger: PaymentLedger): number =>
  Object.values(ledger.charges).reduce((sum, charge) => sum + charge.amountCents, 0);

/** Cents refunded to the customer (refunds done, not merely requested). */
export const refundedCents = (ledger: PaymentLedger): number =>
  Object.values(ledger.charges).reduce((sum, charge) => sum + (charge.refund?.refundedAt ? charge.amountCents : 0), 0);

/** Charges whose refund is requested and not yet done, by charge id. */
export const pendingRefunds = (ledger: PaymentLedger): [string, PaymentLedger['charges'][string]][] =>
  Object.entries(ledger.charges).filter(([, charge]) => charge.refund && !charge.refund.refundedAt);

/**
 * When the oldest step still open began (a payment in flight, a refund not done), or undefined when the
 * saga rests: the reconciler looks at orders open longer than its bound.
 */
export function openSince(ledger: PaymentLedger): string | undefined {
  const times = [ledger.pending?.requestedAt, ...pendingRefunds(ledger).map(([, charge]) => charge.refund!.requestedAt)].filter(
    (t): t is string => t !== undefined,
  );
  return times.length ? times.sort()[0] : undefined;
}

/** The payment's status as the API shows it: what is still moving first, then where the money rests. */
export function paymentStatusOf(order: ExistingOrder): PaymentStatus {
  const ledger = order.payment ?? NO_PAYMENT;
  if (pendingRefunds(ledger).length > 0) return 'REFUND_PENDING';
  if (ledger.pending) return 'PENDING';
  if (order.status === 'PAID' || order.status === 'SHIPPED') return 'PAID';
  if (refundedCents(ledger) > 0) return 'REFUNDED';
  if (order.declinedPayments > 0) return 'DECLINED';
  return 'NONE';
}

/** The `payment` object of the contract's order shape. */
export function paymentSummaryOf(order: ExistingOrder): PaymentSummary {
  const ledger = order.payment ?? NO_PAYMENT;
  return { status: paymentStatusOf(order), chargedCents: chargedCents(ledger), refundedCents: refundedCents(ledger) };
}

export interface PaymentSummary {
  readonly status: PaymentStatus;
  readonly chargedCents: number;
  readonly refundedCents: number;
}
