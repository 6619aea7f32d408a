/** The legacy-capture function, composed: its settings read once, the event store, legacy's changes through the ambassador, the checkpoint. */
import { leaseCheckpoint } from '../patterns/leader-election/index.ts';
import { routingTableSchema } from '../patterns/strangler/index.ts';
import { documentClient } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';
import { legacyChangesReader, writeOwnersOf } from '../use-cases/legacy-import.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from './event-store.ts';
import { LEASE_SETTINGS } from './leader-turn.ts';
import { outbound, OUTBOUND_SETTINGS } from './outbound.ts';
import { json, readSettings, whole } from './settings.ts';

export const settings = readSettings({
  ...EVENT_STORE_SETTINGS,
  ...OUTBOUND_SETTINGS,
  ...LEASE_SETTINGS,
  routes: [ENV.strangler.routingTable, json(routingTableSchema)],
  turnMs: [ENV.legacyCapture.turnMs, whole],
  pollMs: [ENV.legacyCapture.pollMs, whole],
  overlapMs: [ENV.legacyCapture.overlapMs, whole],
});

const legacy = outbound(settings).ambassadorFor('legacy');

/** What capture works with: the store, legacy's changes, who owns each route's writes, the checkpoint. */
export const capture = {
  store: orderEventStore(settings),
  now: () => new Date(),
  ownerOf: writeOwnersOf(settings.routes),
  readChanges: legacyChangesReader((request) => legacy.send(request)),
  // Beside its lease: `name` = the lease, `entry` = checkpoint.
  checkpoint: leaseCheckpoint({ client: documentClient, tableName: settings.leasesTable, name: settings.leaseName }),
};
