import { SHARD_MAP, ShardMapStore, type ShardMap } from '../patterns/sharding/index.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';

const shardMaps = new ShardMapStore({
  client: documentClient,
  tableName: requireEnv('SHARD_MAPS_TABLE'),
  cacheMs: Number(requireEnv('SHARD_MAP_CACHE_MS')),
});
const defaults = { shards: Number(requireEnv('DEFAULT_SHARDS')), writeShards: Number(requireEnv('DEFAULT_WRITE_SHARDS')) };

/** The current map (cached SHARD_MAP_CACHE_MS, 10 s by default; the deployment's N and S until a reshard moves it). */
export const currentShardMap = (): Promise<ShardMap> => shardMaps.current(SHARD_MAP, defaults);
