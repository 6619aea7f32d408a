import { ShardedCounters, ShardMapStore, type ShardMap } from '../patterns/sharding/index.ts';
import { documentClient, requireEnv } from './clients.ts';

/** The shard map every sales reader and writer routes by (the deployment's N and S until a reshard moves it). */
export const SALES_MAP = 'sales';

const shardMaps = new ShardMapStore({ client: documentClient, tableName: requireEnv('SHARD_MAPS_TABLE') });
const defaults = { shards: Number(requireEnv('DEFAULT_SHARDS')), writeShards: Number(requireEnv('DEFAULT_WRITE_SHARDS')) };

export const salesShardMap = (): Promise<ShardMap> => shardMaps.current(SALES_MAP, defaults);

/** Units sold per SKU: write-sharded counters. */
export const salesCounters = new ShardedCounters({ client: documentClient, tableName: requireEnv('SALES_COUNTERS_TABLE') });
