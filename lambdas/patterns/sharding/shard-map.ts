import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../kernel/dynamodb-errors.ts';

/**
 * Where keys live. A reshard from N to M passes through phases, each a new version (versions only move
 * forward): STABLE (N) → DUAL_READ (writes N, reads N and M) → MIGRATING (writes M, reads M and N, the
 * items at N are moved to M) → STABLE (M).
 */
export type ShardMapPhase = 'STABLE' | 'DUAL_READ' | 'MIGRATING';

/** Which of N shards each key lives in, and how many write shards split one hot counter. Versioned: it only moves forward. */
export interface ShardMap {
  readonly name: string;
  readonly version: number;
  readonly phase: ShardMapPhase;
  /** N: writes go to shards 0..N-1, chosen by jump consistent hashing. */
  readonly shards: number;
  /** While resharding, the other shard count whose locations reads also gather. */
  readonly alsoReadFrom?: number;
  /** S: every counter is split over this many write shards, each its own item. */
  readonly writeShards: number;
  readonly updatedAt: string;
}

/** Every shard count a read must gather from under this map: the write one first. */
export const readShardCounts = (map: ShardMap): number[] =>
  map.alsoReadFrom === undefined ? [map.shards] : [map.shards, map.alsoReadFrom];

/** How many shards an item may sit on under this map: while resharding, the larger of the two counts. */
export const shardsSpanned = (map: ShardMap): number => Math.max(...readShardCounts(map));

/** The map's stored shape, one item per map name. */
function toShardMap(item: Record<string, unknown>): ShardMap {
  return {
    name: String(item.name),
    version: Number(item.version),
    phase: (item.phase as ShardMapPhase | undefined) ?? 'STABLE',
    shards: Number(item.shards),
    ...(item.alsoReadFrom === undefined ? {} : { alsoReadFrom: Number(item.alsoReadFrom) }),
    writeShards: Number(item.writeShards),
    updatedAt: String(item.updatedAt),
  };
}

export interface ShardMapStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a read map is trusted before it is read again. @default 10_000 */
  readonly cacheMs?: number;
  readonly clock?: () => number;
  /**
   * Never writes: with no map stored yet, the defaults stand as version 1 unstored, which is exactly what
   * the first writer will store (the same deployment's defaults). For functions that only read by the map,
   * and hold no write grant on its table. @default false
   */
  readonly readOnly?: boolean;
}

/**
 * The shard maps in DynamoDB, so every Lambda routes alike: read consistently, cached briefly, created
 * from the deployment's defaults the first time, and replaced only by a newer version.
 */
export class ShardMapStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly cacheMs: number;
  private readonly clock: () => number;
  private readonly readOnly: boolean;
  private readonly cache = new Map<string, { map: ShardMap; readAt: number }>();

  constructor(options: ShardMapStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.cacheMs = options.cacheMs ?? 10_000;
    this.clock = options.clock ?? Date.now;
    this.readOnly = options.readOnly ?? false;
  }

  /** The current map, from the cache while it is fresh; `defaults` becomes version 1 if there is none yet. */
  async current(name: string, defaults: Pick<ShardMap, 'shards' | 'writeShards'>): Promise<ShardMap> {
    const cached = this.cache.get(name);
    if (cached && this.clock() - cached.readAt < this.cacheMs) return cached.map;
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { name }, ConsistentRead: true }));
    const first: ShardMap = { name, version: 1, phase: 'STABLE', ...defaults, updatedAt: new Date(this.clock()).toISOString() };
    const map = Item ? toShardMap(Item) : this.readOnly ? first : await this.create(first);
    this.cache.set(name, { map, readAt: this.clock() });
    return map;
  }

  /** The stored map, read now (no cache); undefined if none was created yet. */
  async read(name: string): Promise<ShardMap | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { name }, ConsistentRead: true }));
    return Item ? toShardMap(Item) : undefined;
  }

  /** Replaces the map with `next`, whose version must be exactly one above the stored one. False if another writer got there first. */
  async publish(next: ShardMap): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...next },
          ConditionExpression: 'version = :previous',
          ExpressionAttributeValues: { ':previous': next.version - 1 },
        }),
      );
      this.cache.set(next.name, { map: next, readAt: this.clock() });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private async create(map: ShardMap): Promise<ShardMap> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...map },
          ConditionExpression: 'attribute_not_exists(#name)',
          ExpressionAttributeNames: { '#name': 'name' },
        }),
      );
      return map;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Another instance created it first: theirs is the map.
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { name: map.name }, ConsistentRead: true }));
      return toShardMap(Item!);
    }
  }
}
