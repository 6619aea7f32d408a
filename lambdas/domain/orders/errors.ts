import { hasBrand } from '../../kernel/brand.ts';
import { EightfoldError } from '../../kernel/errors.ts';
import type { OrderCommandType } from './commands.ts';
import type { OrderStatus } from './types.ts';

/** Domain error codes, one table: handlers map each to an HTTP status in one place. */
export const ORDER_ERROR_CODES = {
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  ORDER_ALREADY_EXISTS: 'ORDER_ALREADY_EXISTS',
  ILLEGAL_TRANSITION: 'ILLEGAL_TRANSITION',
  PAYMENT_IN_PROGRESS: 'PAYMENT_IN_PROGRESS',
} as const;
export type OrderErrorCode = (typeof ORDER_ERROR_CODES)[keyof typeof ORDER_ERROR_CODES];

/** Thrown by `decide` when a command is not allowed in the order's current state. */
export class OrderDomainError extends EightfoldError<OrderErrorCode, { orderId: string; command: OrderCommandType; status?: OrderStatus }> {
  override readonly name = 'OrderDomainError';
  readonly isOrderDomainError = true;
  readonly code: OrderErrorCode;

  constructor(code: OrderErrorCode, message: string, context: OrderDomainError['context']) {
    super(message, context);
    this.code = code;
  }
}

export function isOrderDomainError(error: unknown): error is OrderDomainError {
  return hasBrand(error, 'isOrderDomainError');
}
