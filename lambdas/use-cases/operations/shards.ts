import { shardsSpanned, type LoadReport, type ShardMap } from '../../patterns/sharding/index.ts';

export interface ShardOpsDeps {
  readonly shardMap: () => Promise<ShardMap>;
  /** Each of `shards` shards' load, recent (written since `since`) and in all. */
  readonly load: (shards: number, since: Date) => Promise<LoadReport>;
  readonly now: () => number;
}

/** Writes within this window count as recent, and their keys compete for hot. */
const RECENT_WINDOW_MS = 5 * 60_000;

/** The shard map, and each shard's load from the sales counters' by-shard index. */
export async function showShards(deps: ShardOpsDeps) {
  const map = await deps.shardMap();
  const since = new Date(deps.now() - RECENT_WINDOW_MS);
  const report = await deps.load(shardsSpanned(map), since);
  return { map, algorithm: 'jump consistent hash', recentSince: since.toISOString(), ...report };
}
