import { ShardedCounters } from '../patterns/sharding/index.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';

/** Units sold per SKU: write-sharded counters. */
export const salesCounters = new ShardedCounters({ client: documentClient, tableName: requireEnv('SALES_COUNTERS_TABLE') });
