import { hasBrand } from '../../kernel/brand.ts';
import { EightfoldError } from '../../kernel/errors.ts';
import type { BreakerStateName } from './types.ts';

/**
 * Thrown instead of calling a dependency whose breaker is open: fail fast, retry after `retryAfterMs`
 * (until the next probe may go out when OPEN; a suggestion when that is not known: FORCED_OPEN, probes in flight).
 */
export class BrokenCircuitError extends EightfoldError<'CIRCUIT_OPEN', { breaker: string; state: BreakerStateName; retryAfterMs: number }> {
  override name = 'BrokenCircuitError';
  readonly isBrokenCircuitError = true;
  readonly code = 'CIRCUIT_OPEN';

  constructor(breaker: string, state: BreakerStateName, retryAfterMs: number) {
    super(`Circuit ${breaker} is ${state}; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { breaker, state, retryAfterMs });
  }
}

/** An operator's override lost the race to the breaker's own transitions every time it tried. */
export class BreakerContendedError extends EightfoldError<'BREAKER_CONTENDED', { breaker: string; attempts: number }> {
  override name = 'BreakerContendedError';
  readonly code = 'BREAKER_CONTENDED';

  constructor(breaker: string, attempts: number) {
    super(`Breaker ${breaker} kept changing; try again`, { breaker, attempts });
  }
}

export const isBrokenCircuitError = (error: unknown): error is BrokenCircuitError => hasBrand(error, 'isBrokenCircuitError');
