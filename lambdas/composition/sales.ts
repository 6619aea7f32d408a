import { ShardedCounters } from '../patterns/sharding/index.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';

/** Units sold per SKU: write-sharded counters. */
export const salesCounters = new ShardedCounters({ client: documentClient, tableName: requireEnv(ENV.sharding.counters) });
