/**
 * The order commands other than payment (use-cases/payments.ts): place, cancel, ship. Each is a function of
 * its dependencies (the event store, the clock, the id generator) and its input; the decider decides, the
 * store appends under the expected version. A dry run (a strangler shadow) decides and answers, and
 * appends nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import { EightfoldError } from '../kernel/errors.ts';
import {
  ORDER_ERROR_CODES,
  OrderDomainError,
  orderDecider,
  orderIdForKey,
  paymentSummaryOf,
  type OrderCommand,
  type OrderStatus,
  type PaymentSummary,
} from '../domain/orders/index.ts';
import { handleCommand, isConcurrencyError, type EventMetadata, type EventStore } from '../patterns/event-sourcing/index.ts';
import type { Caller } from '../kernel/caller.ts';
import { mayActFor, requireOperator } from './access.ts';
import type { PlaceOrderBody } from './order-inputs.ts';

export interface OrderCommandDeps {
  readonly store: EventStore;
  readonly now: () => Date;
  /** A new order id (UUIDv7: time-ordered). */
  readonly newId: () => string;
}

/** An Idempotency-Key sent again with another body: the order it placed stands, this request is refused. */
export class IdempotencyKeyReusedError extends EightfoldError<'IDEMPOTENCY_KEY_REUSED', { orderId: string }> {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly code = 'IDEMPOTENCY_KEY_REUSED';

  constructor(orderId: string) {
    super('This Idempotency-Key was used with another request body', { orderId });
  }
}

export interface PlaceOrderInput {
  readonly customerId: string;
  readonly items: PlaceOrderBody['items'];
  readonly metadata: EventMetadata;
  readonly idempotencyKey?: string;
  readonly dryRun?: boolean;
}

/**
 * Places an order at version 1. With an idempotency key the order id is derived from the key, so the
 * conditional append that places the order is also the idempotency record, written in the same request:
 * however often the request is sent (concurrently, after a lost answer, after a crash between the append
 * and the answer) one order is placed; a repeat meets the stream it made and answers as the first did, and
 * a repeat with another body is refused.
 */
export async function placeOrder(deps: OrderCommandDeps, input: PlaceOrderInput): Promise<{ orderId: string; version: number }> {
  const { customerId, items, metadata, idempotencyKey, dryRun = false } = input;
  const orderId = idempotencyKey && !dryRun ? orderIdForKey(customerId, idempotencyKey) : deps.newId();
  const command: OrderCommand = { type: 'PlaceOrder', data: { orderId, customerId, items }, now: deps.now().toISOString() };
  try {
    const result = await handleCommand(deps.store, orderDecider, orderId, command, metadata, { expectedVersion: 0, dryRun });
    return { orderId, version: result.version };
  } catch (error) {
    if (!idempotencyKey || !isConcurrencyError(error)) throw error;
    const { events } = await deps.store.read(orderId, { toVersion: 1 });
    const placed = events[0];
    const data = placed?.data as Partial<PlaceOrderBody> | undefined;
    const sameRequest =
      placed?.metadata.idempotencyKey === idempotencyKey && data?.customerId === customerId && isDeepStrictEqual(data.items, items);
    if (!sameRequest) throw new IdempotencyKeyReusedError(orderId);
    return { orderId, version: 1 };
  }
}

/**
 * Refuses a caller an order that is not theirs, as if it did not exist (so no one learns that it does):
 * the same error the decider gives an unknown order. No caller: the system itself (a leader's job).
 */
export function admitCaller(caller: Caller | undefined, orderId: string, command: OrderCommand['type']) {
  return (state: { status: string; customerId?: string }): void => {
    if (!caller || state.status === 'NONE' || mayActFor(caller, state.customerId)) return;
    throw new OrderDomainError(ORDER_ERROR_CODES.ORDER_NOT_FOUND, `Order ${orderId} does not exist`, { orderId, command });
  };
}

export interface ChangeOrderInput {
  readonly orderId: string;
  /** Who asks: a customer may change their own orders only. */
  readonly caller?: Caller;
  readonly change: 'CancelOrder' | 'ShipOrder';
  /** The version the caller saw (If-Match): a newer one refuses the change. */
  readonly expectedVersion?: number;
  readonly metadata: EventMetadata;
  readonly dryRun?: boolean;
}

/** Cancels (at the customer's request) or ships an order; the order's status and payment afterwards. */
export async function changeOrder(
  deps: Pick<OrderCommandDeps, 'store' | 'now'>,
  input: ChangeOrderInput,
): Promise<{ version: number; status: OrderStatus | 'NONE'; payment?: PaymentSummary }> {
  const { orderId, change, expectedVersion, metadata, dryRun = false, caller } = input;
  if (change === 'ShipOrder' && caller) requireOperator(caller, 'ship an order');
  const now = deps.now().toISOString();
  const command: OrderCommand =
    change === 'CancelOrder'
      ? { type: change, data: { orderId, reason: 'CUSTOMER_REQUEST' }, now }
      : { type: change, data: { orderId }, now };
  const { state, version } = await handleCommand(deps.store, orderDecider, orderId, command, metadata, {
    expectedVersion,
    dryRun,
    admit: admitCaller(caller, orderId, change),
  });
  return { version, status: state.status, payment: state.status === 'NONE' ? undefined : paymentSummaryOf(state) };
}
