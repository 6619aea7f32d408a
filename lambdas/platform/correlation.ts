import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { v7 as uuidv7 } from 'uuid';
import type { EventEnvelope, EventMetadata } from '../patterns/event-sourcing/index.ts';
import { header } from './http.ts';
import { logger } from './logger.ts';

/** What a caller's correlation id may be: it is stored on every event, published, logged and echoed. */
const CORRELATION_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * An API request's correlation id: the caller's `X-Correlation-Id` when it is 1–64 characters of
 * `[A-Za-z0-9._-]`, else (none, or anything else) API Gateway's fresh request id.
 */
export function correlationIdOf(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>): string | undefined {
  const given = header(event, 'x-correlation-id');
  return given !== undefined && CORRELATION_ID.test(given) ? given : event.requestContext?.requestId;
}

/**
 * Every log line of an API request carries its correlation id (`correlation_id`), which the commands also
 * stamp on the events they append, and the subscribers log again: one id from the request to every effect.
 * The answer returns it in `X-Correlation-Id`.
 */
export function correlateRequests(): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const stamp: middy.MiddlewareFn<APIGatewayProxyEvent, APIGatewayProxyResult> = (request) => {
    const id = correlationIdOf(request.event);
    if (request.response && id) request.response.headers = { ...request.response.headers, 'X-Correlation-Id': id };
  };
  // onError too: an error's answer (set by answerErrors, used after this) carries the id as well.
  return {
    before: ({ event }) => {
      logger.setCorrelationId(correlationIdOf(event));
    },
    after: stamp,
    onError: stamp,
  };
}

/** What an API request stamps on the events it appends: its correlation id, its request id, who acted, its key. */
export function metadataOf(event: APIGatewayProxyEvent, actor: string, idempotencyKey?: string): EventMetadata {
  return {
    correlationId: correlationIdOf(event) ?? uuidv7(),
    causationId: event.requestContext?.requestId,
    actor,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

/** The distinct correlation ids of some events, for a log line about all of them. */
export const correlationIdsOf = (events: readonly EventEnvelope[]): string[] => [
  ...new Set(events.map((event) => event.metadata.correlationId)),
];
