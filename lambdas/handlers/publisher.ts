import { SNSClient } from '@aws-sdk/client-sns';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { toOrderEventMessage } from '../domain/orders/index.ts';
import { publishInOrder, type OutgoingMessage } from '../patterns/pub-sub/index.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from '../composition/event-store.ts';
import { readSettings, text } from '../composition/settings.ts';
import { logger } from '../platform/logger.ts';
import { observed, traced } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

const sns = traced(new SNSClient({}));
// The composition root: this function's settings, read once (the event store's table only decodes items).
const settings = readSettings({ ...EVENT_STORE_SETTINGS, topicArn: [ENV.pubSub.topic, text] });
const store = orderEventStore(settings);

/**
 * EventsTable stream → the order-events FIFO topic: the stream is the outbox, so an event is published if
 * and only if it was stored. The order id is the message group (order kept per order), the event id
 * deduplicates, and the type and schema version ride as attributes for filter policies. Whatever was not
 * published is reported from its first record, and Lambda retries from there until SNS takes it.
 */
async function publish(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const sequenceNumbers: string[] = [];
  const correlationIds: string[] = [];
  const messages: OutgoingMessage[] = [];
  for (const record of event.Records) {
    const envelope = store.decodeItem(unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>));
    if (!envelope) continue; // a snapshot
    const message = toOrderEventMessage(envelope);
    sequenceNumbers.push(record.dynamodb!.SequenceNumber!);
    correlationIds.push(envelope.metadata.correlationId);
    messages.push({
      groupId: message.orderId,
      deduplicationId: message.eventId,
      body: JSON.stringify(message),
      attributes: { eventType: message.type, schemaVersion: message.schemaVersion },
    });
  }
  const outcome = await publishInOrder(sns, settings.topicArn, messages);
  if (outcome.firstUnpublished === undefined) {
    logger.debug('published', { events: outcome.published, requests: outcome.requests });
    return { batchItemFailures: [] };
  }
  logger.warn('publishing stopped; the stream retries from the first unpublished event', {
    published: outcome.published,
    unpublished: messages.length - outcome.published,
    correlationId: correlationIds[outcome.firstUnpublished],
    error: outcome.error as Error,
  });
  return { batchItemFailures: [{ itemIdentifier: sequenceNumbers[outcome.firstUnpublished]! }] };
}

export const handler = observed(publish);
