/**
 * Strangler Fig, the anti-corruption layer: while routes move to Eightfold, legacy must stay whole (its
 * report, its remaining routes), so every order Eightfold takes is fed to legacy in legacy's own terms.
 * This module is the one place that knows both models: our events in, legacy's feed entries out.
 */
import { messageCorrelationId, type OrderEvent, type OrderEventMessage } from '../domain/orders/index.ts';
import { EightfoldError } from '../kernel/errors.ts';
import type { OrderStatus } from '../domain/orders/index.ts';
import {
  dollarsOf,
  LEGACY_STATUS,
  legacyFeedAnswerSchema,
  type LegacyFeedAnswer,
  type LegacyFeedEntry,
  type LegacyStatusCode,
} from './legacy-contract.ts';
import type { OutboundRequest, OutboundResponse } from '../patterns/ambassador/index.ts';

/**
 * How legacy sees each of our events: the status it shows afterwards (none for the payment saga's inner
 * steps, which legacy has no word for: their entries carry the version alone and leave the status as it
 * was), and the field that says when it happened (what our read model shows as `updatedAt`). Changes that
 * came from legacy (an import, or an event carrying `legacyRev`) are not fed back: legacy made them.
 */
const AS_LEGACY: {
  readonly [Type in Exclude<OrderEvent['type'], 'OrderImported'>]: {
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
  LegacyChangeRejected: { at: 'rejectedAt' },
};

const LEGACY_CODE_OF = Object.fromEntries(Object.entries(LEGACY_STATUS).map(([code, status]) => [status, code])) as Record<
  OrderStatus,
  LegacyStatusCode
>;
/** Legacy's code for one of our statuses. */
export const legacyCodeOf = (status: OrderStatus): LegacyStatusCode => LEGACY_CODE_OF[status];

/**
 * One of our events as legacy's feed entry: the order at our version, made by this event. Undefined for a
 * change legacy made itself, with one exception: a change of legacy's that Eightfold rejected on a route it
 * owns is answered with a correction, the status the order keeps here.
 */
export function toLegacyFeedEntry(message: OrderEventMessage, event: OrderEvent): LegacyFeedEntry | undefined {
  if (event.type === 'OrderImported') return undefined;
  if (event.type === 'LegacyChangeRejected') {
    if (event.data.owner !== 'eightfold') return undefined;
  } else if ((event.data as { legacyRev?: number }).legacyRev !== undefined) return undefined;
  const { status, at } = AS_LEGACY[event.type];
  const corrected = event.type === 'LegacyChangeRejected' ? legacyCodeOf(event.data.keptStatus) : status;
  const entry = {
    version: message.version,
    event_id: message.eventId,
    ...(corrected ? { status_code: corrected } : {}),
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
 * Legacy holds another version or event of the order than the feed gave it: its copy was written by someone
 * else (through a hole in the feed), or the feed skipped. Never a duplicate: the message goes to the DLQ,
 * whose alarm names it, and `npm run check-consistency` names the order.
 */
export class LegacyFeedConflictError extends EightfoldError<
  'LEGACY_FEED_CONFLICT',
  { orderId: string; version: number; eventId: string; held: LegacyFeedAnswer }
> {
  override name = 'LegacyFeedConflictError';
  readonly code = 'LEGACY_FEED_CONFLICT';
}

/**
 * Feeds one event to legacy (`PUT /integration/orders/{orderId}`, through the ambassador and its breaker).
 * Legacy applies each version once and only over an older one: a redelivery, or a retry after a lost answer,
 * finds that version and event held, and is a duplicate. An outage, an open breaker or a refusal throws,
 * and the message waits; legacy holding something else is a conflict.
 */
export async function feedToLegacy(
  send: (request: OutboundRequest) => Promise<OutboundResponse>,
  message: OrderEventMessage,
  event: OrderEvent,
): Promise<'applied' | 'duplicate'> {
  const entry = toLegacyFeedEntry(message, event);
  // A change legacy made itself: legacy holds it already.
  if (!entry) return 'duplicate';
  const response = await send({
    method: 'PUT',
    path: `/integration/orders/${encodeURIComponent(message.orderId)}`,
    body: entry,
    correlationId: messageCorrelationId(message),
  });
  const context = { orderId: message.orderId, version: message.version };
  if (response.status !== 200)
    throw new LegacyRefusedError(
      `legacy refused ${message.type} v${message.version} of order ${message.orderId}: ${response.status} ${JSON.stringify(response.body)}`,
      { ...context, status: response.status },
    );
  const answer = legacyFeedAnswerSchema.parse(response.body);
  if (answer.applied) return 'applied';
  if (answer.eightfold_version === message.version && answer.eightfold_event_id === message.eventId) return 'duplicate';
  throw new LegacyFeedConflictError(
    `legacy holds ${answer.eightfold_version ? `v${answer.eightfold_version} (event ${answer.eightfold_event_id})` : 'an order of its own'} of order ${message.orderId}, not ${message.type} v${message.version} (event ${message.eventId})`,
    { ...context, eventId: message.eventId, held: answer },
  );
}
