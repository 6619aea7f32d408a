// A namespace import, not `import { z }`: esbuild can then drop zod's locales from the bundle.
import * as z from 'zod';

/**
 * Faults an operator injects into a stand-in system (`PUT /ops/faults/{target}`), outside production; what
 * is left out is off. Apart from faults.ts, which reads and writes them, so the API's description takes
 * the schema without the DynamoDB client.
 */
export const faultsSchema = z.strictObject({
  /** Share of requests answered 500, from 0 to 1. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Added to every request. */
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /** Every request answered 503. */
  down: z.boolean().default(false),
  /** The payment provider makes each charge, then its answer is lost on the way back (answered 504). */
  loseChargeAnswers: z.boolean().default(false),
  /** Legacy's integration API (`/integration/*`) answers 503, while its own counters work: Eightfold's feed and change capture wait. */
  integrationDown: z.boolean().default(false),
});
export type Faults = z.infer<typeof faultsSchema>;
