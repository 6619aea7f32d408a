import { createHash } from 'node:crypto';

/** A key's 64-bit hash (MD5's first 8 bytes): uniform, stable across processes and releases. */
export function hash64(key: string): bigint {
  return createHash('md5').update(key).digest().readBigUInt64BE(0);
}

const MULTIPLIER = 2862933555777941757n;
const TWO_POW_31 = 2 ** 31;

/**
 * Jump consistent hash (Lamping & Veach, 2014): the bucket of `key` among `buckets`, with no table to
 * keep, a perfectly even spread, and N → N+1 moving exactly the keys that land in the new bucket (1/(N+1)
 * of them, in expectation). Buckets can only be added or removed at the end, which is how shards grow.
 */
export function jumpHash(key: bigint, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`buckets must be a positive integer, got ${buckets}`);
  let k = key;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    k = BigInt.asUintN(64, k * MULTIPLIER + 1n);
    j = Math.floor(((b + 1) * TWO_POW_31) / (Number(k >> 33n) + 1));
  }
  return b;
}

/**
 * A consistent-hash ring with virtual nodes, the classic alternative: each shard owns `virtualNodes`
 * points on a 64-bit ring and a key goes to the next point clockwise. Kept for the bench's side-by-side
 * comparison with jump hashing.
 */
export class HashRing {
  private readonly points: bigint[];
  private readonly owners: number[];

  constructor(shards: number, virtualNodes = 160) {
    const entries: [bigint, number][] = [];
    for (let shard = 0; shard < shards; shard++) {
      for (let v = 0; v < virtualNodes; v++) entries.push([hash64(`shard-${shard}#vnode-${v}`), shard]);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.points = entries.map(([point]) => point);
    this.owners = entries.map(([, shard]) => shard);
  }

  shardOf(key: bigint): number {
    let low = 0;
    let high = this.points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.points[mid]! < key) low = mid + 1;
      else high = mid;
    }
    return this.owners[low === this.points.length ? 0 : low]!;
  }
}

/** Naive modulo hashing, the baseline: even, but N → N+1 moves almost every key. */
export const moduloHash = (key: bigint, buckets: number): number => Number(key % BigInt(buckets));

/** The shard of a key among a map's N shards. */
export const shardOf = (map: { readonly shards: number }, key: string): number => jumpHash(hash64(key), map.shards);
