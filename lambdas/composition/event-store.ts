import { CURRENT_SCHEMA_VERSION, orderUpcasters } from '../domain/orders/index.ts';
import { EventStore } from '../patterns/event-sourcing/index.ts';
import { documentClient } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';
import { text, whole, type SettingsOf } from './settings.ts';

/** What the order event store is built from (the event store construct sets both). */
export const EVENT_STORE_SETTINGS = {
  eventsTable: [ENV.eventStore.table, text],
  snapshotEvery: [ENV.eventStore.snapshotEvery, whole.default(50)],
} as const;

/** The order event store: its table, the order upcasters and schema versions, a snapshot every so many events. */
export const orderEventStore = (settings: SettingsOf<typeof EVENT_STORE_SETTINGS>) =>
  new EventStore({
    client: documentClient,
    tableName: settings.eventsTable,
    upcasters: orderUpcasters,
    schemaVersions: CURRENT_SCHEMA_VERSION,
    snapshotEvery: settings.snapshotEvery,
  });
