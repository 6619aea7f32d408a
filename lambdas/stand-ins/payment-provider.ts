/**
 * The payment provider's rules, as a stand-in for a real one. Declines are deterministic so tests and demos
 * can ask for them:
 * - card token `tok_decline` → CARD_DECLINED; `tok_insufficient_funds` → INSUFFICIENT_FUNDS;
 * - an amount over 1,000,000 cents ($10,000) → AMOUNT_LIMIT_EXCEEDED;
 * - anything else is approved.
 */
export type ChargeDecision = { status: 'APPROVED' } | { status: 'DECLINED'; reason: 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS' | 'AMOUNT_LIMIT_EXCEEDED' };

export const AMOUNT_LIMIT_CENTS = 1_000_000;

export function decideCharge(amountCents: number, cardToken: string): ChargeDecision {
  if (cardToken === 'tok_decline') return { status: 'DECLINED', reason: 'CARD_DECLINED' };
  if (cardToken === 'tok_insufficient_funds') return { status: 'DECLINED', reason: 'INSUFFICIENT_FUNDS' };
  if (amountCents > AMOUNT_LIMIT_CENTS) return { status: 'DECLINED', reason: 'AMOUNT_LIMIT_EXCEEDED' };
  return { status: 'APPROVED' };
}
