/** The queries function, composed: its settings read once, the query use cases' dependencies, and the cursors' seal. */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { CursorSeal } from '../kernel/cursor.ts';
import { ENV } from '../platform/environment.ts';
import type { OrderQueryDeps } from '../use-cases/order-queries.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from './event-store.ts';
import { notificationsTable, ordersView } from './read-models.ts';
import { SALES_SETTINGS, salesCounters } from './sales.ts';
import { readSettings, text, whole } from './settings.ts';
import { currentShardMap, SHARD_MAP_SETTINGS } from './shards.ts';

const settings = readSettings({
  ...EVENT_STORE_SETTINGS,
  ...SHARD_MAP_SETTINGS,
  ...SALES_SETTINGS,
  ordersViewTable: [ENV.readModel.ordersView, text],
  notificationsTable: [ENV.notifications.table, text],
  /** How long `?minVersion=N` waits for the projection to catch up before answering 503 VIEW_BEHIND. */
  minVersionWaitMs: [ENV.readModel.minVersionWaitMs, whole.default(2_000)],
  cursorKeySecret: [ENV.api.cursorKeySecret, text],
});
const counters = salesCounters(settings);
const shardMap = currentShardMap(settings, 'reads');
export const deps: OrderQueryDeps = {
  store: orderEventStore(settings),
  views: ordersView(settings.ordersViewTable),
  notifications: notificationsTable(settings.notificationsTable),
  sales: { unitsSold: async (sku) => counters.total(await shardMap(), sku) },
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  minVersionWaitMs: settings.minVersionWaitMs,
};

/** Signs the cursors this function issues, and refuses any it did not (its key read once, then cached). */
export const cursors = new CursorSeal(async () =>
  Buffer.from((await getSecret(settings.cursorKeySecret, { maxAge: 24 * 3600 })) as string),
);
