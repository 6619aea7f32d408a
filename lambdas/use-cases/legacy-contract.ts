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

/** Who made a revision of legacy's copy: legacy itself (its counter, its old clients), or Eightfold's feed. */
export const LEGACY_WRITERS = ['LEGACY', 'EIGHTFOLD'] as const;
export type LegacyWriter = (typeof LEGACY_WRITERS)[number];

/**
 * One entry of legacy's integration feed: Eightfold's event `event_id`, which made the order's `version`. A
 * placement carries the whole order; a later version its new status, or none when the status stays (a step
 * legacy has no word for). Legacy applies each version once, over an older one, as a revision of its own.
 */
export const legacyFeedSchema = z
  .strictObject({
    version: z.number().int().min(1),
    event_id: z.string().min(1).max(64),
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

/**
 * What legacy answers a feed entry: applied as its revision `rev`, or not, with the Eightfold version and
 * event it holds. Not applied with the same version and event is a repeat; anything else is a conflict.
 */
export const legacyFeedAnswerSchema = z.object({
  applied: z.boolean(),
  rev: z.number().int(),
  eightfold_version: z.number().int().optional(),
  eightfold_event_id: z.string().optional(),
  reason: z.string().optional(),
});
export type LegacyFeedAnswer = z.infer<typeof legacyFeedAnswerSchema>;

/** One revision of an order as legacy keeps it (its audit trail): every revision once, in order, and who made it. */
export const legacyRevisionSchema = z.object({
  rev: z.number().int().min(1),
  by: z.enum(LEGACY_WRITERS),
  status_code: z.enum(STATUS_CODES).optional(),
  at: z.string(),
});

/** An order as legacy keeps it, and lists it through its changes endpoint (`GET /integration/orders?changedSince=`). */
export const legacyOrderSchema = z.object({
  order_no: z.string().min(1).max(64),
  customer_no: z.string().min(1).max(64),
  status_code: z.enum(STATUS_CODES),
  lines: z.array(legacyLineSchema).min(1).max(100),
  total_amount: dollarsSchema,
  placed_at: z.string(),
  updated_at: z.string(),
  rev: z.number().int().min(1),
  /** Where the order was taken: at legacy's own counter, or fed from Eightfold. */
  source: z.enum(LEGACY_WRITERS),
  revisions: z.array(legacyRevisionSchema).min(1),
  /** The newest Eightfold version the feed applied, and its event. */
  eightfold_version: z.number().int().optional(),
  eightfold_event_id: z.string().optional(),
  /** When legacy last wrote the row (its clock): the changes endpoint's order. */
  changed_at: z.string(),
});
export type LegacyOrder = z.infer<typeof legacyOrderSchema>;

/** A page of legacy's changes endpoint: rows changed after the cursor, oldest change first; `next` resumes after the last. */
export const legacyChangesPageSchema = z.object({ orders: z.array(legacyOrderSchema), next: z.string(), more: z.boolean() });
export type LegacyChangesPage = z.infer<typeof legacyChangesPageSchema>;
