import { GetCommand, paginateQuery, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { COUNTERS_BY_SHARD_INDEX, counterItem } from './layout.ts';
import { isTransactionConflict } from './sharded-counter.ts';
import type { ShardMap, ShardMapStore } from './shard-map.ts';

/** A counter item as the by-shard index shows it. */
interface CounterItem {
  readonly pk: string;
  readonly key: string;
  readonly writeShard: number;
  readonly shard: number;
}

export interface ReshardPlan {
  readonly from: number;
  readonly to: number;
  readonly items: number;
  /** Items whose location differs under the new shard count. */
  readonly moving: number;
  /** Distinct counter keys with at least one item moving. */
  readonly keysMoving: number;
  /** How many items go from each shard to each other, `"3→16"`. */
  readonly routes: Record<string, number>;
  /** A few of the moving keys, for the operator to recognize. */
  readonly sample: string[];
}

export interface ReshardOptions {
  readonly client: DynamoDBDocumentClient;
  readonly countersTable: string;
  readonly maps: ShardMapStore;
  readonly mapName: string;
  readonly to: number;
  /**
   * How long a published map takes to reach every writer and reader: their cache time plus the longest
   * invocation (a Lambda cannot outlive its timeout, so no write routed by an older map lands later).
   */
  readonly settleMs: number;
  readonly log?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReshardReport {
  readonly plan: ReshardPlan;
  readonly moved: number;
  /** The versions published, one per phase. */
  readonly versions: number[];
}

/** Every counter item, each shard's part of the by-shard index read in parallel. */
export async function counterItems(client: DynamoDBDocumentClient, countersTable: string, shards: number[]): Promise<CounterItem[]> {
  const perShard = await Promise.all(
    shards.map(async (shard) => {
      const items: CounterItem[] = [];
      const pages = paginateQuery(
        { client },
        { TableName: countersTable, IndexName: COUNTERS_BY_SHARD_INDEX, KeyConditionExpression: '#shard = :shard', ExpressionAttributeNames: { '#shard': 'shard', '#key': 'key' }, ExpressionAttributeValues: { ':shard': shard }, ProjectionExpression: 'pk, #key, writeShard, #shard' },
      );
      for await (const page of pages) for (const item of page.Items ?? []) items.push({ pk: String(item.pk), key: String(item.key), writeShard: Number(item.writeShard), shard: Number(item.shard) });
      return items;
    }),
  );
  return perShard.flat();
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Which items a reshard of `map` to `to` shards would move, from where to where. */
export async function planReshard(client: DynamoDBDocumentClient, countersTable: string, map: ShardMap, to: number): Promise<ReshardPlan> {
  const items = await counterItems(client, countersTable, range(Math.max(map.shards, map.alsoReadFrom ?? 0)));
  const routes: Record<string, number> = {};
  const keys = new Set<string>();
  for (const item of items) {
    const target = counterItem({ shards: to, writeShards: map.writeShards }, item.key, item.writeShard);
    if (target.pk === item.pk) continue;
    routes[`${item.shard}→${target.shard}`] = (routes[`${item.shard}→${target.shard}`] ?? 0) + 1;
    keys.add(item.key);
  }
  const moving = Object.values(routes).reduce((a, b) => a + b, 0);
  return { from: map.shards, to, items: items.length, moving, keysMoving: keys.size, routes, sample: [...keys].slice(0, 10) };
}

/**
 * Moves the counters from N to `to` shards while they are written and read: dual reads, then moves.
 * 1. DUAL_READ: readers gather both shard counts' locations; writers still write to N.
 * 2. after the settle time, MIGRATING: writers write to the new locations; readers still gather both.
 * 3. after another settle, no write can reach an old location: each old item's value is moved to its new
 *    location in one transaction (added there, deleted here only if unchanged since read), so a reader's
 *    snapshot sees every unit exactly once, before or after its move.
 * 4. STABLE at the new count. Each phase is a new map version; a stopped reshard resumes from its phase.
 */
export async function reshard(options: ReshardOptions): Promise<ReshardReport> {
  const { client, countersTable, maps, mapName, to } = options;
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const stored = await maps.read(mapName);
  if (!stored) throw new Error(`No shard map ${mapName} yet: nothing has been routed, so change the deployment's shard count instead`);
  let map = stored;
  const from = map.phase === 'STABLE' ? map.shards : map.phase === 'DUAL_READ' ? map.shards : map.alsoReadFrom!;
  const target = map.phase === 'STABLE' ? to : map.phase === 'DUAL_READ' ? map.alsoReadFrom! : map.shards;
  if (target !== to) throw new Error(`Map ${mapName} v${map.version} is resharding to ${target}, not ${to}: finish that first`);
  const plan = await planReshard(client, countersTable, map, to);
  const versions: number[] = [];
  const advance = async (next: Omit<ShardMap, 'name' | 'version' | 'updatedAt' | 'writeShards'>): Promise<void> => {
    const candidate: ShardMap = { name: mapName, version: map.version + 1, writeShards: map.writeShards, updatedAt: new Date().toISOString(), ...next };
    if (!(await maps.publish(candidate))) throw new Error(`Map ${mapName} changed under the reshard (expected v${map.version}): run it again`);
    map = candidate;
    versions.push(map.version);
    log(`map ${mapName} v${map.version}: ${map.phase}, writes to ${map.shards}${map.alsoReadFrom ? `, reads also ${map.alsoReadFrom}` : ''}`);
  };
  if (from === to && map.phase === 'STABLE') return { plan, moved: 0, versions };
  if (map.phase === 'STABLE') {
    await advance({ phase: 'DUAL_READ', shards: from, alsoReadFrom: to });
    await sleep(options.settleMs);
  }
  if (map.phase === 'DUAL_READ') {
    await advance({ phase: 'MIGRATING', shards: to, alsoReadFrom: from });
    await sleep(options.settleMs);
  }
  let moved = 0;
  for (const item of await counterItems(client, countersTable, range(Math.max(from, to)))) {
    if (await moveItem(client, countersTable, item, counterItem({ shards: to, writeShards: map.writeShards }, item.key, item.writeShard))) moved++;
  }
  log(`moved ${moved} counter items`);
  await advance({ phase: 'STABLE', shards: to });
  return { plan, moved, versions };
}

/** Moves one item's value to its new location atomically; false if it is already there (or gone). */
async function moveItem(client: DynamoDBDocumentClient, table: string, item: CounterItem, target: { pk: string; shard: number }): Promise<boolean> {
  if (target.pk === item.pk) return false;
  for (let attempt = 1; ; attempt++) {
    const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: item.pk }, ConsistentRead: true }));
    if (!Item) return false;
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: table,
                Key: { pk: target.pk },
                UpdateExpression: 'ADD units :units, increments :increments SET #key = :key, writeShard = :writeShard, #shard = :shard, updatedAt = :now',
                ExpressionAttributeNames: { '#key': 'key', '#shard': 'shard' },
                ExpressionAttributeValues: { ':units': Item.units ?? 0, ':increments': Item.increments ?? 0, ':key': item.key, ':writeShard': item.writeShard, ':shard': target.shard, ':now': new Date().toISOString() },
              },
            },
            // Deleted only as read: a late increment in between sends us round again.
            { Delete: { TableName: table, Key: { pk: item.pk }, ConditionExpression: 'units = :units AND increments = :increments', ExpressionAttributeValues: { ':units': Item.units ?? 0, ':increments': Item.increments ?? 0 } } },
          ],
        }),
      );
      return true;
    } catch (error) {
      const refused = (error as Error).name === 'TransactionCanceledException';
      if (!refused || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, isTransactionConflict(error) ? 10 * attempt : 0));
    }
  }
}
