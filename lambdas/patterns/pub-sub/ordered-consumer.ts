import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { OutOfOrderError } from './errors.ts';

/**
 * How a subscriber orders one stream's events:
 * - `contiguous`: version N + 1 only after N (a subscription that receives every event);
 * - `monotonic`: any version newer than the last applied (a filtered subscription sees gaps by design).
 */
export type Ordering = 'contiguous' | 'monotonic';

export interface OrderedConsumerOptions {
  readonly client: DynamoDBDocumentClient;
  /** Table keyed (subscriber, streamId): how far each subscriber got in each stream. */
  readonly checkpointTable: string;
  readonly subscriber: string;
  readonly ordering: Ordering;
}

/** What a subscriber writes for one event, atomically with its checkpoint. */
export interface Effect<Context> {
  /** An item written only if absent: `keyAttribute` names its partition key. */
  readonly put?: { readonly tableName: string; readonly item: Record<string, unknown>; readonly keyAttribute: string };
  /** What the subscriber remembers about the stream for later events (e.g. the customer of an order). */
  readonly context?: Context;
}

export interface IncomingEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
}

export type ConsumeResult = 'applied' | 'duplicate';

/** Reads and writes per event before a message is handed back to its queue for a later retry. */
const MAX_ATTEMPTS = 5;

interface Checkpoint<Context> {
  subscriber: string;
  streamId: string;
  version: number;
  eventId: string;
  context?: Context;
  updatedAt: string;
}

/**
 * Applies an event's effect exactly once and in stream order, under at-least-once delivery. The effect and
 * the subscriber's checkpoint for the stream are one transaction, conditional on the checkpoint being where
 * it was read and on the effect's item not existing: a redelivered, older or concurrently delivered copy
 * changes nothing, and an early one is refused with OutOfOrderError.
 */
export async function applyInOrder<Context>(
  options: OrderedConsumerOptions,
  event: IncomingEvent,
  decide: (context: Context | undefined) => Effect<Context>,
  attempt = 1,
): Promise<ConsumeResult> {
  const { client, checkpointTable, subscriber } = options;
  const key = { subscriber, streamId: event.streamId };
  // Nothing comes before a stream's first event: write its checkpoint on the condition that none exists,
  // and read only if one does (a redelivery, judged on the next attempt).
  const first = attempt === 1 && event.version === 1;
  const checkpoint = first
    ? undefined
    : ((await client.send(new GetCommand({ TableName: checkpointTable, Key: key, ConsistentRead: true }))).Item as
        Checkpoint<Context> | undefined);
  const last = checkpoint?.version ?? 0;
  if (event.version <= last) return 'duplicate';
  if (options.ordering === 'contiguous' && event.version !== last + 1) throw new OutOfOrderError(event.streamId, last + 1, event.version);

  const effect = decide(checkpoint?.context);
  const next: Checkpoint<Context> = {
    ...key,
    version: event.version,
    eventId: event.eventId,
    context: effect.context ?? checkpoint?.context,
    updatedAt: new Date().toISOString(),
  };
  const checkpointPut = {
    TableName: checkpointTable,
    Item: next,
    ConditionExpression: checkpoint ? '#version = :last' : 'attribute_not_exists(#version)',
    ExpressionAttributeNames: { '#version': 'version' },
    ...(checkpoint ? { ExpressionAttributeValues: { ':last': last } } : {}),
  };
  try {
    if (!effect.put) {
      await client.send(new PutCommand(checkpointPut));
    } else {
      const { tableName, item, keyAttribute } = effect.put;
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: checkpointPut },
            {
              Put: {
                TableName: tableName,
                Item: item,
                ConditionExpression: 'attribute_not_exists(#key)',
                ExpressionAttributeNames: { '#key': keyAttribute },
              },
            },
          ],
        }),
      );
    }
    return 'applied';
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      const [checkpointReason, effectReason] = error.CancellationReasons ?? [];
      if (checkpointReason?.Code !== 'ConditionalCheckFailed' && effectReason?.Code === 'ConditionalCheckFailed') {
        // The effect exists but the checkpoint is behind it (a checkpoint restored from a backup): catch up.
        await client.send(new PutCommand(checkpointPut));
        return 'duplicate';
      }
    }
    const lostRace =
      error instanceof ConditionalCheckFailedException ||
      (error instanceof TransactionCanceledException &&
        (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed' ||
          (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')));
    if (!lostRace || attempt >= MAX_ATTEMPTS) throw error;
    // Another delivery of this stream got there between our read and write: judge again from where it left.
    return applyInOrder(options, event, decide, attempt + 1);
  }
}
