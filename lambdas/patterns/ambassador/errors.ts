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

/**
 * A target's policy sends its secret to a host the secret does not belong to (its base URL changed in the
 * policy parameter): refused before the secret is read, never sent.
 */
export class UnpinnedHostError extends EightfoldError<'SECRET_HOST_NOT_PINNED', { target: string; host: string; pinned?: string }> {
  override name = 'UnpinnedHostError';
  readonly code = 'SECRET_HOST_NOT_PINNED';

  constructor(target: string, host: string, pinned: string | undefined) {
    super(`${target}: its secret belongs to ${pinned ?? 'no host'}, not ${host}; refused`, { target, host, ...(pinned ? { pinned } : {}) });
  }
}

export const isOutboundError = (error: unknown): error is OutboundError => hasBrand(error, 'isOutboundError');
