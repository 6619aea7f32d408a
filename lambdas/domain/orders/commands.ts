import { v5 as uuidv5 } from 'uuid';
import type { OrderImported } from './events.ts';
import type { CancellationReason, OrderItem, OrderStatus } from './types.ts';

/**
 * What someone asks of an order, in the imperative. `now` comes in with the command: the decider reads no
 * clock, so its tests fix time and replays are deterministic.
 */
export type OrderCommand =
  | Readonly<{ type: 'PlaceOrder'; data: { orderId: string; customerId: string; items: readonly OrderItem[] }; now: string }>
  | Readonly<{ type: 'RequestPayment'; data: { orderId: string; paymentKey: string }; now: string }>
  | Readonly<{ type: 'RecordPayment'; data: { orderId: string; paymentKey: string; outcome: PaymentOutcome }; now: string }>
  | Readonly<{ type: 'RecordRefund'; data: { orderId: string; chargeId: string; refundId: string }; now: string }>
  | Readonly<{ type: 'CancelOrder'; data: { orderId: string; reason: CancellationReason }; now: string }>
  | Readonly<{ type: 'ShipOrder'; data: { orderId: string }; now: string }>
  | Readonly<{ type: 'ImportOrder'; data: ImportedOrder; now: string }>
  | Readonly<{ type: 'TakeLegacyChange'; data: LegacyChange; now: string }>;

/** An order as legacy holds it at revision `legacyRev`, in Eightfold's terms (the anti-corruption layer translates). */
export type ImportedOrder = Omit<OrderImported, 'importedAt'>;

/** One revision legacy made to an order Eightfold holds: the status it gave it, when, and who owned that route's writes. */
export interface LegacyChange {
  readonly orderId: string;
  readonly legacyRev: number;
  readonly status: OrderStatus;
  readonly at: string;
  readonly owner: 'eightfold' | 'legacy';
}

/** The charge id of a payment legacy took: legacy holds that money. */
export const legacyChargeOf = (orderId: string): string => `legacy:${orderId}`;

/**
 * What the payment provider said of an attempt, obtained before deciding (the decider makes no calls):
 * approved, declined, or (asked by key, after the reconciler's bound) no charge at all.
 */
export type PaymentOutcome =
  | Readonly<{ status: 'APPROVED'; paymentId: string; amountCents: number }>
  | Readonly<{ status: 'DECLINED'; reason: string }>
  | Readonly<{ status: 'NOT_FOUND' }>;

export type OrderCommandType = OrderCommand['type'];

/** The provider's idempotency key of the payment attempt made at an order's version: unique per attempt. */
export const paymentKeyOf = (orderId: string, version: number): string => `${orderId}:v${version}`;

/** The provider's idempotency key of a charge's refund: one refund per charge, however often it is asked. */
export const refundKeyOf = (chargeId: string): string => `refund:${chargeId}`;

/** The UUIDv5 namespace of keyed orders' ids. */
const KEYED_ORDER_NAMESPACE = '6f1b7c1e-6a43-4c53-9a3e-8f0d8c6e2b11';

/**
 * The id of the order a customer's Idempotency-Key places: the same key names the same order, whichever
 * attempt places it. Keys are the customer's own: another customer's same key names another order, so no
 * one can guess a key into someone else's order (or be refused for someone else's use of it).
 */
export const orderIdForKey = (customerId: string, idempotencyKey: string): string =>
  uuidv5(`${customerId}\n${idempotencyKey}`, KEYED_ORDER_NAMESPACE);
