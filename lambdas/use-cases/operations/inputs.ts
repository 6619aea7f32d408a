// A namespace import, not `import { z }`: esbuild can then drop zod's locales from the bundle.
import * as z from 'zod';

/** PUT /ops/breakers/{name}: an operator's override, fleet-wide. */
export const breakerOverrideSchema = z.strictObject({ state: z.enum(['FORCED_OPEN', 'DISABLED', 'CLOSED']) });

/** GET /ops/routes?hours=N: how far back the served counts look. */
export const routeHoursSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(14 * 24)
  .default(24);

/** GET /ops/events?limit=N. */
export const recentEventsLimitSchema = z.coerce.number().int().min(1).max(100).default(25);
