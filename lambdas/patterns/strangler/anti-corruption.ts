/**
 * Strangler Fig, the anti-corruption layer: while routes move to Eightfold, legacy must stay whole (its
 * report, its remaining routes), so every order Eightfold takes is fed to legacy in legacy's own terms.
 * This module is the one place that knows both models: our events in, legacy's feed entries out.
 */
import type { OrderEvent, OrderEventMessage } from '../../domain/orders/index.ts';
import { dollarsOf, type LegacyFeedEntry, type LegacyStatusCode } from '../../stand-ins/legacy-orders.ts';
import type { OutboundRequest, OutboundResponse } from '../ambassador/index.ts';

/**
 * The status legacy shows after each of our events, or undefined for the payment saga's inner steps, which
 * legacy has no word for: their entries carry the revision alone and leave the status as it was.
 */
const STATUS_AFTER: Record<OrderEvent['type'], LegacyStatusCode | undefined> = {
  OrderPlaced: 'N',
  PaymentDeclined: undefined,
  OrderPaid: 'P',
  OrderCancelled: 'C',
  OrderShipped: 'S',
  PaymentRequested: undefined,
  PaymentAbandoned: undefined,
  RefundRequested: undefined,
  PaymentRefunded: undefined,
};

/** When the event happened, as the order's own history tells it (what our read model shows as `updatedAt`). */
function happenedAt(event: OrderEvent): string {
  switch (event.type) {
    case 'OrderPlaced':
      return event.data.placedAt;
    case 'OrderPaid':
      return event.data.paidAt;
    case 'PaymentDeclined':
      return event.data.declinedAt;
    case 'OrderCancelled':
      return event.data.cancelledAt;
    case 'OrderShipped':
      return event.data.shippedAt;
    case 'PaymentRequested':
      return event.data.requestedAt;
    case 'PaymentAbandoned':
      return event.data.abandonedAt;
    case 'RefundRequested':
      return event.data.requestedAt;
    case 'PaymentRefunded':
      return event.data.refundedAt;
  }
}

/**
 * One of our events as legacy's feed entry: the order at revision = our version. Every event is fed, so
 * legacy's revision of an order always equals our version of it.
 */
export function toLegacyFeedEntry(message: OrderEventMessage, event: OrderEvent): LegacyFeedEntry {
  const status = STATUS_AFTER[event.type];
  const entry = { rev: message.version, ...(status ? { status_code: status } : {}), updated_at: happenedAt(event) };
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
export class LegacyRefusedError extends Error {
  override name = 'LegacyRefusedError';
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
  const correlationId = (message.metadata as { correlationId?: unknown }).correlationId;
  const response = await send({
    method: 'PUT',
    path: `/integration/orders/${encodeURIComponent(message.orderId)}`,
    body: toLegacyFeedEntry(message, event),
    correlationId: typeof correlationId === 'string' ? correlationId : undefined,
  });
  if (response.status === 200) return (response.body as { applied?: unknown }).applied === true ? 'applied' : 'duplicate';
  throw new LegacyRefusedError(`legacy refused ${message.type} v${message.version} of order ${message.orderId}: ${response.status} ${JSON.stringify(response.body)}`);
}
