import { hasBrand } from '../../kernel/brand.ts';
import { EightfoldError } from '../../kernel/errors.ts';

/** A write refused because a newer leader has written to the resource: the writer's lease is stale. */
export class StaleFencingTokenError extends EightfoldError<'STALE_FENCING_TOKEN', { resource: string; fencingToken: number }> {
  override name = 'StaleFencingTokenError';
  readonly isStaleFencingTokenError = true;
  readonly code = 'STALE_FENCING_TOKEN';

  constructor(resource: string, fencingToken: number, options?: ErrorOptions) {
    super(`Fencing token ${fencingToken} is older than the newest one ${resource} has seen`, { resource, fencingToken }, options);
  }
}

export const isStaleFencingTokenError = (error: unknown): error is StaleFencingTokenError => hasBrand(error, 'isStaleFencingTokenError');
