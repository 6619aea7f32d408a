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
 * reshard moves it. A function that writes by the map (`writes`) stores version 1 if it is the first; one
 * that only reads by it never writes the map (nor holds the grant to).
 */
export function currentShardMap(settings: SettingsOf<typeof SHARD_MAP_SETTINGS>, use: 'writes' | 'reads'): () => Promise<ShardMap> {
  const maps = new ShardMapStore({
    client: documentClient,
    tableName: settings.shardMapsTable,
    cacheMs: settings.shardMapCacheMs,
    readOnly: use === 'reads',
  });
  const defaults = { shards: settings.defaultShards, writeShards: settings.defaultWriteShards };
  return () => maps.current(SHARD_MAP, defaults);
}
