import { ShardedCounters } from '../patterns/sharding/index.ts';
import { documentClient } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';
import { text, type SettingsOf } from './settings.ts';

export const SALES_SETTINGS = { salesCountersTable: [ENV.sharding.counters, text] } as const;

/** Units sold per SKU: write-sharded counters. */
export const salesCounters = (settings: SettingsOf<typeof SALES_SETTINGS>) =>
  new ShardedCounters({ client: documentClient, tableName: settings.salesCountersTable });
