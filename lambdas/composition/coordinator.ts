/** The coordinator function, composed: its settings read once, the event store, the provider, the timeout job's dependencies. */
import { ENV } from '../platform/environment.ts';
import { documentClient } from '../platform/clients.ts';
import { httpPaymentProvider } from '../use-cases/payment-provider.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from './event-store.ts';
import { unpaidOrdersPlacedBefore } from './orders-view.ts';
import { outbound, OUTBOUND_SETTINGS } from './outbound.ts';
import { LEASE_SETTINGS } from './leader-turn.ts';
import { readSettings, text, whole } from './settings.ts';

export const settings = readSettings({
  ...EVENT_STORE_SETTINGS,
  ...OUTBOUND_SETTINGS,
  ...LEASE_SETTINGS,
  viewTable: [ENV.readModel.ordersView, text],
  paymentTimeoutMs: [ENV.payments.timeoutMs, whole],
  reconcileAfterMs: [ENV.payments.reconcileAfterMs, whole],
});
export const store = orderEventStore(settings);
export const paymentProvider = httpPaymentProvider(outbound(settings).ambassadorFor('payment-provider'));

/** What the payment-timeout job works with. */
export const job = {
  store,
  findUnpaid: (placedBefore: string) => unpaidOrdersPlacedBefore(documentClient, settings.viewTable, placedBefore),
  fenceTable: settings.leasesTable,
  timeoutMs: settings.paymentTimeoutMs,
  now: () => new Date(),
};
