import { BatchGetCommand, TransactGetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { cancellationCodes, isTransactionConflict } from '../../kernel/dynamodb-errors.ts';
import { hash64 } from './hashing.ts';
import { counterItem } from './layout.ts';
import { readShardCounts, type ShardMap } from './shard-map.ts';

/** One counter's change: `key` names the counter (a SKU), `amount` may be negative. */
export interface CounterDelta {
  readonly key: string;
  readonly amount: number;
}

export interface CounterTotal {
  readonly key: string;
  readonly total: number;
  /** The write shards read (S). */
  readonly writeShards: number;
}

export interface ShardedCountersOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long an applied event's marker is kept: longer than any redelivery (a DLQ keeps 14 days). @default 15 */
  readonly markerDays?: number;
  /** Attempts of a transaction that met another on the same item. @default 8 */
  readonly maxAttempts?: number;
}

/** DynamoDB allows 100 items per transaction: one is the chunk's applied-marker. */
const COUNTERS_PER_TRANSACTION = 99;

/** Events' markers, and their increments merged per counter item, bound for one transaction. */
interface PendingTransaction {
  readonly indexes: number[];
  readonly markers: ReturnType<ShardedCounters['marker']>[];
  readonly increments: Map<string, { key: string; writeShard: number; amount: number; count: number }>;
}

/** An event's deltas summed per counter, those that change nothing left out. */
function netChanges(deltas: readonly CounterDelta[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const { key, amount } of deltas) totals.set(key, (totals.get(key) ?? 0) + amount);
  return [...totals].filter(([, amount]) => amount !== 0);
}

/** The chunk's marker (the transaction's first item) exists: the event was applied before. */
const isAlreadyApplied = (error: unknown): boolean => cancellationCodes(error)?.[0] === 'ConditionalCheckFailed';

/**
 * Write-sharded counters: a hot key (one partition takes at most 1,000 writes a second) is split over S
 * items, each increment landing on one of them (chosen from the event id, so a redelivery picks the same),
 * and a read gathers the S items in one batch. Each event applies exactly once: its increments and a
 * marker named after the event are one transaction, conditional on the marker being absent. Additions
 * commute, so events may apply in any order.
 */
export class ShardedCounters {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly markerDays: number;
  private readonly policy;

  constructor(options: ShardedCountersOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.markerDays = options.markerDays ?? 15;
    // Transactions on the same hot item cancel each other (TransactionConflict), as does a TransactGet
    // meeting a write: back off and try again.
    this.policy = retry(handleWhen(isTransactionConflict), {
      maxAttempts: (options.maxAttempts ?? 8) - 1,
      backoff: new ExponentialBackoff({ initialDelay: 10, maxDelay: 500 }),
    });
  }

  /** Applies an event's deltas once; 'duplicate' if it had been applied already. */
  async add(map: ShardMap, eventId: string, deltas: readonly CounterDelta[], now = new Date()): Promise<'applied' | 'duplicate'> {
    const changes = netChanges(deltas);
    let applied = false;
    for (let chunk = 0; chunk * COUNTERS_PER_TRANSACTION < changes.length; chunk++) {
      const part = changes.slice(chunk * COUNTERS_PER_TRANSACTION, (chunk + 1) * COUNTERS_PER_TRANSACTION);
      try {
        await this.policy.execute(() =>
          this.client.send(
            new TransactWriteCommand({
              TransactItems: [
                this.marker(eventId, chunk, now),
                ...part.map(([key, amount]) => this.increment(map, eventId, key, amount, now)),
              ],
            }),
          ),
        );
        applied = true;
      } catch (error) {
        if (!isAlreadyApplied(error)) throw error;
      }
    }
    return applied ? 'applied' : 'duplicate';
  }

  /**
   * Applies several events' deltas in as few transactions as they fit: each event's marker, and one
   * increment per counter item however many of the events land on it (additions commute), at most 100
   * items a transaction. An event this cannot settle alone is left undefined, for `add` to apply by itself:
   * one whose transaction was cancelled (an event applied before, a conflict on a hot item), one of more
   * counters than a transaction holds, one that changes nothing. A request that fails otherwise throws.
   */
  async addMany(
    map: ShardMap,
    events: readonly { readonly eventId: string; readonly deltas: readonly CounterDelta[] }[],
    now = new Date(),
  ): Promise<('applied' | undefined)[]> {
    const results: ('applied' | undefined)[] = events.map(() => undefined);
    const transactions: PendingTransaction[] = [];
    events.forEach(({ eventId, deltas }, index) => {
      const changes = netChanges(deltas);
      if (changes.length === 0 || changes.length > COUNTERS_PER_TRANSACTION) return;
      const increments = changes.map(([key, amount]) => {
        const writeShard = this.writeShardOf(map, eventId, key);
        return { pk: counterItem(map, key, writeShard).pk, key, amount, writeShard };
      });
      let current = transactions.at(-1);
      const itemsWith = (t: PendingTransaction) =>
        t.markers.length + 1 + new Set([...t.increments.keys(), ...increments.map((i) => i.pk)]).size;
      if (!current || itemsWith(current) > COUNTERS_PER_TRANSACTION + 1)
        transactions.push((current = { indexes: [], markers: [], increments: new Map() }));
      current.indexes.push(index);
      current.markers.push(this.marker(eventId, 0, now));
      for (const { pk, key, amount, writeShard } of increments) {
        const merged = current.increments.get(pk) ?? { key, writeShard, amount: 0, count: 0 };
        current.increments.set(pk, { ...merged, amount: merged.amount + amount, count: merged.count + 1 });
      }
    });
    for (const { indexes, markers, increments } of transactions) {
      const adds = [...increments.values()].map(({ key, writeShard, amount, count }) =>
        this.incrementItem(map, writeShard, key, amount, count, now),
      );
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: [...markers, ...adds] }));
        for (const index of indexes) results[index] = 'applied';
      } catch (error) {
        // Cancelled: nothing was written, and each event goes through `add`, which tells a duplicate and retries
        // a conflict. Anything else (refused, throttled) is the caller's to hear of.
        if (!cancellationCodes(error)) throw error;
      }
    }
    return results;
  }

  /**
   * The counter's total: its S write shards in one batch read (eventually consistent: half the cost). While
   * resharding, its items may sit at either shard count's locations, and the reshard moves them between
   * the two: then all locations are read in one transaction, a snapshot in which each unit is in exactly
   * one place.
   */
  async total(map: ShardMap, key: string): Promise<CounterTotal> {
    const locations = new Set(
      readShardCounts(map).flatMap((shards) =>
        Array.from({ length: map.writeShards }, (_, w) => counterItem({ shards, writeShards: map.writeShards }, key, w).pk),
      ),
    );
    const keys = [...locations].map((pk) => ({ pk }));
    const items = locations.size > map.writeShards ? await this.snapshot(keys) : await this.batchRead(keys);
    return { key, total: items.reduce((sum, item) => sum + Number(item.units ?? 0), 0), writeShards: map.writeShards };
  }

  private async batchRead(pending: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ProjectionExpression: 'units' } } }),
      );
      items.push(...(Responses?.[this.tableName] ?? []));
      pending = (UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return items;
  }

  private async snapshot(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const { Responses = [] } = await this.policy.execute(() =>
      this.client.send(
        new TransactGetCommand({
          TransactItems: keys.map((Key) => ({ Get: { TableName: this.tableName, Key, ProjectionExpression: 'units' } })),
        }),
      ),
    );
    return Responses.flatMap((response) => (response.Item ? [response.Item] : []));
  }

  private marker(eventId: string, chunk: number, now: Date) {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          pk: `applied#${eventId}#${chunk}`,
          appliedAt: now.toISOString(),
          expiresAtEpochSeconds: Math.floor(now.getTime() / 1000) + this.markerDays * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** The write shard an event's increment of `key` lands on: from the event id, so a redelivery picks the same. */
  private writeShardOf(map: ShardMap, eventId: string, key: string): number {
    return Number(hash64(`${eventId}:${key}`) % BigInt(map.writeShards));
  }

  private increment(map: ShardMap, eventId: string, key: string, amount: number, now: Date) {
    return this.incrementItem(map, this.writeShardOf(map, eventId, key), key, amount, 1, now);
  }

  /** Adds `amount` units and `count` increments to one counter item. */
  private incrementItem(map: ShardMap, writeShard: number, key: string, amount: number, count: number, now: Date) {
    const { pk, shard } = counterItem(map, key, writeShard);
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk },
        UpdateExpression:
          'ADD units :amount, increments :count SET #key = :key, writeShard = :writeShard, #shard = :shard, updatedAt = :now',
        ExpressionAttributeNames: { '#key': 'key', '#shard': 'shard' },
        ExpressionAttributeValues: {
          ':amount': amount,
          ':count': count,
          ':key': key,
          ':writeShard': writeShard,
          ':shard': shard,
          ':now': now.toISOString(),
        },
      },
    };
  }
}
