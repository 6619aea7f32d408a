import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { shardedViewProjection } from '../use-cases/order-view.ts';
import { projectStream } from '../patterns/cqrs/index.ts';
import type { EventEnvelope } from '../patterns/event-sourcing/index.ts';
import { documentClient } from '../platform/clients.ts';
import { correlationIdsOf } from '../platform/correlation.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from '../composition/event-store.ts';
import { readSettings, text } from '../composition/settings.ts';
import { logger } from '../platform/logger.ts';
import { currentShardMap, SHARD_MAP_SETTINGS } from '../composition/shards.ts';
import { observed } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({ ...EVENT_STORE_SETTINGS, ...SHARD_MAP_SETTINGS, viewTable: [ENV.readModel.ordersView, text] });
const { viewTable } = settings;
const store = orderEventStore(settings);
const shardMap = currentShardMap(settings, 'writes');

/**
 * EventsTable stream → OrdersView. Records are grouped by stream so each order costs one conditional write
 * per batch (Powertools' batch processor works record by record; ordering per order needs the group). A
 * failing order reports its first record, so Lambda retries from there; the orders after it in the batch
 * are retried too and skip what they already applied.
 */
async function project(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const byStream = new Map<string, { first: string; events: EventEnvelope[] }>();
  for (const record of event.Records as DynamoDBRecord[]) {
    const image = record.dynamodb?.NewImage;
    if (!image) continue;
    const envelope = store.decodeItem(unmarshall(image as Record<string, AttributeValue>));
    if (!envelope) continue; // a snapshot
    const group = byStream.get(envelope.streamId) ?? { first: record.dynamodb!.SequenceNumber!, events: [] };
    group.events.push(envelope);
    byStream.set(envelope.streamId, group);
  }
  // Rows carry their customer's shard, for shard-by-shard scans of the view.
  const options = { client: documentClient, viewTable, store, projection: shardedViewProjection(await shardMap()) };
  const results = await Promise.allSettled([...byStream].map(([streamId, { events }]) => projectStream(options, streamId, events)));
  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  [...byStream.values()].forEach(({ first, events }, index) => {
    const result = results[index]!;
    if (result.status === 'rejected') {
      logger.error('projection failed', { error: result.reason as Error, sequenceNumber: first, correlationIds: correlationIdsOf(events) });
      batchItemFailures.push({ itemIdentifier: first });
    } else if (result.value.healed > 0) {
      logger.warn('gap healed from the event store', { ...result.value, correlationIds: correlationIdsOf(events) });
    }
  });
  return { batchItemFailures };
}

export const handler = observed(project);
