import { hasBrand } from '../../kernel/brand.ts';
import { EightfoldError } from '../../kernel/errors.ts';

/** The target could not be reached after the retries the policy and budget allowed. */
export class OutboundError extends EightfoldError<'OUTBOUND_FAILED', { target: string; status?: number }> {
  override name = 'OutboundError';
  readonly isOutboundError = true;
  readonly code = 'OUTBOUND_FAILED';

  constructor(target: string, message: string, status?: number, options?: ErrorOptions) {
    super(`${target}: ${message}`, { target, ...(status !== undefined ? { status } : {}) }, options);
  }
}

export const isOutboundError = (error: unknown): error is OutboundError => hasBrand(error, 'isOutboundError');
