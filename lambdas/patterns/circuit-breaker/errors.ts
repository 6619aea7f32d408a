import { hasBrand } from '../../kernel/brand.ts';
import type { BreakerStateName } from './types.ts';

/** Thrown instead of calling a dependency whose breaker is open: fail fast, retry after `retryAfterMs`. */
export class BrokenCircuitError extends Error {
  override name = 'BrokenCircuitError';
  readonly isBrokenCircuitError = true;
  readonly breaker: string;
  readonly state: BreakerStateName;
  /** Until the next probe may go out (OPEN), or a suggestion when that is not known (FORCED_OPEN, probes in flight). */
  readonly retryAfterMs: number;

  constructor(breaker: string, state: BreakerStateName, retryAfterMs: number) {
    super(`Circuit ${breaker} is ${state}; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.breaker = breaker;
    this.state = state;
    this.retryAfterMs = retryAfterMs;
  }
}

export const isBrokenCircuitError = (error: unknown): error is BrokenCircuitError => hasBrand(error, 'isBrokenCircuitError');
