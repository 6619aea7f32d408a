import { createHmac, timingSafeEqual } from 'node:crypto';
import { hasBrand } from './brand.ts';
import { EightfoldError } from './errors.ts';

/** Opaque pagination cursors: a DynamoDB LastEvaluatedKey as base64url JSON. */
export function formatCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

/** A cursor we did not issue, one a client edited, or one issued for another list. */
export class InvalidCursorError extends EightfoldError<'INVALID_CURSOR', { cursor: string }> {
  override name = 'InvalidCursorError';
  readonly isInvalidCursorError = true;
  readonly code = 'INVALID_CURSOR';

  constructor(cursor: string) {
    // Only its length: the text is the caller's, and may be anything.
    super('The cursor is not one this API issued for this list', { cursor: `${cursor.length} characters` });
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

/** HMAC-SHA-256, cut to 128 bits: forging one is still 2^128 guesses, and the cursor stays short. */
const MAC_BYTES = 16;

/**
 * Cursors a client cannot forge or move: each is the inner cursor (a store's own) with an HMAC over it and
 * the list it pages (its `scope`, say the route and the id in its path). A cursor edited, made up, or
 * issued for another list fails `open` with InvalidCursorError, before it reaches a store as a start key.
 * The key is loaded once, when first needed (a secret, on AWS); a new key invalidates the cursors out
 * there, which then restart their list.
 */
export class CursorSeal {
  private key: Promise<Buffer> | undefined;
  private readonly loadKey: () => Promise<Buffer>;

  constructor(loadKey: () => Promise<Buffer>) {
    this.loadKey = loadKey;
  }

  async seal(scope: string, inner: string | undefined): Promise<string | undefined> {
    return inner === undefined ? undefined : `${inner}.${await this.mac(scope, inner)}`;
  }

  /** The inner cursor a sealed one stands for; undefined (from the start) for none. */
  async open(scope: string, sealed: string | undefined): Promise<string | undefined> {
    if (!sealed) return undefined;
    const dot = sealed.lastIndexOf('.');
    if (dot <= 0) throw new InvalidCursorError(sealed);
    const inner = sealed.slice(0, dot);
    // Compared as text: base64url decoding would let a changed padding bit through.
    const given = Buffer.from(sealed.slice(dot + 1));
    const expected = Buffer.from(await this.mac(scope, inner));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError(sealed);
    return inner;
  }

  private async mac(scope: string, inner: string): Promise<string> {
    this.key ??= this.loadKey().catch((error: unknown) => {
      this.key = undefined; // the next request tries again
      throw error;
    });
    return createHmac('sha256', await this.key)
      .update(scope)
      .update('\0')
      .update(inner)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}
