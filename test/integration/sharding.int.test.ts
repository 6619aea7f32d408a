/** Write-sharded counters, the shard map store and per-shard load, on DynamoDB Local. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COUNTERS_BY_SHARD_INCLUDES,
  COUNTERS_BY_SHARD_INDEX,
  planReshard,
  reshard,
  shardedCounters,
  ShardedCounters,
  shardedView,
  shardOf,
  shardLoad,
  ShardMapStore,
  type ShardMap,
} from '../../lambdas/patterns/sharding/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '@eightfold/local-cloud';
import { createTable } from '../helpers/tables.ts';

let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let dynamoClient: DynamoDBClient;
let counters: ShardedCounters;
const map: ShardMap = { name: 'sales', version: 1, phase: 'STABLE', shards: 16, writeShards: 8, updatedAt: '2026-01-01T00:00:00.000Z' };

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  dynamoClient = raw;
  client = DynamoDBDocumentClient.from(raw);
  await createTable(raw, 'counters', [{ name: 'pk', type: 'S' }], {
    [COUNTERS_BY_SHARD_INDEX]: {
      keys: [
        { name: 'shard', type: 'N' },
        { name: 'updatedAt', type: 'S' },
      ],
      include: COUNTERS_BY_SHARD_INCLUDES,
    },
  });
  await createTable(raw, 'shard-maps', [{ name: 'name', type: 'S' }]);
  counters = new ShardedCounters({ client, tableName: 'counters' });
});

/** The items a counter's increments landed on (its write shards). */
async function counterItemsOf(key: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await client.send(
    new ScanCommand({
      TableName: 'counters',
      FilterExpression: '#key = :key',
      ExpressionAttributeNames: { '#key': 'key' },
      ExpressionAttributeValues: { ':key': key },
    }),
  );
  return Items;
}

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('write-sharded counters', () => {
  it('sums exactly what 8 concurrent writers add to one hot SKU, spread over its write shards', async () => {
    const writers = Array.from({ length: 8 }, (_, writer) =>
      (async () => {
        for (let i = 0; i < 25; i++) await counters.add(map, `event-${writer}-${i}`, [{ key: 'HOT', amount: 2 }]);
      })(),
    );
    await Promise.all(writers);
    expect(await counters.total(map, 'HOT')).toEqual({ key: 'HOT', total: 8 * 25 * 2, writeShards: 8 });
    const Items = await counterItemsOf('HOT');
    expect(Items.length).toBeGreaterThan(4); // the increments really did spread
    expect(new Set(Items.map((item) => item.shard)).size).toBe(Items.length);
  });

  it('counts a redelivered event once, however often and however concurrently it arrives', async () => {
    const deliveries = await Promise.all(
      Array.from({ length: 6 }, () =>
        counters.add(map, 'event-redelivered', [
          { key: 'LAMP', amount: 3 },
          { key: 'MUG', amount: 1 },
        ]),
      ),
    );
    expect(deliveries.filter((d) => d === 'applied')).toHaveLength(1);
    expect(await counters.add(map, 'event-redelivered', [{ key: 'LAMP', amount: 3 }])).toBe('duplicate');
    expect((await counters.total(map, 'LAMP')).total).toBe(3);
    expect((await counters.total(map, 'MUG')).total).toBe(1);
  });

  it('applies a batch of events in few transactions, one increment per counter item however many land on it, each event once', async () => {
    const events = Array.from({ length: 80 }, (_, i) => ({
      eventId: `batch-${i}`,
      deltas: [
        { key: 'BATCH-HOT', amount: 1 },
        { key: `BATCH-${i % 3}`, amount: 2 },
      ],
    }));
    const transactions = { count: 0 };
    client.middlewareStack.add((next) => (args) => (transactions.count++, next(args)), { step: 'initialize', name: 'countBatch' });
    try {
      expect(await counters.addMany(map, events)).toEqual(events.map(() => 'applied'));
    } finally {
      client.middlewareStack.remove('countBatch');
    }
    // 80 markers and at most 8 + 3 × 8 counter items do not fit one transaction's 100: two, not 80.
    expect(transactions.count).toBe(2);
    expect((await counters.total(map, 'BATCH-HOT')).total).toBe(80);
    expect((await counters.total(map, 'BATCH-1')).total).toBe(54);
    const Items = await counterItemsOf('BATCH-HOT');
    expect(Items.reduce((sum, item) => sum + Number(item.increments), 0)).toBe(80);
    // A batch holding an event applied before is cancelled whole and left to `add`, which counts each event once.
    const again = [events[0]!, { eventId: 'batch-new', deltas: [{ key: 'BATCH-HOT', amount: 1 }] }];
    expect(await counters.addMany(map, again)).toEqual([undefined, undefined]);
    expect(await Promise.all(again.map((event) => counters.add(map, event.eventId, event.deltas)))).toEqual(['duplicate', 'applied']);
    expect((await counters.total(map, 'BATCH-HOT')).total).toBe(81);
    // An event that changes nothing, or more counters than a transaction holds, is left to `add` too.
    const bulk = { eventId: 'batch-bulk', deltas: Array.from({ length: 120 }, (_, i) => ({ key: `BATCH-BULK-${i}`, amount: 1 })) };
    expect(await counters.addMany(map, [{ eventId: 'batch-nothing', deltas: [{ key: 'BATCH-HOT', amount: 0 }] }, bulk])).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('takes back a cancellation, merges repeated SKUs, and applies an event of more SKUs than one transaction holds', async () => {
    const skus = Array.from({ length: 150 }, (_, i) => `BULK-${i}`);
    expect(await counters.add(map, 'event-bulk', [...skus.map((key) => ({ key, amount: 1 })), { key: 'BULK-0', amount: 4 }])).toBe(
      'applied',
    );
    expect(
      await counters.add(
        map,
        'event-bulk',
        skus.map((key) => ({ key, amount: 1 })),
      ),
    ).toBe('duplicate');
    expect(
      await counters.add(map, 'event-bulk-cancelled', [
        { key: 'BULK-0', amount: -5 },
        { key: 'BULK-149', amount: -1 },
      ]),
    ).toBe('applied');
    expect((await counters.total(map, 'BULK-0')).total).toBe(0);
    expect((await counters.total(map, 'BULK-149')).total).toBe(0);
    expect((await counters.total(map, 'BULK-77')).total).toBe(1);
    expect((await counters.total(map, 'NEVER-SOLD')).total).toBe(0);
  });

  it('reports each shard’s items and recent writes, and the hottest keys', async () => {
    const report = await shardLoad({
      client,
      tableName: 'counters',
      indexName: COUNTERS_BY_SHARD_INDEX,
      shards: map.shards,
      since: new Date(Date.now() - 60_000),
    });
    expect(report.perShard).toHaveLength(16);
    const { Items = [] } = await client.send(
      new ScanCommand({
        TableName: 'counters',
        FilterExpression: 'attribute_exists(#shard)',
        ExpressionAttributeNames: { '#shard': 'shard' },
      }),
    );
    expect(report.perShard.reduce((sum, s) => sum + s.items, 0)).toBe(Items.length);
    expect(report.perShard.reduce((sum, s) => sum + s.recentWrites, 0)).toBe(Items.length);
    expect(report.hotKeys[0]).toEqual({ key: 'HOT', increments: 200 });
    expect(report.maxOverMean.items).toBeGreaterThanOrEqual(1);
  });
});

describe('the shard map store', () => {
  it('creates version 1 once from the defaults however many routers race, and only ever moves forward', async () => {
    const stores = Array.from({ length: 5 }, () => new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: 0 }));
    const maps = await Promise.all(stores.map((store, i) => store.current('race', { shards: 10 + i, writeShards: 4 })));
    expect(new Set(maps.map((m) => `${m.version}/${m.shards}`)).size).toBe(1);
    const [first] = maps;
    expect(first!.version).toBe(1);
    expect(await stores[0]!.publish({ ...first!, version: 2, shards: 20 })).toBe(true);
    expect(await stores[1]!.publish({ ...first!, version: 2, shards: 30 })).toBe(false); // another got there first
    expect(await stores[1]!.publish({ ...first!, version: 1, shards: 30 })).toBe(false); // never backwards
    expect(await stores[2]!.current('race', { shards: 1, writeShards: 1 })).toMatchObject({ version: 2, shards: 20 });
  });

  it('has a read-only store route by the defaults while no map is stored, storing nothing; it then reads the one a writer stored', async () => {
    const reader = new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: 0, readOnly: true });
    const writer = new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: 0 });
    const defaults = { shards: 12, writeShards: 3 };
    expect(await reader.current('read-only', defaults)).toMatchObject({ version: 1, phase: 'STABLE', ...defaults });
    expect(await reader.read('read-only')).toBeUndefined();
    expect(await writer.current('read-only', defaults)).toMatchObject({ version: 1, ...defaults });
    expect(await writer.publish({ ...(await writer.read('read-only'))!, version: 2, shards: 24 })).toBe(true);
    expect(await reader.current('read-only', defaults)).toMatchObject({ version: 2, shards: 24 });
  });

  it('serves a cached map until it is older than the cache time', async () => {
    let now = 0;
    const reader = new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: 10_000, clock: () => now });
    const writer = new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: 0 });
    const v1 = await reader.current('cached', { shards: 4, writeShards: 2 });
    await writer.publish({ ...v1, version: 2, shards: 5 });
    expect((await reader.current('cached', { shards: 4, writeShards: 2 })).version).toBe(1);
    now += 10_000;
    expect((await reader.current('cached', { shards: 4, writeShards: 2 })).version).toBe(2);
  });
});

describe('resharding under concurrent writes and reads', () => {
  it('moves the counters from 4 to 7 shards with nothing lost or counted twice, every read within what was applied', async () => {
    const CACHE_MS = 150;
    const admin = new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: 0 });
    const router = () => new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: CACHE_MS });
    const defaults = { shards: 4, writeShards: 4 };
    const skus = ['R-A', 'R-B', 'R-C', 'R-D', 'R-E'];
    const started = new Map(skus.map((sku) => [sku, 0]));
    const applied = new Map(skus.map((sku) => [sku, 0]));
    for (const [i, sku] of skus.entries()) {
      for (let n = 0; n < 20; n++) {
        started.set(sku, started.get(sku)! + 1);
        await counters.add(await admin.current('resharded', defaults), `seed-${sku}-${n}`, [{ key: sku, amount: 1 }]);
        applied.set(sku, applied.get(sku)! + 1);
      }
      expect((await counters.total(await admin.current('resharded', defaults), sku)).total, `seeded ${i}`).toBe(20);
    }
    const data = [shardedCounters(client, 'counters', defaults.writeShards)];
    const {
      data: [plan],
    } = await planReshard((await admin.read('resharded'))!, 7, data);
    expect(plan).toMatchObject({ name: 'sales counters', items: expect.any(Number) });
    expect(plan!.moving).toBeGreaterThan(0);
    expect(plan!.moving).toBeLessThan(plan!.items);

    let running = true;
    let reads = 0;
    const writers = Array.from({ length: 4 }, (_, writer) =>
      (async () => {
        const maps = router();
        for (let n = 0; running; n++) {
          const sku = skus[(writer + n) % skus.length]!;
          started.set(sku, started.get(sku)! + 1);
          await counters.add(await maps.current('resharded', defaults), `live-${writer}-${n}`, [{ key: sku, amount: 1 }]);
          applied.set(sku, applied.get(sku)! + 1);
        }
      })(),
    );
    const readers = Array.from({ length: 2 }, () =>
      (async () => {
        const maps = router();
        for (let n = 0; running; n++) {
          const sku = skus[n % skus.length]!;
          const floor = applied.get(sku)!;
          const { total } = await counters.total(await maps.current('resharded', defaults), sku);
          // Never below what was applied before the read began, never above what had begun by its end.
          expect(total, `read of ${sku}`).toBeGreaterThanOrEqual(floor);
          expect(total, `read of ${sku}`).toBeLessThanOrEqual(started.get(sku)!);
          reads++;
        }
      })(),
    );
    const report = await reshard({ data, maps: admin, mapName: 'resharded', to: 7, settleMs: 3 * CACHE_MS + 300 });
    await new Promise((resolve) => setTimeout(resolve, 3 * CACHE_MS));
    running = false;
    await Promise.all([...writers, ...readers]);

    expect(report.versions).toEqual([2, 3, 4]);
    expect(report.moved['sales counters']).toBeGreaterThan(0);
    expect(reads).toBeGreaterThan(20);
    const final = (await admin.read('resharded'))!;
    expect(final).toMatchObject({ version: 4, phase: 'STABLE', shards: 7 });
    expect(final.alsoReadFrom).toBeUndefined();
    for (const sku of skus) expect((await counters.total(final, sku)).total, sku).toBe(applied.get(sku));
    // Every item sits where the new map puts it.
    expect((await planReshard(final, 7, data)).data[0]!.moving).toBe(0);
    // Versions only move forward: an old version cannot be published again.
    expect(await admin.publish({ ...final, version: 3, shards: 4 })).toBe(false);
  });
});

describe('resharding the orders view', () => {
  it('relabels every row with its customer’s shard under the new count, shard by shard, and nothing else', async () => {
    await createTable(dynamoClient, 'view', [{ name: 'orderId', type: 'S' }]);
    const admin = new ShardMapStore({ client, tableName: 'shard-maps', cacheMs: 0 });
    await admin.current('view-map', { shards: 4, writeShards: 1 });
    const rows = Array.from({ length: 60 }, (_, i) => ({
      orderId: `o-${i}`,
      customerId: `c-${i % 23}`,
      customerOrderKey: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z#o-${i}`,
      status: 'PLACED',
      version: 1,
    }));
    for (const row of rows)
      await client.send(new PutCommand({ TableName: 'view', Item: { ...row, shard: shardOf({ shards: 4 }, row.customerId) } }));
    // A row projected before rows carried their shard: not the reshard's to label.
    await client.send(
      new PutCommand({ TableName: 'view', Item: { orderId: 'o-unstamped', customerId: 'c-1', status: 'PLACED', version: 1 } }),
    );
    const data = [shardedView(client, 'view')];
    const {
      data: [plan],
    } = await planReshard((await admin.read('view-map'))!, 7, data);
    expect(plan).toMatchObject({ name: 'orders view', items: 60 });
    expect(plan!.moving).toBeGreaterThan(0);
    const report = await reshard({ data, maps: admin, mapName: 'view-map', to: 7, settleMs: 0 });
    expect(report.moved['orders view']).toBe(plan!.moving);
    const { Items = [] } = await client.send(new ScanCommand({ TableName: 'view', ConsistentRead: true }));
    expect(Items).toHaveLength(61);
    expect(Items.find((item) => item.orderId === 'o-unstamped')).not.toHaveProperty('shard');
    for (const item of Items.filter((item) => item.orderId !== 'o-unstamped')) {
      expect(item.shard).toBe(shardOf({ shards: 7 }, String(item.customerId)));
      expect(item).toMatchObject({ status: 'PLACED', version: 1 });
    }
  });
});
