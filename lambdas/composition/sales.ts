import { ShardedCounters } from '../patterns/sharding/index.ts';
import { documentClient } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';
import { text } from './settings.ts';

export const SALES_SETTINGS = { salesCountersTable: [ENV.sharding.counters, text] } as const;

/** Units sold per SKU: write-sharded counters. */
export const salesCounters = (settings: { readonly salesCountersTable: string }) =>
  new ShardedCounters({ client: documentClient, tableName: settings.salesCountersTable });
