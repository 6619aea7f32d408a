/** The shard router's spread and movement, with uniform and Zipf-distributed keys. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  counterItem,
  hash64,
  HashRing,
  jumpHash,
  maxOverMean,
  mergeSorted,
  moduloHash,
  readSpreadPage,
  shardOf,
  spreadKeyOf,
  spreadKeysOf,
  type SpreadPosition,
} from '../../lambdas/patterns/sharding/index.ts';
import { zipfWeights } from '../helpers/distribution.ts';

const N = 16;
const S = 8;
const KEYS = Array.from({ length: 20_000 }, (_, i) => `SKU-${i}`);

describe('jump consistent hashing', () => {
  it('spreads uniform keys evenly: max/mean ≤ 1.3 at N = 16 (in fact within a few percent)', () => {
    const loads = new Array<number>(N).fill(0);
    for (const key of KEYS) loads[shardOf({ shards: N }, key)]!++;
    expect(maxOverMean(loads)).toBeLessThanOrEqual(1.05);
  });

  it('spreads Zipf (s = 1.1) traffic with max/mean ≤ 1.3 once each counter is split over S write shards', () => {
    // A counter's increments land on its S write shards evenly (chosen from event ids).
    for (const keys of [KEYS, KEYS.slice(0, 1000)]) {
      const weights = zipfWeights(keys.length);
      const loads = new Array<number>(N).fill(0);
      keys.forEach((key, i) => {
        for (let w = 0; w < S; w++) loads[counterItem({ shards: N, writeShards: S }, key, w).shard]! += weights[i]! / S;
      });
      expect(maxOverMean(loads)).toBeLessThanOrEqual(1.3);
    }
    // Without write sharding the hottest key alone outweighs the mean shard: that is what S is for.
    const weights = zipfWeights(KEYS.length);
    const unsplit = new Array<number>(N).fill(0);
    KEYS.forEach((key, i) => (unsplit[shardOf({ shards: N }, key)]! += weights[i]!));
    expect(maxOverMean(unsplit)).toBeGreaterThan(1.3);
  });

  it('moves close to 1/(N+1) of the keys when N grows to N+1 (within 10%), and only into the new shard', () => {
    for (const n of [4, 16, 31]) {
      const moved = KEYS.filter((key) => shardOf({ shards: n }, key) !== shardOf({ shards: n + 1 }, key));
      expect(moved.length / KEYS.length).toBeGreaterThan((1 / (n + 1)) * 0.9);
      expect(moved.length / KEYS.length).toBeLessThan((1 / (n + 1)) * 1.1);
      for (const key of moved) expect(shardOf({ shards: n + 1 }, key)).toBe(n);
    }
  });

  it('is the published algorithm: a single bucket takes everything, and results stay in range and stable', () => {
    expect(jumpHash(123456789n, 1)).toBe(0);
    for (const key of KEYS.slice(0, 1000)) {
      const shard = jumpHash(hash64(key), 10);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(10);
      expect(jumpHash(hash64(key), 10)).toBe(shard);
    }
    expect(() => jumpHash(1n, 0)).toThrow(/positive integer/);
  });
});

describe('the shard router, for any key and shard count (property-based)', () => {
  const key = fc.string({ unit: 'grapheme', maxLength: 64 });
  const shards = fc.integer({ min: 1, max: 4096 });

  it('routes every key to one shard in range, the same one every time', () => {
    fc.assert(
      fc.property(key, shards, (k, n) => {
        const shard = shardOf({ shards: n }, k);
        return Number.isInteger(shard) && shard >= 0 && shard < n && shardOf({ shards: n }, k) === shard;
      }),
    );
  });

  it('moves a key on N → N+1 only into the new shard, and on N → N+m only into new shards', () => {
    fc.assert(
      fc.property(key, shards, fc.integer({ min: 1, max: 64 }), (k, n, m) => {
        const before = shardOf({ shards: n }, k);
        const grown = shardOf({ shards: n + 1 }, k);
        const after = shardOf({ shards: n + m }, k);
        return (grown === before || grown === n) && (after === before || after >= n);
      }),
    );
  });

  it('puts a key’s write shards on distinct shards, min(S, N) of them', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 50 }), (k, n, s) => {
        const placed = new Set(Array.from({ length: s }, (_, w) => counterItem({ shards: n, writeShards: s }, k, w).shard));
        return placed.size === Math.min(s, n) && [...placed].every((shard) => shard >= 0 && shard < n);
      }),
    );
  });
});

describe('write shards', () => {
  it('put a key’s S write shards on S distinct shards, a stride apart, and on every shard when S ≥ N', () => {
    for (const key of KEYS.slice(0, 200)) {
      expect(new Set(Array.from({ length: S }, (_, w) => counterItem({ shards: N, writeShards: S }, key, w).shard)).size).toBe(S);
      expect(new Set(Array.from({ length: N }, (_, w) => counterItem({ shards: N, writeShards: N }, key, w).shard)).size).toBe(N);
    }
    expect(counterItem({ shards: N, writeShards: S }, 'LAMP', 3).pk).toMatch(/^s0\d\d#LAMP#w3$/);
  });
});

describe('the baselines the bench compares against', () => {
  it('modulo hashing moves about N/(N+1) of the keys on N → N+1; the ring with virtual nodes about 1/(N+1)', () => {
    const moduloMoved = KEYS.filter((key) => moduloHash(hash64(key), N) !== moduloHash(hash64(key), N + 1)).length / KEYS.length;
    expect(moduloMoved).toBeGreaterThan(0.9);
    const [before, after] = [new HashRing(N), new HashRing(N + 1)];
    const ringMoved = KEYS.filter((key) => before.shardOf(hash64(key)) !== after.shardOf(hash64(key))).length / KEYS.length;
    expect(ringMoved).toBeLessThan(2 / (N + 1));
  });
});

describe('a key spread over parts, read back as one list (readSpreadPage)', () => {
  /** Parts held in memory, each newest first, read a page of `pageSize` at a time; every read counted. */
  function spreadList(parts: Record<string, number[]>, pageSize: number) {
    const reads: string[] = [];
    const read = async function* (key: string, after: Readonly<Record<string, unknown>> | undefined) {
      const items = parts[key]!.map((n) => ({ part: key, n }));
      let at = after ? items.findIndex((item) => item.n === after.n) + 1 : 0;
      while (at < items.length) {
        reads.push(key);
        yield* items.slice(at, at + pageSize);
        at += pageSize;
      }
    };
    return { reads, read, positionOf: (item: { n: number }) => ({ n: item.n }), before: (a: { n: number }, b: { n: number }) => a.n > b.n };
  }

  it('pages through every item once, in one order across the parts, whatever the limit and however the items fall', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (numbers, partCount, limit, pageSize) => {
          const keys = spreadKeysOf('c1', partCount);
          const parts = Object.fromEntries(keys.map((key) => [key, [] as number[]]));
          for (const n of numbers) parts[spreadKeyOf('c1', String(n), partCount)]!.push(n);
          for (const key of keys) parts[key]!.sort((a, b) => b - a);
          const list = spreadList(parts, pageSize);
          const seen: number[] = [];
          let from: Record<string, SpreadPosition> | undefined;
          for (let page = 0; page <= numbers.length; page++) {
            const result = await readSpreadPage({ keys, from, limit, ...list });
            expect(result.items.length).toBeLessThanOrEqual(limit);
            seen.push(...result.items.map((item) => item.n));
            if (!result.next) break;
            expect(result.items).toHaveLength(limit);
            // A cursor travels as JSON.
            from = JSON.parse(JSON.stringify(result.next)) as Record<string, SpreadPosition>;
          }
          expect(seen).toEqual([...numbers].sort((a, b) => b - a));
        },
      ),
    );
  });

  it('reads a part no further than the page needs, and a part done never again', async () => {
    const keys = spreadKeysOf('c1', 2);
    const list = spreadList({ [keys[0]!]: [9, 8, 7, 6, 5, 4], [keys[1]!]: [3] }, 2);
    const first = await readSpreadPage({ keys, limit: 2, ...list });
    expect(first.items.map((item) => item.n)).toEqual([9, 8]);
    // One page of each part: the first holds the page and the item past it, the second its one item.
    expect(list.reads).toEqual([keys[0], keys[1], keys[0]]);
    expect(first.next).toEqual({ [keys[0]!]: { n: 8 } });
    list.reads.length = 0;
    const rest = await readSpreadPage({ keys, from: { ...first.next, [keys[1]!]: 'done' }, limit: 10, ...list });
    expect(rest.items.map((item) => item.n)).toEqual([7, 6, 5, 4]);
    expect(rest.next).toBeUndefined();
    expect(list.reads).not.toContain(keys[1]);
  });

  it('marks a part done once every item of it was taken, so the next page skips it', async () => {
    const keys = spreadKeysOf('c1', 2);
    const list = spreadList({ [keys[0]!]: [9, 1], [keys[1]!]: [5] }, 10);
    const first = await readSpreadPage({ keys, limit: 2, ...list });
    expect(first.items.map((item) => item.n)).toEqual([9, 5]);
    expect(first.next).toEqual({ [keys[0]!]: { n: 9 }, [keys[1]!]: 'done' });
  });

  it('merges sorted sources into one order (mergeSorted), each item with its source', async () => {
    async function* of(...items: number[]) {
      yield* items;
    }
    const merged: (readonly [number, number])[] = [];
    for await (const entry of mergeSorted([of(1, 4, 9), of(), of(2, 3, 10)], (a, b) => a < b)) merged.push(entry);
    expect(merged).toEqual([
      [0, 1],
      [2, 2],
      [2, 3],
      [0, 4],
      [0, 9],
      [2, 10],
    ]);
  });
});
