import { SHARD_MAP, ShardMapStore, type ShardMap } from '../patterns/sharding/index.ts';
import { documentClient } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';
import { text, whole, type SettingsOf } from './settings.ts';

export const SHARD_MAP_SETTINGS = {
  shardMapsTable: [ENV.sharding.maps, text],
  shardMapCacheMs: [ENV.sharding.mapCacheMs, whole],
  defaultShards: [ENV.sharding.shards, whole],
  defaultWriteShards: [ENV.sharding.writeShards, whole],
} as const;

/**
 * The current shard map, cached `shardMapCacheMs` (10 s by default); the deployment's N and S until a
 * reshard moves it.
 */
export function currentShardMap(settings: SettingsOf<typeof SHARD_MAP_SETTINGS>): () => Promise<ShardMap> {
  const maps = new ShardMapStore({ client: documentClient, tableName: settings.shardMapsTable, cacheMs: settings.shardMapCacheMs });
  const defaults = { shards: settings.defaultShards, writeShards: settings.defaultWriteShards };
  return () => maps.current(SHARD_MAP, defaults);
}
