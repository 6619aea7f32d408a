/** Write-sharded counters, the shard map store and per-shard load, on DynamoDB Local. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTERS_BY_SHARD_INDEX, ShardedCounters, shardLoad, ShardMapStore, type ShardMap } from '../../lambdas/patterns/sharding/index.ts';
import { LOCAL_CREDENTIALS } from '../../scripts/local-cloud/environment.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../scripts/local-cloud/services/dynamodb-local.ts';
import { createTable } from '../helpers/tables.ts';

let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let counters: ShardedCounters;
const map: ShardMap = { name: 'sales', version: 1, shards: 16, writeShards: 8, updatedAt: '2026-01-01T00:00:00.000Z' };

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw);
  await createTable(raw, 'counters', [{ name: 'pk', type: 'S' }], { [COUNTERS_BY_SHARD_INDEX]: [{ name: 'shard', type: 'N' }, { name: 'updatedAt', type: 'S' }] });
  await createTable(raw, 'shard-maps', [{ name: 'name', type: 'S' }]);
  counters = new ShardedCounters({ client, tableName: 'counters' });
});

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
    const { Items = [] } = await client.send(new ScanCommand({ TableName: 'counters', FilterExpression: '#key = :hot', ExpressionAttributeNames: { '#key': 'key' }, ExpressionAttributeValues: { ':hot': 'HOT' } }));
    expect(Items.length).toBeGreaterThan(4); // the increments really did spread
    expect(new Set(Items.map((item) => item.shard)).size).toBe(Items.length);
  });

  it('counts a redelivered event once, however often and however concurrently it arrives', async () => {
    const deliveries = await Promise.all(Array.from({ length: 6 }, () => counters.add(map, 'event-redelivered', [{ key: 'LAMP', amount: 3 }, { key: 'MUG', amount: 1 }])));
    expect(deliveries.filter((d) => d === 'applied')).toHaveLength(1);
    expect(await counters.add(map, 'event-redelivered', [{ key: 'LAMP', amount: 3 }])).toBe('duplicate');
    expect((await counters.total(map, 'LAMP')).total).toBe(3);
    expect((await counters.total(map, 'MUG')).total).toBe(1);
  });

  it('takes back a cancellation, merges repeated SKUs, and applies an event of more SKUs than one transaction holds', async () => {
    const skus = Array.from({ length: 150 }, (_, i) => `BULK-${i}`);
    expect(await counters.add(map, 'event-bulk', [...skus.map((key) => ({ key, amount: 1 })), { key: 'BULK-0', amount: 4 }])).toBe('applied');
    expect(await counters.add(map, 'event-bulk', skus.map((key) => ({ key, amount: 1 })))).toBe('duplicate');
    expect(await counters.add(map, 'event-bulk-cancelled', [{ key: 'BULK-0', amount: -5 }, { key: 'BULK-149', amount: -1 }])).toBe('applied');
    expect((await counters.total(map, 'BULK-0')).total).toBe(0);
    expect((await counters.total(map, 'BULK-149')).total).toBe(0);
    expect((await counters.total(map, 'BULK-77')).total).toBe(1);
    expect((await counters.total(map, 'NEVER-SOLD')).total).toBe(0);
  });

  it('reports each shard’s items and recent writes, and the hottest keys', async () => {
    const report = await shardLoad({ client, tableName: 'counters', indexName: COUNTERS_BY_SHARD_INDEX, shards: map.shards, since: new Date(Date.now() - 60_000) });
    expect(report.perShard).toHaveLength(16);
    const { Items = [] } = await client.send(new ScanCommand({ TableName: 'counters', FilterExpression: 'attribute_exists(#shard)', ExpressionAttributeNames: { '#shard': 'shard' } }));
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
