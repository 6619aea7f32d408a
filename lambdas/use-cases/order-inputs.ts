// A namespace import, not `import { z }`: esbuild can then drop zod's 40 locales from the bundle.
import * as z from 'zod';
import { LEGACY_MAX_CENTS } from './legacy-contract.ts';

/** Ids are opaque and URL-safe; bounded so no one stores a novel in a key. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, "-" and "_"');

/** A product's stock-keeping unit, as orders name it. */
export const skuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'only letters, digits, ".", "-" and "_"');

/**
 * The largest order total: what every system downstream accepts. Legacy, which is fed every order, stores
 * amounts of nine dollar digits; a larger order would be refused there after it was accepted here.
 */
export const MAX_ORDER_TOTAL_CENTS = LEGACY_MAX_CENTS;

export const placeOrderSchema = z
  .object({
    /** The customer's own id (a customer's token names it; kept for older clients), or the one an operator orders for. */
    customerId: idSchema.optional(),
    items: z
      .array(
        z
          .object({
            sku: skuSchema,
            quantity: z.number().int().min(1).max(10_000),
            unitPriceCents: z.number().int().min(1).max(100_000_000),
          })
          .strict(),
      )
      .min(1)
      .max(100),
  })
  .strict()
  .refine((order) => order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0) <= MAX_ORDER_TOTAL_CENTS, {
    message: `the order's total is over ${MAX_ORDER_TOTAL_CENTS} cents, the most the shop's systems accept`,
    path: ['items'],
  });

export type PlaceOrderBody = z.infer<typeof placeOrderSchema>;

/** Cancel takes an optional empty JSON object; anything else is a mistake worth reporting. */
export const emptyBodySchema = z.object({}).strict();

/** POST /orders/{orderId}/payment: an optional card token (see the provider stand-in for test tokens). */
export const paymentSchema = z.strictObject({
  cardToken: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_]+$/)
    .optional(),
});
