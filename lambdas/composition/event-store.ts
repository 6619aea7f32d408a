import { CURRENT_SCHEMA_VERSION, orderUpcasters } from '../domain/orders/index.ts';
import { EventStore } from '../patterns/event-sourcing/index.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';

/** The order event store every handler shares: one configuration, one place. */
export const orderEventStore = new EventStore({
  client: documentClient,
  tableName: requireEnv(ENV.eventStore.table),
  upcasters: orderUpcasters,
  schemaVersions: CURRENT_SCHEMA_VERSION,
  snapshotEvery: Number(process.env[ENV.eventStore.snapshotEvery] ?? 50),
});
