/**
 * The payment provider's rules, as a stand-in for a real one. Declines are deterministic so tests and demos
 * can ask for them:
 * - card token `tok_decline` → CARD_DECLINED; `tok_insufficient_funds` → INSUFFICIENT_FUNDS;
 * - an amount over 1,000,000 cents ($10,000) → AMOUNT_LIMIT_EXCEEDED;
 * - anything else is approved.
 */
export type ChargeDecision =
  { status: 'APPROVED' } | { status: 'DECLINED'; reason: 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS' | 'AMOUNT_LIMIT_EXCEEDED' };

export const AMOUNT_LIMIT_CENTS = 1_000_000;

export function decideCharge(amountCents: number, cardToken: string): ChargeDecision {
  if (cardToken === 'tok_decline') return { status: 'DECLINED', reason: 'CARD_DECLINED' };
  if (cardToken === 'tok_insufficient_funds') return { status: 'DECLINED', reason: 'INSUFFICIENT_FUNDS' };
  if (amountCents > AMOUNT_LIMIT_CENTS) return { status: 'DECLINED', reason: 'AMOUNT_LIMIT_EXCEEDED' };
  return { status: 'APPROVED' };
}

/**
 * A charge id names its idempotency key (`ch_` + the key in base64url), so a refund finds its charge with
 * one strongly consistent read. A real provider's ids are opaque; so are these, to Eightfold.
 */
export const chargeIdOf = (idempotencyKey: string): string => `ch_${Buffer.from(idempotencyKey, 'utf8').toString('base64url')}`;
export function idempotencyKeyOfCharge(chargeId: string): string | undefined {
  if (!/^ch_[A-Za-z0-9_-]{1,400}$/.test(chargeId)) return undefined;
  return Buffer.from(chargeId.slice(3), 'base64url').toString('utf8');
}

/** A refund of `amountCents` fits a charge only while the charge's refunds stay within what it took. */
export function refundFits(charge: { amountCents: number; refundedCents: number }, amountCents: number): boolean {
  return amountCents > 0 && charge.refundedCents + amountCents <= charge.amountCents;
}
