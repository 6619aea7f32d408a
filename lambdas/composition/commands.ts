/** The commands function, composed: its settings read once, and the order and payment use cases' dependencies. */
import { v7 as uuidv7 } from 'uuid';
import type { OrderCommandDeps } from '../use-cases/orders.ts';
import { httpPaymentProvider } from '../use-cases/payment-provider.ts';
import type { PaymentDeps } from '../use-cases/payments.ts';
import { EVENT_STORE_SETTINGS, orderEventStore } from './event-store.ts';
import { outbound, OUTBOUND_SETTINGS } from './outbound.ts';
import { readSettings } from './settings.ts';

const settings = readSettings({ ...EVENT_STORE_SETTINGS, ...OUTBOUND_SETTINGS });
const store = orderEventStore(settings);

export const orders: OrderCommandDeps = { store, now: () => new Date(), newId: uuidv7 };
export const payments: PaymentDeps = {
  store,
  provider: httpPaymentProvider(outbound(settings).ambassadorFor('payment-provider')),
  now: orders.now,
};
