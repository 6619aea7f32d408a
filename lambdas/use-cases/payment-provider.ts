/**
 * The payment provider as the payment saga sees it (a port), and its adapter to the provider's HTTP
 * contract over any `send` (the ambassador's, in production): charge, look a charge up by its idempotency
 * key, refund. The stand-in and a real provider with the same contract are interchangeable behind it.
 */
import type { OutboundRequest, OutboundResponse } from '../patterns/ambassador/index.ts';
import { hasBrand } from '../kernel/brand.ts';
import { EightfoldError } from '../kernel/errors.ts';

/** What the provider decided of a charge. */
export type ChargeAnswer =
  Readonly<{ status: 'APPROVED'; chargeId: string; amountCents: number }> | Readonly<{ status: 'DECLINED'; reason: string }>;

export interface ChargeRequest {
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly amountCents: number;
  readonly cardToken?: string;
  readonly correlationId?: string;
}

export interface RefundRequest {
  readonly chargeId: string;
  readonly refundKey: string;
  readonly amountCents: number;
  readonly correlationId?: string;
}

export interface PaymentProvider {
  /** Throws now, without a call, when the provider is known to be unavailable (an open breaker). */
  assertAvailable(): Promise<void>;
  charge(request: ChargeRequest): Promise<ChargeAnswer>;
  /** The charge made under a key, or undefined when the provider holds none. */
  findCharge(idempotencyKey: string, correlationId?: string): Promise<ChargeAnswer | undefined>;
  refund(request: RefundRequest): Promise<{ readonly refundId: string }>;
}

/** The provider answered, but refused (a 4xx): no retry of the same request will change that. */
export class PaymentProviderRefusedError extends EightfoldError<'PAYMENT_PROVIDER_REFUSED', { status: number; providerCode: string }> {
  override readonly name = 'PaymentProviderRefusedError';
  readonly isPaymentProviderRefusedError = true;
  readonly code = 'PAYMENT_PROVIDER_REFUSED';

  /** `providerCode`: the provider's own error code, e.g. IDEMPOTENCY_KEY_REUSED. */
  constructor(status: number, providerCode: string, message: string) {
    super(message, { status, providerCode });
  }
}
export const isPaymentProviderRefusedError = (error: unknown): error is PaymentProviderRefusedError =>
  hasBrand(error, 'isPaymentProviderRefusedError');

interface ChargeBody {
  readonly chargeId?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly amountCents?: number;
}

function chargeAnswerOf(body: ChargeBody): ChargeAnswer {
  if (body.status === 'APPROVED' && body.chargeId && Number.isInteger(body.amountCents))
    return { status: 'APPROVED', chargeId: body.chargeId, amountCents: body.amountCents! };
  if (body.status === 'DECLINED') return { status: 'DECLINED', reason: body.reason ?? 'DECLINED' };
  throw new PaymentProviderRefusedError(
    502,
    'UNEXPECTED_ANSWER',
    `The payment provider answered a charge without a decision: ${JSON.stringify(body)}`,
  );
}

function refusal(response: OutboundResponse, what: string): PaymentProviderRefusedError {
  const code = (response.body as { error?: { code?: string } } | undefined)?.error?.code ?? `HTTP_${response.status}`;
  return new PaymentProviderRefusedError(response.status, code, `The payment provider refused ${what} (${code})`);
}

/** What the adapter calls out through: the ambassador, in production. */
export interface OutboundClient {
  send(request: OutboundRequest): Promise<OutboundResponse>;
  /** Throws when a call now would be refused without trying (an open breaker). @default never */
  failFastIfOpen?(): Promise<void>;
}

/** The provider's HTTP contract (`POST /charges`, `GET /charges?idempotencyKey=`, `POST /charges/{id}/refunds`) over an outbound client. */
export function httpPaymentProvider(client: OutboundClient): PaymentProvider {
  const send = (request: OutboundRequest) => client.send(request);
  return {
    assertAvailable: async () => client.failFastIfOpen?.(),
    async charge({ idempotencyKey, orderId, amountCents, cardToken, correlationId }) {
      const response = await send({
        method: 'POST',
        path: '/charges',
        body: { orderId, amountCents, currency: 'USD', ...(cardToken ? { cardToken } : {}) },
        idempotencyKey,
        correlationId,
      });
      if (response.status >= 400) throw refusal(response, 'the charge');
      return chargeAnswerOf(response.body as ChargeBody);
    },
    async findCharge(idempotencyKey, correlationId) {
      const response = await send({ method: 'GET', path: `/charges?idempotencyKey=${encodeURIComponent(idempotencyKey)}`, correlationId });
      if (response.status >= 400) throw refusal(response, 'the lookup');
      const [charge] = (response.body as { charges?: ChargeBody[] }).charges ?? [];
      return charge && chargeAnswerOf(charge);
    },
    async refund({ chargeId, refundKey, amountCents, correlationId }) {
      const response = await send({
        method: 'POST',
        path: `/charges/${encodeURIComponent(chargeId)}/refunds`,
        body: { amountCents },
        idempotencyKey: refundKey,
        correlationId,
      });
      const refundId = (response.body as { refundId?: string } | undefined)?.refundId;
      if (response.status >= 400 || !refundId) throw refusal(response, 'the refund');
      return { refundId };
    },
  };
}
