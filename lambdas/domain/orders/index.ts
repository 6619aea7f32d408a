export {
  legacyChargeOf,
  orderIdForKey,
  paymentKeyOf,
  refundKeyOf,
  type ImportedOrder,
  type LegacyChange,
  type OrderCommand,
  type OrderCommandType,
  type PaymentOutcome,
} from './commands.ts';
export { decide, evolve, fold, initialState, orderDecider } from './decider.ts';
export { isOrderDomainError, ORDER_ERROR_CODES, OrderDomainError, type OrderErrorCode } from './errors.ts';
export { CURRENT_SCHEMA_VERSION, type OrderEvent, type OrderEventType } from './events.ts';
export {
  chargedCents,
  NO_PAYMENT,
  openSince,
  paymentStatusOf,
  paymentSummaryOf,
  pendingRefunds,
  refundedCents,
  type PaymentSummary,
} from './payment.ts';
export {
  ORDER_STATUS,
  type PaymentLedger,
  type PaymentStatus,
  type RefundReason,
  type CancellationReason,
  type ExistingOrder,
  type OrderItem,
  type OrderState,
  type OrderStatus,
} from './types.ts';
export {
  AWAITING_PAYMENT,
  AWAITING_PAYMENT_INDEX,
  OPEN_PAYMENTS_INDEX,
  PAYMENT_OPEN,
  viewRowAfter,
  VIEW_BY_CUSTOMER_INDEX,
  toOrderResponse,
  type OrderResponse,
  type OrderViewRow,
  type RecordedOrderEvent,
} from './projections.ts';
export { orderUpcasters } from './upcasters.ts';
export { CUSTOMER_FACING_EVENTS, isCustomerFacing, NOTIFIER_EVENTS, notificationText, type CustomerFacingEvent } from './notifications.ts';
export {
  domainEventOf,
  messageCorrelationId,
  orderEventMessageSchema,
  toOrderEventMessage,
  type OrderEventMessage,
} from './event-message.ts';
