/**
 * Strangler Fig, the anti-corruption layer: while routes move to Eightfold, legacy must stay whole (its
 * report, its remaining routes), so every order Eightfold takes is fed to legacy in legacy's own terms.
 * This module is the one place that knows both models: our events in, legacy's feed entries out.
 */
import { messageCorrelationId, type OrderEvent, type OrderEventMessage } from '../domain/orders/index.ts';
import { EightfoldError } from '../kernel/errors.ts';
import { dollarsOf, type LegacyFeedEntry, type LegacyStatusCode } from './legacy-contract.ts';
import type { OutboundRequest, OutboundResponse } from '../patterns/ambassador/index.ts';

/**
 * How legacy sees each of our events: the status it shows afterwards (none for the payment saga's inner
 * steps, which legacy has no word for: their entries carry the revision alone and leave the status as it
 * was), and the field that says when it happened (what our read model shows as `updatedAt`).
 */
const AS_LEGACY: {
  readonly [Type in OrderEvent['type']]: {
    readonly status?: LegacyStatusCode;
    readonly at: keyof Extract<OrderEvent, { type: Type }>['data'];
  };
} = {
  OrderPlaced: { status: 'N', at: 'placedAt' },
  OrderPaid: { status: 'P', at: 'paidAt' },
  OrderCancelled: { status: 'C', at: 'cancelledAt' },
  OrderShipped: { status: 'S', at: 'shippedAt' },
  PaymentDeclined: { at: 'declinedAt' },
  PaymentRequested: { at: 'requestedAt' },
  PaymentAbandoned: { at: 'abandonedAt' },
  RefundRequested: { at: 'requestedAt' },
  PaymentRefunded: { at: 'refundedAt' },
};

/**
 * One of our events as legacy's feed entry: the order at revision = our version. Every event is fed, so
 * legacy's revision of an order always equals our version of it.
 */
export function toLegacyFeedEntry(message: OrderEventMessage, event: OrderEvent): LegacyFeedEntry {
  const { status, at } = AS_LEGACY[event.type];
  const entry = {
    rev: message.version,
    ...(status ? { status_code: status } : {}),
    updated_at: (event.data as unknown as Record<string, string>)[at]!,
  };
  if (event.type !== 'OrderPlaced') return entry;
  const { customerId, items, totalCents, placedAt } = event.data;
  return {
    ...entry,
    order: {
      customer_no: customerId,
      lines: items.map((item) => ({ sku: item.sku, qty: item.quantity, unit_price: dollarsOf(item.unitPriceCents) })),
      total_amount: dollarsOf(totalCents),
      placed_at: placedAt,
    },
  };
}

/** Legacy refused a feed entry (it will be retried, and parked in the DLQ if it never goes through). */
export class LegacyRefusedError extends EightfoldError<'LEGACY_REFUSED', { orderId: string; version: number; status: number }> {
  override name = 'LegacyRefusedError';
  readonly code = 'LEGACY_REFUSED';
}

/**
 * Feeds one event to legacy (`PUT /integration/orders/{orderId}`, through the ambassador and its breaker).
 * Legacy applies each revision once and only over an older one, so a redelivery, or a retry after a lost
 * answer, is reported as a duplicate; an outage, an open breaker or a refusal throws, and the message waits.
 */
export async function feedToLegacy(
  send: (request: OutboundRequest) => Promise<OutboundResponse>,
  message: OrderEventMessage,
  event: OrderEvent,
): Promise<'applied' | 'duplicate'> {
  const response = await send({
    method: 'PUT',
    path: `/integration/orders/${encodeURIComponent(message.orderId)}`,
    body: toLegacyFeedEntry(message, event),
    correlationId: messageCorrelationId(message),
  });
  if (response.status === 200) return (response.body as { applied?: unknown }).applied === true ? 'applied' : 'duplicate';
  throw new LegacyRefusedError(
    `legacy refused ${message.type} v${message.version} of order ${message.orderId}: ${response.status} ${JSON.stringify(response.body)}`,
    { orderId: message.orderId, version: message.version, status: response.status },
  );
}
