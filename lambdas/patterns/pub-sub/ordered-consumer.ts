import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { cancellationCodes } from '../../kernel/dynamodb-errors.ts';
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

/** The checkpoint after `event`, written only if the stream's checkpoint is still `previous` (or still absent). */
function checkpointPutOf<Context>(
  options: OrderedConsumerOptions,
  event: IncomingEvent,
  previous: Checkpoint<Context> | undefined,
  context: Context | undefined,
) {
  const next: Checkpoint<Context> = {
    subscriber: options.subscriber,
    streamId: event.streamId,
    version: event.version,
    eventId: event.eventId,
    context,
    updatedAt: new Date().toISOString(),
  };
  return {
    TableName: options.checkpointTable,
    Item: next,
    ConditionExpression: previous ? '#version = :last' : 'attribute_not_exists(#version)',
    ExpressionAttributeNames: { '#version': 'version' },
    ...(previous ? { ExpressionAttributeValues: { ':last': previous.version } } : {}),
  };
}

/** An effect's item, written only if absent. */
function effectPutOf(put: NonNullable<Effect<unknown>['put']>) {
  return {
    TableName: put.tableName,
    Item: put.item,
    ConditionExpression: 'attribute_not_exists(#key)',
    ExpressionAttributeNames: { '#key': put.keyAttribute },
  };
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
  const checkpointPut = checkpointPutOf(options, event, checkpoint, effect.context ?? checkpoint?.context);
  try {
    if (!effect.put) await client.send(new PutCommand(checkpointPut));
    else await client.send(new TransactWriteCommand({ TransactItems: [{ Put: checkpointPut }, { Put: effectPutOf(effect.put) }] }));
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

/** One event of a batch, and what applying it writes (`applyInOrder`'s `decide`). */
export interface BatchEvent<Context> {
  readonly event: IncomingEvent;
  readonly decide: (context: Context | undefined) => Effect<Context>;
}

/** Items one TransactWriteItems takes, and keys one BatchGetItem. */
const MAX_TRANSACTION_ITEMS = 100;
const MAX_BATCH_GET_KEYS = 100;

type Checkpoints<Context> = Map<string, Checkpoint<Context> | undefined>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The checkpoints of `streamIds` (undefined: none yet); a stream left out of the map could not be read. */
async function readCheckpoints<Context>(options: OrderedConsumerOptions, streamIds: string[]): Promise<Checkpoints<Context>> {
  const read: Checkpoints<Context> = new Map();
  for (let i = 0; i < streamIds.length; i += MAX_BATCH_GET_KEYS) {
    const ids = streamIds.slice(i, i + MAX_BATCH_GET_KEYS);
    const { Responses = {}, UnprocessedKeys = {} } = await options.client.send(
      new BatchGetCommand({
        RequestItems: {
          [options.checkpointTable]: { Keys: ids.map((streamId) => ({ subscriber: options.subscriber, streamId })), ConsistentRead: true },
        },
      }),
    );
    const unread = new Set((UnprocessedKeys[options.checkpointTable]?.Keys ?? []).map((key) => String(key.streamId)));
    const found = new Map((Responses[options.checkpointTable] ?? []).map((item) => [String(item.streamId), item as Checkpoint<Context>]));
    for (const id of ids) if (!unread.has(id)) read.set(id, found.get(id));
  }
  return read;
}

/**
 * Applies a batch's events as `applyInOrder` would, in as few requests as the usual case allows: the
 * checkpoints of the streams that may have one in one BatchGetItem, then every stream's effects with its new
 * checkpoint in one transaction of up to 100 items, instead of a transaction per event. A transaction is all
 * or nothing, so a stream is applied whole or not at all. Whatever this cannot settle alone is left undone
 * (undefined in the results), for `applyInOrder` to judge event by event: a stream with a redelivered, early
 * or out-of-order event, a decision that throws, a transaction a concurrent delivery cancelled. A request
 * that fails otherwise (refused, throttled) throws, so that the caller can say so and go one by one.
 */
export async function applyBatchInOrder<Context>(
  options: OrderedConsumerOptions,
  batch: readonly BatchEvent<Context>[],
): Promise<(ConsumeResult | undefined)[]> {
  const results: (ConsumeResult | undefined)[] = batch.map(() => undefined);
  const streams = Map.groupBy(batch.keys(), (index) => batch[index]!.event.streamId);
  const step = (from: number, to: number) => (options.ordering === 'contiguous' ? to === from + 1 : to > from);
  const rising = [...streams].filter(([, indexes]) =>
    indexes.every((index, k) => k === 0 || step(batch[indexes[k - 1]!]!.event.version, batch[index]!.event.version)),
  );
  // Nothing comes before a stream's first event: those streams' checkpoints need no read (their write is conditional on none).
  const firstOf = (indexes: number[]) => batch[indexes[0]!]!.event;
  const checkpoints = await readCheckpoints<Context>(
    options,
    rising.filter(([, indexes]) => firstOf(indexes).version !== 1).map(([streamId]) => streamId),
  );

  const planned: { indexes: number[]; items: TransactItem[] }[] = [];
  for (const [streamId, indexes] of rising) {
    if (firstOf(indexes).version !== 1 && !checkpoints.has(streamId)) continue;
    const checkpoint = checkpoints.get(streamId);
    const last = checkpoint?.version ?? 0;
    if (!step(last, firstOf(indexes).version)) continue;
    try {
      let context = checkpoint?.context;
      const effects: TransactItem[] = [];
      for (const index of indexes) {
        const effect = batch[index]!.decide(context);
        context = effect.context ?? context;
        if (effect.put) effects.push({ Put: effectPutOf(effect.put) });
      }
      const items = [{ Put: checkpointPutOf(options, batch[indexes.at(-1)!]!.event, checkpoint, context) }, ...effects];
      if (items.length <= MAX_TRANSACTION_ITEMS) planned.push({ indexes, items });
    } catch {
      // A decision that throws is reported by applyInOrder, with its event.
    }
  }
  // Streams packed into transactions of at most MAX_TRANSACTION_ITEMS items, in the batch's order.
  const transactions: (typeof planned)[] = [];
  let items = MAX_TRANSACTION_ITEMS;
  for (const stream of planned) {
    if (items + stream.items.length > MAX_TRANSACTION_ITEMS) {
      transactions.push([]);
      items = 0;
    }
    transactions.at(-1)!.push(stream);
    items += stream.items.length;
  }
  for (const transaction of transactions) {
    try {
      await options.client.send(new TransactWriteCommand({ TransactItems: transaction.flatMap((stream) => stream.items) }));
      for (const stream of transaction) for (const index of stream.indexes) results[index] = 'applied';
    } catch (error) {
      // Cancelled: nothing was written, and applyInOrder judges each event. Anything else (refused, throttled,
      // unanswered) is the caller's to hear of: applyInOrder then finds what did apply a duplicate.
      if (!cancellationCodes(error)) throw error;
    }
  }
  return results;
}
