import { SHARD_MAP, ShardMapStore, type ShardMap } from '../patterns/sharding/index.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';

const shardMaps = new ShardMapStore({
  client: documentClient,
  tableName: requireEnv(ENV.sharding.maps),
  cacheMs: Number(requireEnv(ENV.sharding.mapCacheMs)),
});
const defaults = { shards: Number(requireEnv(ENV.sharding.shards)), writeShards: Number(requireEnv(ENV.sharding.writeShards)) };

/** The current map (cached SHARD_MAP_CACHE_MS, 10 s by default; the deployment's N and S until a reshard moves it). */
export const currentShardMap = (): Promise<ShardMap> => shardMaps.current(SHARD_MAP, defaults);
