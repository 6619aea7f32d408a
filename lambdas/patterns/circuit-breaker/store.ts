import { GetCommand, paginateScan, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../kernel/dynamodb-errors.ts';
import { emptyRecord } from './state-machine.ts';
import type { BreakerRecord, BreakerStateName, Counts, Transition } from './types.ts';

/**
 * Where breakers keep their shared state. Every write that changes the state is a compare-and-set on
 * `version`; counts are atomic additions.
 */
export interface BreakerStore {
  read(name: string): Promise<BreakerRecord>;
  /** Every breaker that has a record (one that never saw a call has none: it is CLOSED). */
  list(): Promise<BreakerRecord[]>;
  /** Adds outcomes to a bucket, drops buckets that left the window, returns the record after the write. */
  record(name: string, bucket: number, delta: Counts, dropBuckets: readonly number[]): Promise<BreakerRecord>;
  /** Moves `from` (at its version) to the next state; undefined when another instance moved it first. */
  transition(from: BreakerRecord, to: Transition): Promise<BreakerRecord | undefined>;
  /** Claims one of `limit` probes of the HALF_OPEN period at `version`; false when none is left. */
  claimProbe(name: string, version: number, limit: number): Promise<boolean>;
  /** Counts a successful probe of the HALF_OPEN period at `version`; undefined if that period is over. */
  probeSucceeded(name: string, version: number): Promise<BreakerRecord | undefined>;
}

const COUNTER_PREFIX = { calls: 'c_', failures: 'f_', slow: 's_' } as const;

/** DynamoDB item → record: counters live in flat attributes `c_<bucket>`, `f_<bucket>`, `s_<bucket>`. */
export function fromItem(name: string, item: Record<string, unknown> | undefined): BreakerRecord {
  if (!item) return emptyRecord(name);
  const buckets: Record<number, Counts> = {};
  for (const [key, value] of Object.entries(item)) {
    const match = /^([cfs])_(\d+)$/.exec(key);
    if (!match) continue;
    const counts = (buckets[Number(match[2])] ??= { calls: 0, failures: 0, slow: 0 });
    counts[match[1] === 'c' ? 'calls' : match[1] === 'f' ? 'failures' : 'slow'] = Number(value);
  }
  return {
    name,
    state: (item.state as BreakerStateName | undefined) ?? 'CLOSED',
    version: Number(item.version ?? 0),
    openedAt: item.openedAt as number | undefined,
    nextProbeAt: item.nextProbeAt as number | undefined,
    halfOpenAt: item.halfOpenAt as number | undefined,
    openings: Number(item.openings ?? 0),
    probesClaimed: Number(item.probesClaimed ?? 0),
    probesSucceeded: Number(item.probesSucceeded ?? 0),
    buckets,
    updatedAt: item.updatedAt as number | undefined,
  };
}

const bucketAttributes = (buckets: Iterable<number>): string[] =>
  [...buckets].flatMap((b) => Object.values(COUNTER_PREFIX).map((prefix) => `${prefix}${b}`));

/** One item per breaker, keyed by `name`, in a table shared by every instance of every function. */
export class DynamoDbBreakerStore implements BreakerStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async read(name: string): Promise<BreakerRecord> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { name }, ConsistentRead: true }));
    return fromItem(name, Item);
  }

  async list(): Promise<BreakerRecord[]> {
    const records: BreakerRecord[] = [];
    for await (const page of paginateScan({ client: this.client }, { TableName: this.tableName, ConsistentRead: true }))
      for (const item of page.Items ?? []) records.push(fromItem(String(item.name), item));
    return records;
  }

  async record(name: string, bucket: number, delta: Counts, dropBuckets: readonly number[]): Promise<BreakerRecord> {
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    const adds = (Object.keys(COUNTER_PREFIX) as (keyof Counts)[]).map((kind, i) => {
      names[`#a${i}`] = `${COUNTER_PREFIX[kind]}${bucket}`;
      values[`:a${i}`] = delta[kind];
      return `#a${i} :a${i}`;
    });
    const removes = bucketAttributes(dropBuckets.filter((b) => b !== bucket)).map((attribute, i) => {
      names[`#r${i}`] = attribute;
      return `#r${i}`;
    });
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { name },
        UpdateExpression: `ADD ${adds.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(name, Attributes);
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
      bucketAttributes(Object.keys(from.buckets).map(Number)).forEach((attribute, i) => {
        names[`#r${i}`] = attribute;
        removes.push(`#r${i}`);
      });
    }
    if (from.version > 0) values[':from'] = from.version;
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
      return fromItem(from.name, Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
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

/**
 * The same contract in this process's memory: the store of the unit tests, and the fallback an instance
 * uses while the shared table is unreachable.
 */
export class MemoryBreakerStore implements BreakerStore {
  private readonly records = new Map<string, BreakerRecord>();

  constructor(seed: readonly BreakerRecord[] = []) {
    for (const record of seed) this.records.set(record.name, record);
  }

  async read(name: string): Promise<BreakerRecord> {
    return this.current(name);
  }

  async list(): Promise<BreakerRecord[]> {
    return [...this.records.values()];
  }

  async record(name: string, bucket: number, delta: Counts, dropBuckets: readonly number[]): Promise<BreakerRecord> {
    const current = this.current(name);
    const buckets = { ...current.buckets };
    for (const b of dropBuckets) if (b !== bucket) delete buckets[b];
    const at = buckets[bucket] ?? { calls: 0, failures: 0, slow: 0 };
    buckets[bucket] = { calls: at.calls + delta.calls, failures: at.failures + delta.failures, slow: at.slow + delta.slow };
    return this.put({ ...current, buckets });
  }

  async transition(from: BreakerRecord, to: Transition): Promise<BreakerRecord | undefined> {
    const current = this.current(from.name);
    if (current.version !== from.version) return undefined;
    return this.put({
      ...current,
      state: to.state,
      version: from.version + 1,
      openings: to.openings,
      openedAt: to.openedAt,
      nextProbeAt: to.nextProbeAt,
      halfOpenAt: to.halfOpenAt,
      probesClaimed: 0,
      probesSucceeded: 0,
      buckets: to.resetWindow ? {} : current.buckets,
      updatedAt: to.at,
    });
  }

  async claimProbe(name: string, version: number, limit: number): Promise<boolean> {
    const current = this.current(name);
    if (current.state !== 'HALF_OPEN' || current.version !== version || current.probesClaimed >= limit) return false;
    this.put({ ...current, probesClaimed: current.probesClaimed + 1 });
    return true;
  }

  async probeSucceeded(name: string, version: number): Promise<BreakerRecord | undefined> {
    const current = this.current(name);
    if (current.state !== 'HALF_OPEN' || current.version !== version) return undefined;
    return this.put({ ...current, probesSucceeded: current.probesSucceeded + 1 });
  }

  /** Read and write with no await between them: each operation is atomic, as a conditional write is. */
  private current(name: string): BreakerRecord {
    return this.records.get(name) ?? emptyRecord(name);
  }

  private put(record: BreakerRecord): BreakerRecord {
    this.records.set(record.name, record);
    return record;
  }
}
