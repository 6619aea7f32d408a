/**
 * The legacy monolith's published contract, as far as Eightfold speaks it: its status codes, its money as
 * dollar strings, and one entry of its integration feed. The anti-corruption layer writes it; the legacy
 * stand-in reads it; neither knows the other.
 */
import * as z from 'zod';

/** Legacy's status codes, and the public statuses they stand for. */
export const LEGACY_STATUS = { N: 'PLACED', P: 'PAID', C: 'CANCELLED', S: 'SHIPPED' } as const;
export type LegacyStatusCode = keyof typeof LEGACY_STATUS;
const STATUS_CODES = Object.keys(LEGACY_STATUS) as [LegacyStatusCode, ...LegacyStatusCode[]];

/** Legacy stores money as dollar strings ("12.50"); the public API speaks integer cents. */
export const dollarsOf = (cents: number): string => `${Math.trunc(cents / 100)}.${String(Math.abs(cents % 100)).padStart(2, '0')}`;
export const centsOf = (dollars: string): number => {
  const [whole = '0', fraction = ''] = dollars.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
};

/** Legacy's widest amount: nine digits of dollars and two of cents (999,999,999.99). */
const DOLLAR_DIGITS = 9;
export const LEGACY_MAX_CENTS = 10 ** (DOLLAR_DIGITS + 2) - 1;
const dollarsSchema = z.string().regex(new RegExp(`^\\d{1,${DOLLAR_DIGITS}}\\.\\d{2}$`), 'dollars with two decimals, e.g. "12.50"');
export const legacyLineSchema = z.strictObject({ sku: z.string().min(1).max(64), qty: z.number().int().min(1), unit_price: dollarsSchema });

/**
 * One entry of legacy's integration feed: the order at revision `rev`. A placement carries the whole
 * order; a later revision its new status, or none when the status stays (a step legacy has no word for).
 * Legacy applies a revision once, and only on top of an older one.
 */
export const legacyFeedSchema = z
  .strictObject({
    rev: z.number().int().min(1),
    status_code: z.enum(STATUS_CODES).optional(),
    updated_at: z.string().min(1).max(40),
    order: z
      .strictObject({
        customer_no: z.string().min(1).max(64),
        lines: z.array(legacyLineSchema).min(1).max(100),
        total_amount: dollarsSchema,
        placed_at: z.string().min(1).max(40),
      })
      .optional(),
  })
  .refine((entry) => !entry.order || entry.status_code, { message: 'a placement needs its status_code', path: ['status_code'] });
export type LegacyFeedEntry = z.infer<typeof legacyFeedSchema>;
