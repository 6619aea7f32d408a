import * as z from 'zod';
import type { EventEnvelope } from '../../patterns/event-sourcing/index.ts';
import { CURRENT_SCHEMA_VERSION, type OrderEvent } from './events.ts';

/**
 * An order event as it leaves the service: on the topic, and from `GET /orders/{orderId}/events`. Data is
 * always at the current schema version (upcast on read before it is published).
 */
export interface OrderEventMessage {
  readonly eventId: string;
  readonly orderId: string;
  readonly version: number;
  readonly type: OrderEvent['type'];
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: object;
  readonly recordedAt: string;
}

export function toOrderEventMessage(event: EventEnvelope): OrderEventMessage {
  const { eventId, streamId, version, type, schemaVersion, data, metadata, recordedAt } = event;
  return { eventId, orderId: streamId, version, type: type as OrderEvent['type'], schemaVersion, data, metadata, recordedAt };
}

const ORDER_EVENT_TYPES = Object.keys(CURRENT_SCHEMA_VERSION) as [OrderEvent['type'], ...OrderEvent['type'][]];

/** What a subscriber accepts: a message of another shape or an unknown type is poison, not a retry. */
export const orderEventMessageSchema = z.object({
  eventId: z.string().min(1),
  orderId: z.string().min(1),
  version: z.number().int().min(1),
  type: z.enum(ORDER_EVENT_TYPES),
  schemaVersion: z.number().int().min(1),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.string(),
});

/** The id of the request that caused a message's event, as its command stamped it. */
export function messageCorrelationId(message: OrderEventMessage): string | undefined {
  const correlationId = (message.metadata as { correlationId?: unknown }).correlationId;
  return typeof correlationId === 'string' ? correlationId : undefined;
}

/** The domain event a message carries. */
export const domainEventOf = (message: OrderEventMessage): OrderEvent => ({ type: message.type, data: message.data }) as OrderEvent;
