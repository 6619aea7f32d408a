/**
 * The queries: an order from the read model (waiting a bounded time for read-your-writes), its events and
 * its past from the event store, a customer's orders and notifications a page at a time, a product's sales
 * from the sharded counter. The read models are ports; the handler passes in their DynamoDB adapters.
 */
import { EightfoldError } from '../kernel/errors.ts';
import { orderDecider, toOrderEventMessage, type OrderEventMessage, type OrderViewRow } from '../domain/orders/index.ts';
import type { EventStore } from '../patterns/event-sourcing/index.ts';
import type { Caller } from '../kernel/caller.ts';
import { mayActFor } from './access.ts';

/** A page of a customer's items, newest first; `nextCursor` while more remain. */
export interface Page<Item> {
  readonly items: Item[];
  readonly nextCursor?: string;
}
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

export interface Notification {
  readonly notificationId: string;
  readonly orderId: string;
  readonly type: string;
  readonly version: number;
  readonly text: string;
  readonly createdAt: string;
}

export interface OrderQueryDeps {
  readonly store: EventStore;
  readonly views: {
    /** The view row, read consistently (it follows the event store by the projector's lag). */
    get(orderId: string): Promise<OrderViewRow | undefined>;
    byCustomer(customerId: string, page: PageRequest): Promise<Page<OrderViewRow>>;
  };
  readonly notifications: { byCustomer(customerId: string, page: PageRequest): Promise<Page<Notification>> };
  readonly sales: { unitsSold(sku: string): Promise<{ total: number; writeShards: number }> };
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** How long `minVersion` waits for the projection to catch up. */
  readonly minVersionWaitMs: number;
}

/** No order has this id (or none yet, in the read model's eyes). */
export class OrderNotFoundError extends EightfoldError<'ORDER_NOT_FOUND', { orderId: string }> {
  override readonly name = 'OrderNotFoundError';
  readonly code = 'ORDER_NOT_FOUND';

  constructor(orderId: string) {
    super(`No order ${orderId}`, { orderId });
  }
}

/** No customer has this id, as far as the caller may know (another customer's lists answer the same). */
export class CustomerNotFoundError extends EightfoldError<'CUSTOMER_NOT_FOUND', { customerId: string }> {
  override readonly name = 'CustomerNotFoundError';
  readonly code = 'CUSTOMER_NOT_FOUND';

  constructor(customerId: string) {
    super(`No customer ${customerId}`, { customerId });
  }
}

/** The order exists, but has not reached the version asked for. */
export class VersionNotFoundError extends EightfoldError<'VERSION_NOT_FOUND', { orderId: string; currentVersion: number }> {
  override readonly name = 'VersionNotFoundError';
  readonly code = 'VERSION_NOT_FOUND';

  constructor(orderId: string, currentVersion: number) {
    super(`Order ${orderId} has only ${currentVersion} versions`, { orderId, currentVersion });
  }
}

/** The read model has not caught up with the version the caller wrote, within the wait. */
export class ViewBehindError extends EightfoldError<'VIEW_BEHIND', { viewVersion: number; minVersion: number }> {
  override readonly name = 'ViewBehindError';
  readonly code = 'VIEW_BEHIND';

  constructor(viewVersion: number, minVersion: number) {
    super(`The read model reflects version ${viewVersion} of this order, not yet ${minVersion}; retry shortly`, {
      viewVersion,
      minVersion,
    });
  }
}

/** How often a read-your-writes wait reads the view again. */
const POLL_MS = 50;

/** The projected order; with `minVersion`, once the view shows at least that version (or ViewBehindError). */
export async function getOrder(
  deps: OrderQueryDeps,
  input: { orderId: string; minVersion?: number; caller?: Caller },
): Promise<OrderViewRow> {
  const { orderId, minVersion = 0, caller } = input;
  const deadline = deps.now().getTime() + (minVersion ? deps.minVersionWaitMs : 0);
  let row = await deps.views.get(orderId);
  // Another customer's order is unknown to this one, whatever version they ask for.
  if (row && caller && !mayActFor(caller, row.customerId)) throw new OrderNotFoundError(orderId);
  while ((row?.version ?? 0) < minVersion && deps.now().getTime() < deadline) {
    await deps.sleep(POLL_MS);
    row = await deps.views.get(orderId);
  }
  if ((row?.version ?? 0) < minVersion) throw new ViewBehindError(row?.version ?? 0, minVersion);
  if (!row) throw new OrderNotFoundError(orderId);
  return row;
}

/** The order's events, oldest first, from the event store itself. */
export async function orderEvents(
  deps: OrderQueryDeps,
  input: { orderId: string; caller?: Caller } & PageRequest,
): Promise<Page<OrderEventMessage>> {
  if (input.caller?.role === 'customer') {
    // Its placement names its customer: read first, whichever page is asked for.
    const placed = (await deps.store.read(input.orderId, { toVersion: 1, limit: 1 })).events[0];
    if (!mayActFor(input.caller, (placed?.data as { customerId?: string } | undefined)?.customerId))
      throw new OrderNotFoundError(input.orderId);
  }
  const page = await deps.store.read(input.orderId, { limit: input.limit, cursor: input.cursor });
  if (page.events.length === 0 && !input.cursor) throw new OrderNotFoundError(input.orderId);
  return { items: page.events.map(toOrderEventMessage), nextCursor: page.nextCursor };
}

/** The order as it was after event `version` (time travel). */
export async function orderAt(deps: OrderQueryDeps, input: { orderId: string; version: number; caller?: Caller }) {
  const { state, version } = await deps.store.load(input.orderId, { ...orderDecider, toVersion: input.version });
  if (state.status === 'NONE' || (input.caller && !mayActFor(input.caller, state.customerId))) throw new OrderNotFoundError(input.orderId);
  if (version < input.version) throw new VersionNotFoundError(input.orderId, version);
  return { ...state, version };
}

/** Refuses a customer another customer's lists, as if that customer did not exist. */
function admitCustomer(caller: Caller | undefined, customerId: string): void {
  if (caller && !mayActFor(caller, customerId)) throw new CustomerNotFoundError(customerId);
}

export async function customerOrders(deps: OrderQueryDeps, input: { customerId: string; caller?: Caller } & PageRequest) {
  admitCustomer(input.caller, input.customerId);
  return deps.views.byCustomer(input.customerId, input);
}

export async function customerNotifications(deps: OrderQueryDeps, input: { customerId: string; caller?: Caller } & PageRequest) {
  admitCustomer(input.caller, input.customerId);
  return deps.notifications.byCustomer(input.customerId, input);
}

/** Units sold (placed minus cancelled), gathered from the counter's write shards, as of now. */
export async function unitsSold(deps: OrderQueryDeps, sku: string) {
  const { total, writeShards } = await deps.sales.unitsSold(sku);
  return { sku, unitsSold: total, shards: writeShards, asOf: deps.now().toISOString() };
}
