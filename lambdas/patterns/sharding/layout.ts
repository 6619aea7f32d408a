import { shardOf } from './hashing.ts';

/** The one shard map the whole service routes by: the sales counters and the orders view. */
export const SHARD_MAP = 'eightfold';

/** The counters' by-shard index: partition key `shard`, sort key `updatedAt`, carrying what load reports and reshards read. */
export const COUNTERS_BY_SHARD_INDEX = 'byShard';
export const COUNTERS_BY_SHARD_INCLUDES = ['key', 'writeShard', 'increments'];

/**
 * Where write shard `writeShard` of counter `key` lives. The key's own shard (jump hash) holds write shard
 * 0; the others follow a stride apart around the N shards, so a hot key's S items sit on S distinct shards
 * (on every shard alike when S ≥ N) instead of wherever S independent hashes happen to fall. The shard
 * leads the item's key, as a shard's own store would.
 */
export function counterItem(
  map: { readonly shards: number; readonly writeShards: number },
  key: string,
  writeShard: number,
): { pk: string; shard: number } {
  const stride = Math.max(1, Math.floor(map.shards / map.writeShards));
  const shard = (shardOf(map, key) + writeShard * stride) % map.shards;
  return { pk: `s${String(shard).padStart(3, '0')}#${key}#w${writeShard}`, shard };
}
