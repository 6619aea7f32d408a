import { hasBrand } from './brand.ts';
import { EightfoldError } from './errors.ts';

/** Opaque pagination cursors: a DynamoDB LastEvaluatedKey as base64url JSON. */
export function formatCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

/** A cursor we did not issue (or one a client edited). */
export class InvalidCursorError extends EightfoldError<'INVALID_CURSOR', { cursor: string }> {
  override name = 'InvalidCursorError';
  readonly isInvalidCursorError = true;
  readonly code = 'INVALID_CURSOR';

  constructor(cursor: string) {
    super('The cursor is not one this API issued', { cursor });
  }
}

export const isInvalidCursorError = (error: unknown): error is InvalidCursorError => hasBrand(error, 'isInvalidCursorError');

/** The key a cursor stands for (undefined: from the start); InvalidCursorError for text that is not one of ours. */
export function parseCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key !== null && typeof key === 'object' && !Array.isArray(key)) return key as Record<string, unknown>;
  } catch {
    // not base64url JSON: refused below
  }
  throw new InvalidCursorError(cursor);
}
