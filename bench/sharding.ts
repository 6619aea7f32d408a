/**
 * The shard router and write-sharded counters: load spread (max/mean) with uniform and Zipf keys and keys
 * moved on N → N+1, jump hashing against a ring with virtual nodes and naive modulo; hot-SKU increments/s
 * with 1 versus S write shards, and scatter-gather read latency as S grows, on DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  counterItem,
  COUNTERS_BY_SHARD_INCLUDES,
  COUNTERS_BY_SHARD_INDEX,
  hash64,
  HashRing,
  jumpHash,
  maxOverMean,
  moduloHash,
  ShardedCounters,
  type ShardMap,
} from '../lambdas/patterns/sharding/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '@eightfold/local-cloud';
import { zipfWeights } from '../test/helpers/distribution.ts';
import { createTable } from '../test/helpers/tables.ts';
import { log, ms, percentile, ratio, SAMPLES, type Row } from './common.ts';

const N = 16;
const S = 8;
const KEY_COUNT = 50_000;
const HOT_WRITERS = 16;
const HOT_INCREMENTS = 1_200;

type Router = (key: bigint, shards: number) => number;

function distributionRows(rows: Row[]): void {
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => hash64(`SKU-${i}`));
  const rings = new Map<number, HashRing>();
  const ring: Router = (key, shards) => (rings.get(shards) ?? rings.set(shards, new HashRing(shards)).get(shards)!).shardOf(key);
  const routers: [string, Router][] = [
    ['jump', jumpHash],
    ['ring (160 vnodes)', ring],
    ['modulo', moduloHash],
  ];
  const uniform = new Map<string, number>();
  const moved = new Map<string, number>();
  for (const [name, route] of routers) {
    const loads = new Array<number>(N).fill(0);
    for (const key of keys) loads[route(key, N)]!++;
    uniform.set(name, maxOverMean(loads));
    moved.set(name, keys.filter((key) => route(key, N) !== route(key, N + 1)).length / keys.length);
  }
  // Zipf traffic: each SKU's increments spread over its S write shards, placed as the counters place them.
  const weights = zipfWeights(KEY_COUNT);
  const zipf = new Array<number>(N).fill(0);
  const zipfModulo = new Array<number>(N).fill(0);
  weights.forEach((weight, i) => {
    for (let w = 0; w < S; w++) {
      zipf[counterItem({ shards: N, writeShards: S }, `SKU-${i}`, w).shard]! += weight / S;
      zipfModulo[moduloHash(hash64(`SKU-${i}#w${w}`), N)]! += weight / S;
    }
  });
  const theoretical = 1 / (N + 1);
  log(
    `uniform max/mean: ${[...uniform].map(([n, v]) => `${n} ${v.toFixed(3)}`).join(', ')}; Zipf: ours ${maxOverMean(zipf).toFixed(3)}, modulo ${maxOverMean(zipfModulo).toFixed(3)}`,
  );
  log(
    `moved on ${N} → ${N + 1}: ${[...moved].map(([n, v]) => `${n} ${(v * 100).toFixed(1)}%`).join(', ')} (theory ${(theoretical * 100).toFixed(1)}%)`,
  );
  rows.push(
    {
      figure: `shard load max/mean, ${KEY_COUNT.toLocaleString('en')} uniform keys, N = ${N} (jump hash)`,
      value: uniform.get('jump')!.toFixed(3),
      baseline: `modulo: ${uniform.get('modulo')!.toFixed(3)}; ring: ${uniform.get('ring (160 vnodes)')!.toFixed(3)} (goal ≤ 1.3)`,
      ratio: ratio(uniform.get('jump')!, uniform.get('modulo')!),
    },
    {
      figure: `shard load max/mean, Zipf s = 1.1 traffic, S = ${S} write shards per SKU`,
      value: maxOverMean(zipf).toFixed(3),
      baseline: `modulo-hashed write shards: ${maxOverMean(zipfModulo).toFixed(3)} (goal ≤ 1.3)`,
      ratio: ratio(maxOverMean(zipf), maxOverMean(zipfModulo)),
    },
    {
      figure: `keys moved on N = ${N} → ${N + 1} (jump hash)`,
      value: `${(moved.get('jump')! * 100).toFixed(1)}%`,
      baseline: `theory 1/(N+1): ${(theoretical * 100).toFixed(1)}%; ring ${(moved.get('ring (160 vnodes)')! * 100).toFixed(1)}%; modulo ${(moved.get('modulo')! * 100).toFixed(1)}%`,
      ratio: ratio(moved.get('jump')!, theoretical),
    },
  );
}

export async function shardingFigures(rows: Row[]): Promise<void> {
  distributionRows(rows);
  const dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const client = DynamoDBDocumentClient.from(raw);
  try {
    await createTable(raw, 'counters', [{ name: 'pk', type: 'S' }], {
      [COUNTERS_BY_SHARD_INDEX]: {
        keys: [
          { name: 'shard', type: 'N' },
          { name: 'updatedAt', type: 'S' },
        ],
        include: COUNTERS_BY_SHARD_INCLUDES,
      },
    });
    const counters = new ShardedCounters({ client, tableName: 'counters' });
    const mapWith = (writeShards: number): ShardMap => ({
      name: 'bench',
      version: 1,
      phase: 'STABLE',
      shards: N,
      writeShards,
      updatedAt: '',
    });

    // One hot SKU, 16 concurrent writers; conflicting transactions back off and retry.
    const hot = new Map<number, { perSecond: number; failed: number }>();
    for (const writeShards of [1, S]) {
      const map = mapWith(writeShards);
      const key = `HOT-${writeShards}`;
      let next = 0;
      let failed = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: HOT_WRITERS }, async () => {
          while (next < HOT_INCREMENTS) {
            const i = next++;
            await counters.add(map, `hot-${writeShards}-${i}`, [{ key, amount: 1 }]).catch(() => failed++);
          }
        }),
      );
      const perSecond = HOT_INCREMENTS / ((performance.now() - started) / 1000);
      const { total } = await counters.total(map, key);
      if (total + failed !== HOT_INCREMENTS)
        throw new Error(`hot counter S=${writeShards}: ${total} counted + ${failed} failed ≠ ${HOT_INCREMENTS}`);
      hot.set(writeShards, { perSecond, failed });
      log(`hot SKU, S = ${writeShards}: ${perSecond.toFixed(0)} increments/s, ${failed} gave up after retries`);
    }
    const [one, many] = [hot.get(1)!, hot.get(S)!];
    rows.push({
      figure: `hot-SKU increments/s, ${HOT_WRITERS} concurrent writers, S = ${S} write shards (DynamoDB Local)`,
      value: `${many.perSecond.toFixed(0)}/s (${many.failed} gave up)`,
      baseline: `S = 1: ${one.perSecond.toFixed(0)}/s (${one.failed} gave up)`,
      ratio: ratio(many.perSecond, one.perSecond),
    });

    // Scatter-gather: a total reads all S write shards in one BatchGetItem.
    const reads = new Map<number, number>();
    for (const writeShards of [1, 8, 16, 50]) {
      const map = mapWith(writeShards);
      for (let w = 0; w < writeShards; w++)
        await counters.add(map, `fill-${writeShards}-${w}`, [{ key: `READ-${writeShards}`, amount: 1 }]);
      const samples: number[] = [];
      for (let i = 0; i < Math.min(SAMPLES, 200); i++) {
        const started = performance.now();
        await counters.total(map, `READ-${writeShards}`);
        samples.push(performance.now() - started);
      }
      reads.set(writeShards, percentile(samples, 50));
    }
    log(`total() p50 by S: ${[...reads].map(([w, v]) => `S=${w} ${ms(v)}`).join(', ')}`);
    for (const writeShards of [8, 16, 50]) {
      rows.push({
        figure: `sales read (scatter-gather) p50, S = ${writeShards}`,
        value: ms(reads.get(writeShards)!),
        baseline: `S = 1: ${ms(reads.get(1)!)}`,
        ratio: ratio(reads.get(writeShards)!, reads.get(1)!),
      });
    }
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}
