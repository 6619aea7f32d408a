import {
  GetCommand,
  paginateQuery,
  paginateScan,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { cancellationCodes, isConditionalCheckFailed, isTransactionConflict } from '../../kernel/dynamodb-errors.ts';
import { ReshardRefusedError } from './errors.ts';
import { shardOf } from './hashing.ts';
import { COUNTERS_BY_SHARD_INDEX, counterItem } from './layout.ts';
import { shardsSpanned, type ShardMap, type ShardMapStore } from './shard-map.ts';

/** An item as a by-shard index (or a scan) shows it: its shard and the attributes asked for. */
export interface ShardedItem {
  readonly shard: number;
  readonly [attribute: string]: unknown;
}

/** A kind of data whose items live on shards, and move (or are relabelled) when the shard count changes. */
export interface ShardedData {
  readonly name: string;
  /** Every item, each shard's part read in parallel. */
  items(shards: number[]): Promise<ShardedItem[]>;
  /** Where the item belongs among `shards` shards, whether that is a move, and what to call it in a plan. */
  target(item: ShardedItem, shards: number): { shard: number; moves: boolean; label: string };
  /** Puts the item where `shards` shards put it; false if it was there already (or is gone). */
  move(item: ShardedItem, shards: number): Promise<boolean>;
}

export interface DataPlan {
  readonly name: string;
  readonly items: number;
  /** Items whose location differs under the new shard count. */
  readonly moving: number;
  /** Distinct keys with at least one item moving. */
  readonly keysMoving: number;
  /** How many items go from each shard to each other, `"3→16"`. */
  readonly routes: Record<string, number>;
  /** A few of the moving keys, for the operator to recognize. */
  readonly sample: string[];
}

export interface ReshardPlan {
  readonly from: number;
  readonly to: number;
  readonly data: DataPlan[];
}

export interface ReshardOptions {
  readonly maps: ShardMapStore;
  readonly mapName: string;
  readonly to: number;
  /** Everything routed by the map. */
  readonly data: ShardedData[];
  /**
   * How long a published map takes to reach every writer and reader: their cache time plus the longest
   * invocation (a Lambda cannot outlive its timeout, so no write routed by an older map lands later).
   */
  readonly settleMs: number;
  readonly log?: (line: string) => void;
  /** Shown the plan before anything moves (an operator sees what is about to happen). */
  readonly onPlan?: (plan: ReshardPlan) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReshardReport {
  readonly plan: ReshardPlan;
  /** Items moved, per data name. */
  readonly moved: Record<string, number>;
  /** The versions published, one per phase. */
  readonly versions: number[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Every shard an item may sit on under this map. */
const shardsOf = (map: ShardMap) => range(shardsSpanned(map));

/** Each item's shard and `attributes`, as a projection (`shard` is a reserved word: every name goes escaped). */
function shardProjection(attributes: string[]) {
  const names = Object.fromEntries(['shard', ...attributes].map((a) => [`#${a}`, a]));
  return { ExpressionAttributeNames: names, ProjectionExpression: Object.keys(names).join(', ') };
}

/** Every item of a paginated read. */
async function collect(pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>): Promise<ShardedItem[]> {
  const items: ShardedItem[] = [];
  for await (const page of pages) items.push(...((page.Items ?? []) as ShardedItem[]));
  return items;
}

/** Reads one shard's part of a by-shard index. */
async function queryShard(
  client: DynamoDBDocumentClient,
  table: string,
  index: string,
  shard: number,
  attributes: string[],
): Promise<ShardedItem[]> {
  return collect(
    paginateQuery(
      { client },
      {
        TableName: table,
        IndexName: index,
        KeyConditionExpression: '#shard = :shard',
        ExpressionAttributeValues: { ':shard': shard },
        ...shardProjection(attributes),
      },
    ),
  );
}

/** Segments of the parallel scan that reads a table whose items carry their shard but no index keyed by it. */
const SCAN_SEGMENTS = 8;

/** Every item of `table` on one of `shards`, read by a parallel scan (items without a shard are left out). */
async function scanShards(client: DynamoDBDocumentClient, table: string, shards: number[], attributes: string[]): Promise<ShardedItem[]> {
  const wanted = new Set(shards);
  const segments = await Promise.all(
    Array.from({ length: SCAN_SEGMENTS }, (_, segment) =>
      collect(
        paginateScan(
          { client },
          { TableName: table, Segment: segment, TotalSegments: SCAN_SEGMENTS, ConsistentRead: true, ...shardProjection(attributes) },
        ),
      ),
    ),
  );
  return segments.flat().filter((item) => typeof item.shard === 'number' && wanted.has(item.shard));
}

/** The write-sharded counters: an item's shard leads its key, so a move is a new item and a delete. */
export function shardedCounters(client: DynamoDBDocumentClient, table: string, writeShards: number): ShardedData {
  const targetOf = (item: ShardedItem, shards: number) => counterItem({ shards, writeShards }, String(item.key), Number(item.writeShard));
  return {
    name: 'sales counters',
    items: async (shards) =>
      (
        await Promise.all(shards.map((shard) => queryShard(client, table, COUNTERS_BY_SHARD_INDEX, shard, ['pk', 'key', 'writeShard'])))
      ).flat(),
    target: (item, shards) => {
      const target = targetOf(item, shards);
      return { shard: target.shard, moves: target.pk !== item.pk, label: String(item.key) };
    },
    move: (item, shards) => moveCounter(client, table, item, targetOf(item, shards)),
  };
}

/**
 * The orders view: a row's shard is an attribute (its key is the order id), so a move relabels it. No index
 * is keyed by the shard (each order would write one of N partitions): a reshard reads every shard anyway,
 * so it scans the table.
 */
export function shardedView(client: DynamoDBDocumentClient, table: string): ShardedData {
  const targetOf = (item: ShardedItem, shards: number) => shardOf({ shards }, String(item.customerId));
  return {
    name: 'orders view',
    items: (shards) => scanShards(client, table, shards, ['orderId', 'customerId']),
    target: (item, shards) => ({
      shard: targetOf(item, shards),
      moves: targetOf(item, shards) !== item.shard,
      label: String(item.customerId),
    }),
    async move(item, shards) {
      const target = targetOf(item, shards);
      let current = item.shard;
      for (let attempt = 1; current !== target; attempt++) {
        try {
          await client.send(
            new UpdateCommand({
              TableName: table,
              Key: { orderId: item.orderId },
              UpdateExpression: 'SET #shard = :to',
              ConditionExpression: 'attribute_exists(orderId) AND #shard = :from',
              ExpressionAttributeNames: { '#shard': 'shard' },
              ExpressionAttributeValues: { ':to': target, ':from': current },
            }),
          );
          return true;
        } catch (error) {
          // The projector rewrote the row meanwhile (with the new map, after the settle): look again.
          if (!isConditionalCheckFailed(error) || attempt >= 10) throw error;
          const { Item } = await client.send(new GetCommand({ TableName: table, Key: { orderId: item.orderId }, ConsistentRead: true }));
          if (!Item) return false;
          current = Number(Item.shard);
        }
      }
      return false;
    },
  };
}

/** What a reshard of `map` to `to` shards would move, data by data, from where to where. */
export async function planReshard(map: ShardMap, to: number, data: ShardedData[]): Promise<ReshardPlan> {
  const plans = await Promise.all(
    data.map(async (kind) => {
      const items = await kind.items(shardsOf(map));
      const routes: Record<string, number> = {};
      const keys = new Set<string>();
      for (const item of items) {
        const target = kind.target(item, to);
        if (!target.moves) continue;
        routes[`${item.shard}→${target.shard}`] = (routes[`${item.shard}→${target.shard}`] ?? 0) + 1;
        keys.add(target.label);
      }
      return {
        name: kind.name,
        items: items.length,
        moving: Object.values(routes).reduce((a, b) => a + b, 0),
        keysMoving: keys.size,
        routes,
        sample: [...keys].slice(0, 10),
      };
    }),
  );
  return { from: map.shards, to, data: plans };
}

/**
 * Moves everything routed by the map from N to `to` shards while it is written and read: dual reads, then moves.
 * 1. DUAL_READ: readers gather both shard counts' locations; writers still write to N.
 * 2. after the settle time, MIGRATING: writers write to the new locations; readers still gather both.
 * 3. after another settle, no write can reach an old location: each item is moved (a counter's value is
 *    added at its new location and its old item deleted in one transaction, conditional on it being
 *    unchanged since read, so a reader's snapshot sees every unit exactly once; a view row is relabelled).
 * 4. STABLE at the new count. Each phase is a new map version; a stopped reshard resumes from its phase.
 */
export async function reshard(options: ReshardOptions): Promise<ReshardReport> {
  const { maps, mapName, to } = options;
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const stored = await maps.read(mapName);
  if (!stored)
    throw new ReshardRefusedError(
      mapName,
      'NO_MAP',
      `No shard map ${mapName} yet: nothing has been routed, so change the deployment's shard count instead`,
    );
  let map = stored;
  const from = map.phase === 'MIGRATING' ? map.alsoReadFrom! : map.shards;
  const target = map.phase === 'STABLE' ? to : map.phase === 'DUAL_READ' ? map.alsoReadFrom! : map.shards;
  if (target !== to)
    throw new ReshardRefusedError(
      mapName,
      'OTHER_RESHARD_RUNNING',
      `Map ${mapName} v${map.version} is resharding to ${target}, not ${to}: finish that first`,
    );
  const plan = await planReshard(map, to, options.data);
  options.onPlan?.(plan);
  const versions: number[] = [];
  const moved: Record<string, number> = Object.fromEntries(options.data.map((kind) => [kind.name, 0]));
  if (from === to && map.phase === 'STABLE') return { plan, moved, versions };
  const advance = async (next: Pick<ShardMap, 'phase' | 'shards' | 'alsoReadFrom'>): Promise<void> => {
    const candidate: ShardMap = {
      name: mapName,
      version: map.version + 1,
      writeShards: map.writeShards,
      updatedAt: new Date().toISOString(),
      ...next,
    };
    if (!(await maps.publish(candidate)))
      throw new ReshardRefusedError(
        mapName,
        'MAP_CHANGED',
        `Map ${mapName} changed under the reshard (expected v${map.version}): run it again`,
      );
    map = candidate;
    versions.push(map.version);
    log(
      `map ${mapName} v${map.version}: ${map.phase}, writes to ${map.shards}${map.alsoReadFrom ? `, reads also ${map.alsoReadFrom}` : ''}`,
    );
  };
  if (map.phase === 'STABLE') {
    await advance({ phase: 'DUAL_READ', shards: from, alsoReadFrom: to });
    await sleep(options.settleMs);
  }
  if (map.phase === 'DUAL_READ') {
    await advance({ phase: 'MIGRATING', shards: to, alsoReadFrom: from });
    await sleep(options.settleMs);
  }
  for (const kind of options.data) {
    for (const item of await kind.items(shardsOf(map))) if (await kind.move(item, to)) moved[kind.name]!++;
    log(`${kind.name}: moved ${moved[kind.name]} items`);
  }
  await advance({ phase: 'STABLE', shards: to });
  return { plan, moved, versions };
}

/** Moves one counter item's value to its new location atomically; false if it is already there (or gone). */
async function moveCounter(
  client: DynamoDBDocumentClient,
  table: string,
  item: ShardedItem,
  target: { pk: string; shard: number },
): Promise<boolean> {
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
                UpdateExpression:
                  'ADD units :units, increments :increments SET #key = :key, writeShard = :writeShard, #shard = :shard, updatedAt = :now',
                ExpressionAttributeNames: { '#key': 'key', '#shard': 'shard' },
                ExpressionAttributeValues: {
                  ':units': Item.units ?? 0,
                  ':increments': Item.increments ?? 0,
                  ':key': item.key,
                  ':writeShard': item.writeShard,
                  ':shard': target.shard,
                  ':now': new Date().toISOString(),
                },
              },
            },
            // Deleted only as read: a late increment in between sends us round again.
            {
              Delete: {
                TableName: table,
                Key: { pk: item.pk },
                ConditionExpression: 'units = :units AND increments = :increments',
                ExpressionAttributeValues: { ':units': Item.units ?? 0, ':increments': Item.increments ?? 0 },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!cancellationCodes(error) || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, isTransactionConflict(error) ? 10 * attempt : 0));
    }
  }
}
