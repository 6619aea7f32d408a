import { GetCommand, paginateScan, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, isMalformedRequest } from '../../kernel/dynamodb-errors.ts';
import { addCounts, emptyRecord, noCounts } from './state-machine.ts';
import type { BreakerRecord, BreakerStateName, Counts, Flush, Transition } from './types.ts';

/**
 * Where breakers keep their shared state: one item per breaker (shard 0), where every transition is a
 * compare-and-set on `version`, and, once the fleet outgrows one item, window shards 1…copies−1, each a
 * copy of the state beside its own part of the window. Counts are atomic additions.
 */
export interface BreakerStore {
  /** The breaker as item `shard` holds it (0: the state's own item). */
  read(name: string, shard?: number): Promise<BreakerRecord>;
  /** Every breaker that has a record (one that never saw a call has none: it is CLOSED), its window summed over its shards. */
  list(): Promise<BreakerRecord[]>;
  /** Adds a flush to item `shard` (its counts, the flush itself and its writers), returns the item after the write. */
  record(name: string, shard: number, flush: Flush): Promise<BreakerRecord>;
  /**
   * Moves `from` (at its version) to the next state on shard 0, then copies the new state to every window
   * shard; undefined when another instance moved it first. A copy that fails to be written stays behind
   * until an instance that knows better repairs it (`repair`).
   */
  transition(from: BreakerRecord, to: Transition): Promise<BreakerRecord | undefined>;
  /** Writes `state`'s state (not its window) to window shard `shard`, unless that copy is as new already. */
  repair(state: BreakerRecord, shard: number): Promise<void>;
  /** Claims one of `limit` probes of the HALF_OPEN period at `version`; false when none is left. */
  claimProbe(name: string, version: number, limit: number): Promise<boolean>;
  /** Counts a successful probe of the HALF_OPEN period at `version`; undefined if that period is over. */
  probeSucceeded(name: string, version: number): Promise<BreakerRecord | undefined>;
}

/** The fields that make up the state, as copied to the window shards (the probe counters live on shard 0 alone). */
const STATE_FIELDS = ['state', 'version', 'openings', 'openedAt', 'nextProbeAt', 'halfOpenAt', 'shards', 'copies', 'updatedAt'] as const;

/** A window shard's record with another record's state: a copy read behind what its reader already knows. */
export const withStateOf = (window: BreakerRecord, state: BreakerRecord): BreakerRecord => ({
  ...window,
  ...Object.fromEntries(STATE_FIELDS.map((field) => [field, state[field]])),
});

/** The key of a breaker's item: its name for shard 0, `<name>#<shard>` for a window shard. */
export const itemName = (name: string, shard: number): string => (shard === 0 ? name : `${name}#${shard}`);

const WINDOW_KEYS = { calls: 'c', failures: 'f', slow: 's' } as const;

/**
 * DynamoDB item → record: the window lives in the map `w`, as `c<bucket>`, `f<bucket>`, `s<bucket>` (the
 * counts), `n<bucket>` (flushes) and `k<bucket>` (writers).
 */
export function fromItem(name: string, item: Record<string, unknown> | undefined, shard = 0): BreakerRecord {
  if (!item) return emptyRecord(name, shard);
  const buckets: Record<number, Counts> = {};
  const flushes: Record<number, number> = {};
  const writers: Record<number, number> = {};
  for (const [key, value] of Object.entries((item.w ?? {}) as Record<string, unknown>)) {
    const match = /^([cfsnk])(\d+)$/.exec(key);
    if (!match) continue;
    const bucket = Number(match[2]);
    if (match[1] === 'n' || match[1] === 'k') {
      (match[1] === 'n' ? flushes : writers)[bucket] = Number(value);
      continue;
    }
    const counts = (buckets[bucket] ??= { calls: 0, failures: 0, slow: 0 });
    counts[match[1] === 'c' ? 'calls' : match[1] === 'f' ? 'failures' : 'slow'] = Number(value);
  }
  return {
    name,
    shard,
    shards: Number(item.shards ?? 1),
    copies: Number(item.copies ?? 1),
    state: (item.state as BreakerStateName | undefined) ?? 'CLOSED',
    version: Number(item.version ?? 0),
    openedAt: item.openedAt as number | undefined,
    nextProbeAt: item.nextProbeAt as number | undefined,
    halfOpenAt: item.halfOpenAt as number | undefined,
    openings: Number(item.openings ?? 0),
    probesClaimed: Number(item.probesClaimed ?? 0),
    probesSucceeded: Number(item.probesSucceeded ?? 0),
    buckets,
    flushes,
    writers,
    updatedAt: item.updatedAt as number | undefined,
  };
}

/** Sums the windows of a breaker's items into its shard 0's record: the whole window, as operators see it. */
export function wholeWindow(records: readonly BreakerRecord[]): BreakerRecord {
  const own = records.find((r) => r.shard === 0) ?? emptyRecord(records[0]!.name);
  const buckets: Record<number, Counts> = {};
  for (const record of records)
    for (const [bucket, counts] of Object.entries(record.buckets))
      buckets[Number(bucket)] = addCounts(buckets[Number(bucket)] ?? noCounts(), counts);
  return { ...own, buckets };
}

/** Groups items by breaker and sums each one's window. */
export function byBreaker(records: Iterable<BreakerRecord>): BreakerRecord[] {
  const groups = new Map<string, BreakerRecord[]>();
  for (const record of records) groups.set(record.name, [...(groups.get(record.name) ?? []), record]);
  return [...groups.values()].map(wholeWindow);
}

/** The shards a transition's new state is copied to. */
export const copyShards = (record: BreakerRecord): number[] => Array.from({ length: Math.max(0, record.copies - 1) }, (_, i) => i + 1);

/**
 * One item per breaker keyed by `name`, and its window shards keyed `<name>#<shard>` (with `breaker` and
 * `shard` attributes), in a table shared by every instance of every function.
 */
export class DynamoDbBreakerStore implements BreakerStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async read(name: string, shard = 0): Promise<BreakerRecord> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { name: itemName(name, shard) }, ConsistentRead: true }),
    );
    return fromItem(name, Item, shard);
  }

  async list(): Promise<BreakerRecord[]> {
    const records: BreakerRecord[] = [];
    for await (const page of paginateScan({ client: this.client }, { TableName: this.tableName, ConsistentRead: true }))
      for (const item of page.Items ?? []) records.push(fromItem(String(item.breaker ?? item.name), item, Number(item.shard ?? 0)));
    return byBreaker(records);
  }

  async record(name: string, shard: number, flush: Flush): Promise<BreakerRecord> {
    const names: Record<string, string> = { '#w': 'w' };
    const values: Record<string, unknown> = { ':zero': 0, ':one': 1, ':writers': flush.writers };
    const sets = (Object.keys(WINDOW_KEYS) as (keyof Counts)[]).map((kind, i) => {
      names[`#a${i}`] = `${WINDOW_KEYS[kind]}${flush.bucket}`;
      values[`:a${i}`] = flush.counts[kind];
      return `#w.#a${i} = if_not_exists(#w.#a${i}, :zero) + :a${i}`;
    });
    names['#n'] = `n${flush.arrivedIn}`;
    names['#k'] = `k${flush.arrivedIn}`;
    sets.push('#w.#n = if_not_exists(#w.#n, :zero) + :one', '#w.#k = if_not_exists(#w.#k, :zero) + :writers');
    const removes = flush.drop
      .filter((b) => b !== flush.bucket && b !== flush.arrivedIn)
      .flatMap((b) => ['c', 'f', 's', 'n', 'k'].map((key) => `${key}${b}`))
      .map((attribute, i) => {
        names[`#r${i}`] = attribute;
        return `#w.#r${i}`;
      });
    const add = async () => {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name: itemName(name, shard) },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(#w)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(name, Attributes, shard);
    };
    try {
      return await add();
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    // The item's first flush (or its first since the window moved into `w`): make the window, then add.
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name: itemName(name, shard) },
          UpdateExpression: shard === 0 ? 'SET #w = :empty' : 'SET #w = :empty, #breaker = :breaker, #shard = :shard',
          ConditionExpression: 'attribute_not_exists(#w)',
          ExpressionAttributeNames: { '#w': 'w', ...(shard === 0 ? {} : { '#breaker': 'breaker', '#shard': 'shard' }) },
          ExpressionAttributeValues: { ':empty': {}, ...(shard === 0 ? {} : { ':breaker': name, ':shard': shard }) },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionalCheckFailed(error)) throw error;
      });
    return add();
  }

  async transition(from: BreakerRecord, to: Transition): Promise<BreakerRecord | undefined> {
    const names: Record<string, string> = { '#state': 'state', '#version': 'version' };
    const values: Record<string, unknown> = {
      ':state': to.state,
      ':next': from.version + 1,
      ':openings': to.openings,
      ':zero': 0,
      ':at': to.at,
    };
    const sets = [
      '#state = :state',
      '#version = :next',
      'openings = :openings',
      'probesClaimed = :zero',
      'probesSucceeded = :zero',
      'updatedAt = :at',
    ];
    const removes: string[] = [];
    for (const field of ['openedAt', 'nextProbeAt', 'halfOpenAt'] as const) {
      if (to[field] === undefined) removes.push(field);
      else {
        sets.push(`${field} = :${field}`);
        values[`:${field}`] = to[field];
      }
    }
    if (to.resetWindow) {
      sets.push('#w = :empty');
      names['#w'] = 'w';
      values[':empty'] = {};
    }
    if (to.shards !== undefined) {
      values[':shards'] = to.shards;
      sets.push('#shards = :shards', '#copies = :copies');
      names['#shards'] = 'shards';
      names['#copies'] = 'copies';
      values[':copies'] = Math.max(to.shards, from.copies);
    }
    if (from.version > 0) values[':from'] = from.version;
    let moved: BreakerRecord;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name: from.name },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: from.version > 0 ? '#version = :from' : 'attribute_not_exists(#version)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      moved = fromItem(from.name, Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
    // Best effort against a busy item (a copy left behind is repaired by the first instance that reads it
    // knowing better); a request DynamoDB refuses as malformed is a bug, and says so.
    const copies = await Promise.allSettled(copyShards(moved).map((shard) => this.copy(moved, shard, to.resetWindow)));
    const refused = copies.find((c): c is PromiseRejectedResult => c.status === 'rejected' && isMalformedRequest(c.reason));
    if (refused) throw refused.reason;
    return moved;
  }

  async repair(state: BreakerRecord, shard: number): Promise<void> {
    await this.copy(state, shard, false);
  }

  private async copy(state: BreakerRecord, shard: number, resetWindow: boolean): Promise<void> {
    // `shard` is one of DynamoDB's reserved words: every attribute goes by a placeholder.
    const names: Record<string, string> = { '#version': 'version', '#w': 'w', '#breaker': 'breaker', '#shard': 'shard' };
    const values: Record<string, unknown> = { ':v': state.version, ':breaker': state.name, ':shard': shard, ':empty': {} };
    const sets = ['#breaker = :breaker', '#shard = :shard', resetWindow ? '#w = :empty' : '#w = if_not_exists(#w, :empty)'];
    const removes: string[] = [];
    for (const field of STATE_FIELDS) {
      const value = state[field];
      names[`#${field}`] = field;
      if (value === undefined) removes.push(`#${field}`);
      else {
        sets.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name: itemName(state.name, shard) },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_not_exists(#version) OR #version < :v',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async claimProbe(name: string, version: number, limit: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name },
          UpdateExpression: 'ADD probesClaimed :one',
          ConditionExpression: '#state = :half AND #version = :version AND probesClaimed < :limit',
          ExpressionAttributeNames: { '#state': 'state', '#version': 'version' },
          ExpressionAttributeValues: { ':one': 1, ':half': 'HALF_OPEN', ':version': version, ':limit': limit },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async probeSucceeded(name: string, version: number): Promise<BreakerRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name },
          UpdateExpression: 'ADD probesSucceeded :one',
          ConditionExpression: '#state = :half AND #version = :version',
          ExpressionAttributeNames: { '#state': 'state', '#version': 'version' },
          ExpressionAttributeValues: { ':one': 1, ':half': 'HALF_OPEN', ':version': version },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(name, Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }
}
