import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecentEvent } from '../use-cases/operations/events.ts';

/**
 * The audit log's index of recent events, newest first: each entry is filed under the minute it was
 * recorded in (`tailBucket`), so the latest events are a Query of the last few minutes, not a Scan of the
 * log. One minute is one index partition: above about 1,000 events a second it would throttle, and the
 * bucket would need a write-shard suffix (the Sharding pattern's) read back in parallel.
 */
export const RECENT_EVENTS_INDEX = 'RecentEvents';

/** The minute an event was recorded in: `2026-11-26T12:15` for `2026-11-26T12:15:42.123Z`. */
export const tailBucketOf = (recordedAt: string): string => recordedAt.slice(0, 16);

/** Up to `limit` events recorded in the last `lookBackMinutes`, newest first. */
export async function readRecentEvents(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { limit: number; now: number; lookBackMinutes: number },
): Promise<RecentEvent[]> {
  const events: RecentEvent[] = [];
  for (let minute = 0; minute < options.lookBackMinutes && events.length < options.limit; minute++) {
    const bucket = tailBucketOf(new Date(options.now - minute * 60_000).toISOString());
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: RECENT_EVENTS_INDEX,
        KeyConditionExpression: 'tailBucket = :bucket',
        ExpressionAttributeValues: { ':bucket': bucket },
        ScanIndexForward: false,
        Limit: options.limit - events.length,
      }),
    );
    for (const item of Items)
      events.push({
        orderId: String(item.orderId),
        version: Number(item.version),
        type: String(item.type),
        eventId: String(item.eventId),
        recordedAt: String(item.recordedAt),
      });
  }
  return events;
}
