/**
 * The payment saga, orchestrated on the order's own event stream. Every step is recorded in the stream
 * before or after the one call it makes, and every call carries an idempotency key derived from the
 * stream, so any step can be run again — by a retrying client, a redelivered message or the reconciler —
 * and meets the same charge, the same refund, the same events:
 *
 *   PaymentRequested ─charge─▶ OrderPaid | PaymentDeclined | RefundRequested (the order cannot keep it)
 *   (reconciler, after its bound) ─look up by key─▶ any of those, or PaymentAbandoned (no charge)
 *   RefundRequested ─refund─▶ PaymentRefunded
 *
 * The decider (domain/orders) decides what each answer means for the order; these functions only move
 * between the store and the provider. Dependencies are passed in: the store, the provider port, the clock.
 */
import type { Caller } from '../kernel/caller.ts';
import { admitCaller } from './orders.ts';
import {
  ORDER_ERROR_CODES,
  OrderDomainError,
  orderDecider,
  paymentKeyOf,
  paymentSummaryOf,
  pendingRefunds,
  type OrderCommand,
  type OrderState,
  type PaymentOutcome,
  type PaymentSummary,
} from '../domain/orders/index.ts';
import {
  handleCommand,
  isConcurrencyError,
  type AppendGuard,
  type CommandResult,
  type EventMetadata,
  type EventStore,
} from '../patterns/event-sourcing/index.ts';
import { isStaleFencingTokenError } from '../patterns/leader-election/index.ts';
import { isPaymentProviderRefusedError, type ChargeAnswer, type PaymentProvider } from './payment-provider.ts';

export interface PaymentDeps {
  readonly store: EventStore;
  readonly provider: PaymentProvider;
  readonly now: () => Date;
  /** A condition every append must meet (the reconciler's fencing token). @default none */
  readonly guard?: AppendGuard;
}

export type PayResult =
  | { readonly outcome: 'PAID'; readonly version: number }
  | { readonly outcome: 'DECLINED'; readonly version: number; readonly reason: string }
  /** The order was cancelled while its charge was in flight: the charge is being refunded. */
  | { readonly outcome: 'CANCELLED'; readonly version: number; readonly payment: PaymentSummary };

/** Loads stream, decides and appends: a conflict reloads and decides again (the answer is a fact either way). */
const RECORD_ATTEMPTS = 5;

const outcomeOf = (answer: ChargeAnswer | undefined): PaymentOutcome =>
  !answer
    ? { status: 'NOT_FOUND' }
    : answer.status === 'APPROVED'
      ? { status: 'APPROVED', paymentId: answer.chargeId, amountCents: answer.amountCents }
      : answer;

type Known = { readonly version: number; readonly state: OrderState };

/** Decides on the stream as last seen (`known`, no reload), appends; a conflict reloads and decides again. */
function execute(
  deps: PaymentDeps,
  orderId: string,
  command: OrderCommand,
  metadata: EventMetadata,
  known: Known,
  expectedVersion?: number,
): Promise<CommandResult<OrderState>> {
  return handleCommand(deps.store, orderDecider, orderId, command, metadata, {
    expectedVersion,
    known,
    maxAttempts: RECORD_ATTEMPTS,
    guard: deps.guard,
  });
}

/** Records what the provider said of an attempt; the decider turns a charge the order cannot keep into a refund. */
export function recordPayment(
  deps: PaymentDeps,
  orderId: string,
  paymentKey: string,
  outcome: PaymentOutcome,
  metadata: EventMetadata,
  known: Known,
): Promise<CommandResult<OrderState>> {
  return execute(
    deps,
    orderId,
    { type: 'RecordPayment', data: { orderId, paymentKey, outcome }, now: deps.now().toISOString() },
    metadata,
    known,
  );
}

/**
 * `POST /orders/{orderId}/payment`. The intent is recorded first (PaymentRequested, carrying the
 * provider's idempotency key), then the charge is made under that key and its answer recorded. A payment
 * already in flight is joined, not doubled: the charge is sent again under the same key, and the provider
 * answers as it did the first time (or charges now, if the first request never reached it). So concurrent
 * payers, and a client retrying after a lost answer, all meet one charge. A paid order answers as paid.
 */
export async function payOrder(
  deps: PaymentDeps,
  input: { readonly orderId: string; readonly cardToken?: string; readonly metadata: EventMetadata; readonly caller?: Caller },
): Promise<PayResult> {
  const { orderId, cardToken, metadata, caller } = input;
  // An open breaker refuses before anything is recorded.
  await deps.provider.assertAvailable();
  for (let attempt = 1; ; attempt++) {
    const loaded = await deps.store.load(orderId, orderDecider);
    // A customer pays for their own orders only: another's is answered as unknown.
    admitCaller(caller, orderId, 'RequestPayment')(loaded.state);
    const order = loaded.state;
    if (order.status === 'PAID') return { outcome: 'PAID', version: loaded.version };
    let attemptKey = order.status === 'PLACED' ? order.payment.pending?.key : undefined;
    let known: Known = loaded;
    if (!attemptKey) {
      attemptKey = paymentKeyOf(orderId, loaded.version);
      try {
        // Pinned at the version loaded: whatever happened since (a cancel, another payer) is judged afresh.
        known = await execute(
          deps,
          orderId,
          { type: 'RequestPayment', data: { orderId, paymentKey: attemptKey }, now: deps.now().toISOString() },
          metadata,
          loaded,
          loaded.version,
        );
      } catch (error) {
        if (isConcurrencyError(error) && attempt < RECORD_ATTEMPTS) continue;
        throw error;
      }
    }
    // Here the order is PLACED: anything else was refused by the decider when the payment was requested.
    const { totalCents } = order as Extract<OrderState, { status: 'PLACED' }>;
    const answer = await chargeOnce(deps, {
      idempotencyKey: attemptKey,
      orderId,
      amountCents: totalCents,
      cardToken,
      correlationId: metadata.correlationId,
    });
    const recorded = await recordPayment(deps, orderId, attemptKey, outcomeOf(answer), metadata, known);
    const state = recorded.state;
    if (state.status === 'PAID') return { outcome: 'PAID', version: recorded.version };
    if (answer.status === 'DECLINED') return { outcome: 'DECLINED', version: recorded.version, reason: answer.reason };
    if (state.status === 'NONE') throw new Error(`Order ${orderId} vanished while being paid`);
    return { outcome: 'CANCELLED', version: recorded.version, payment: paymentSummaryOf(state) };
  }
}

/**
 * The charge under an attempt's key. The provider refuses the same key with another body (422): the
 * attempt was charged first with other details (another payer's card), and that first charge is the answer.
 * A provider still busy with the key (409, as real ones answer concurrent requests) leaves the payment in
 * flight: the payer is told to come back.
 */
async function chargeOnce(deps: PaymentDeps, request: Parameters<PaymentProvider['charge']>[0]): Promise<ChargeAnswer> {
  try {
    return await deps.provider.charge(request);
  } catch (error) {
    if (isPaymentProviderRefusedError(error) && error.context.status === 409) {
      throw new OrderDomainError(
        ORDER_ERROR_CODES.PAYMENT_IN_PROGRESS,
        `The provider is still processing payment ${request.idempotencyKey}`,
        { orderId: request.orderId, command: 'RequestPayment' },
      );
    }
    if (!isPaymentProviderRefusedError(error) || error.context.providerCode !== 'IDEMPOTENCY_KEY_REUSED') throw error;
    const first = await deps.provider.findCharge(request.idempotencyKey, request.correlationId);
    if (!first) throw error;
    return first;
  }
}

/**
 * Refunds one charge the order owes back (its RefundRequested), then records PaymentRefunded. Run by the
 * refunds subscriber for each RefundRequested, and by the reconciler for any still owed after its bound:
 * the refund key makes a second run meet the first refund, and a refund already recorded is not asked again.
 */
export async function refundCharge(
  deps: PaymentDeps,
  input: { readonly orderId: string; readonly chargeId: string; readonly metadata: EventMetadata; readonly known?: Known },
): Promise<'refunded' | 'already-refunded'> {
  const { orderId, chargeId, metadata } = input;
  const loaded = input.known ?? (await deps.store.load(orderId, orderDecider));
  const charge = loaded.state.status === 'NONE' ? undefined : loaded.state.payment.charges[chargeId];
  if (!charge?.refund || charge.refund.refundedAt) return 'already-refunded';
  const { refundId } = await deps.provider.refund({
    chargeId,
    refundKey: charge.refund.refundKey,
    amountCents: charge.amountCents,
    correlationId: metadata.correlationId,
  });
  await execute(
    deps,
    orderId,
    { type: 'RecordRefund', data: { orderId, chargeId, refundId }, now: deps.now().toISOString() },
    metadata,
    loaded,
  );
  return 'refunded';
}

export interface ReconcileReport {
  /** Attempts concluded by asking the provider: paid, declined, refunded or abandoned. */
  readonly concluded: string[];
  readonly refunded: string[];
  /** Orders whose open step failed this time (the provider unreachable, a refusal): tried again next turn. */
  readonly failed: { readonly orderId: string; readonly error: string }[];
}

/**
 * The reconciler: for each order a step of whose saga has been open since before `openBefore`, ask the
 * provider by idempotency key what became of the payment in flight and record it (a charge, a decline,
 * or none: PaymentAbandoned), and run every refund still owed. The bound must exceed the longest a charge
 * request can still be on its way to the provider, so "no charge under this key" is final.
 */
export async function reconcilePayments(
  deps: PaymentDeps,
  input: {
    readonly openOrders: AsyncIterable<string>;
    readonly openBefore: string;
    readonly stillLeading: () => boolean;
    readonly metadata: EventMetadata;
  },
): Promise<ReconcileReport & { readonly interrupted: boolean }> {
  const report: ReconcileReport = { concluded: [], refunded: [], failed: [] };
  for await (const orderId of input.openOrders) {
    if (!input.stillLeading()) return { ...report, interrupted: true };
    try {
      let known: Known = await deps.store.load(orderId, orderDecider);
      if (known.state.status === 'NONE') continue;
      const pending = known.state.payment.pending;
      let concluded = false;
      if (pending && pending.requestedAt < input.openBefore) {
        const answer = await deps.provider.findCharge(pending.key, input.metadata.correlationId);
        known = await recordPayment(deps, orderId, pending.key, outcomeOf(answer), input.metadata, known);
        report.concluded.push(orderId);
        concluded = true;
      }
      if (known.state.status === 'NONE') continue;
      // Refunds owed since before the bound, and any the conclusion above just made owed.
      for (const [chargeId, charge] of pendingRefunds(known.state.payment)) {
        if (charge.refund!.requestedAt >= input.openBefore && !concluded) continue;
        await refundCharge(deps, { orderId, chargeId, metadata: input.metadata });
        report.refunded.push(chargeId);
      }
    } catch (error) {
      // A stale leader stops at once; anything else is this order's trouble, tried again on the next turn.
      if (isStaleFencingTokenError(error)) throw error;
      report.failed.push({ orderId, error: (error as Error).message });
    }
  }
  return { ...report, interrupted: false };
}
