export { ReshardRefusedError, type ReshardRefusal } from './errors.ts';
export { hash64, HashRing, jumpHash, moduloHash, shardOf } from './hashing.ts';
export { COUNTERS_BY_SHARD_INCLUDES, COUNTERS_BY_SHARD_INDEX, counterItem, SHARD_MAP } from './layout.ts';
export {
  readShardCounts,
  ShardMapStore,
  shardsSpanned,
  type ShardMap,
  type ShardMapPhase,
  type ShardMapStoreOptions,
} from './shard-map.ts';
export {
  mergeSorted,
  readSpreadPage,
  spreadKeyOf,
  spreadKeysOf,
  type SpreadPage,
  type SpreadPageRequest,
  type SpreadPosition,
} from './spread-key.ts';
export { ShardedCounters, type CounterDelta, type CounterTotal, type ShardedCountersOptions } from './sharded-counter.ts';
export { maxOverMean, shardLoad, type LoadQuery, type LoadReport, type ShardLoad } from './shard-load.ts';
export {
  planReshard,
  reshard,
  shardedCounters,
  shardedView,
  type DataPlan,
  type ReshardOptions,
  type ReshardPlan,
  type ReshardReport,
  type ShardedData,
  type ShardedItem,
} from './reshard.ts';
