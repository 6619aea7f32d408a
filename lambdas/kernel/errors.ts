import { hasBrand } from './brand.ts';

/**
 * The base of every error Eightfold throws on purpose: a stable `code` that callers branch on and one
 * table maps to HTTP (platform/http-errors.ts), typed `context` that a log line carries whole, and the
 * `cause` it wraps, kept. Each pattern keeps its own errors in its `errors.ts`; type guards test brands,
 * not `instanceof`, which fails when one class reaches a process through two bundles.
 */
export abstract class EightfoldError<Code extends string = string, Context extends object = object> extends Error {
  readonly isEightfoldError = true;
  abstract readonly code: Code;
  readonly context: Readonly<Context>;

  constructor(message: string, context: Context, options?: ErrorOptions) {
    super(message, options);
    this.context = context;
  }
}

export const isEightfoldError = (error: unknown): error is EightfoldError => hasBrand(error, 'isEightfoldError');
