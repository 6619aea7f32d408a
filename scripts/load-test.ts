/**
 * `npm run load -- [--base-url http://127.0.0.1:3000] [--orders 2000] [--concurrency 32]`
 *
 * Places orders through the API the way a careful client does: every request carries an Idempotency-Key,
 * and one that gets no answer it can trust (the connection fails, a 5xx, a 429) is sent again with the same
 * key and body, so an order is placed once however often it is sent. Reports throughput and p50/p99, and
 * which keys were accepted as which order (what `npm run check-consistency` then proves were kept, once).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { progressBar } from './progress.ts';
import { numberFlag, parseCommandLine, refuseCommandLine } from '@eightfold/local-cloud/command-line';

export interface LoadOptions {
  readonly baseUrl: string;
  /** An operator's bearer token: the orders are placed for many customers (`npm run token -- --operator …`). */
  readonly token: string;
  readonly orders: number;
  readonly concurrency: number;
  /** The SKUs ordered, by popularity (the first is the hottest). @default five books */
  readonly skus?: readonly string[];
  /** Orders are spread over this many customers. @default 50 */
  readonly customers?: number;
  /** Customer ids are `${customerPrefix}-${n}`, so a run's orders are easy to find. @default 'load' */
  readonly customerPrefix?: string;
  /** Attempts per order before the client gives up on it. @default 8 */
  readonly maxAttempts?: number;
  /** Seed of the orders' contents, so a run can be repeated. @default 1 */
  readonly seed?: number;
  /** Called after each order is answered, with the count so far. */
  readonly onProgress?: (answered: number) => void;
}

export interface AcceptedOrder {
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly attempts: number;
}

export interface RefusedOrder {
  readonly idempotencyKey: string;
  /** The last answer's status, or 0 if the last attempt got no answer. */
  readonly status: number;
  readonly body: string;
}

export interface LoadReport {
  readonly accepted: AcceptedOrder[];
  readonly refused: RefusedOrder[];
  /** Attempts beyond each order's first. */
  readonly retries: number;
  /** Per accepted order: first send to its 201, retries included (what the client waited). */
  readonly latenciesMs: number[];
  readonly durationMs: number;
  readonly ordersPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export const DEFAULT_SKUS = ['BOOK-DUNE', 'BOOK-EMMA', 'BOOK-ILIAD', 'BOOK-ULYSSES', 'BOOK-WALDEN'];

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** mulberry32: a small seeded generator, so the same seed places the same orders. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What a client may safely send again with the same key: no answer, a server error, or a throttle. */
const worthRetrying = (status: number) => status === 0 || status === 429 || status >= 500;

export async function placeOrders(options: LoadOptions): Promise<LoadReport> {
  const skus = options.skus ?? DEFAULT_SKUS;
  const customers = options.customers ?? 50;
  const prefix = options.customerPrefix ?? 'load';
  const maxAttempts = options.maxAttempts ?? 8;
  const random = seededRandom(options.seed ?? 1);
  // Bodies are drawn up front, so the orders do not depend on which worker takes them.
  const requests = Array.from({ length: options.orders }, (_, n) => {
    const lines = 1 + Math.floor(random() * 3);
    const chosen = new Set(Array.from({ length: lines }, () => skus[Math.floor(random() ** 2 * skus.length)]!));
    return {
      idempotencyKey: randomUUID(),
      body: JSON.stringify({
        customerId: `${prefix}-${n % customers}`,
        items: [...chosen].map((sku) => ({
          sku,
          quantity: 1 + Math.floor(random() * 3),
          unitPriceCents: 500 + Math.floor(random() * 2000),
        })),
      }),
    };
  });
  const accepted: AcceptedOrder[] = [];
  const refused: RefusedOrder[] = [];
  const latenciesMs: number[] = [];
  let retries = 0;
  let next = 0;
  const started = performance.now();
  const placeOne = async ({ idempotencyKey, body }: (typeof requests)[number]): Promise<void> => {
    const sent = performance.now();
    let status = 0;
    let text = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        retries++;
        await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + random() / 2));
      }
      try {
        const response = await fetch(`${options.baseUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}`, 'idempotency-key': idempotencyKey },
          body,
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        status = 0;
        text = String(error);
      }
      if (status === 201) {
        latenciesMs.push(performance.now() - sent);
        accepted.push({ idempotencyKey, orderId: (JSON.parse(text) as { orderId: string }).orderId, attempts: attempt });
        return;
      }
      if (!worthRetrying(status)) break;
    }
    refused.push({ idempotencyKey, status, body: text.slice(0, 500) });
  };
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, options.orders) }, async () => {
      while (next < requests.length) {
        await placeOne(requests[next++]!);
        options.onProgress?.(accepted.length + refused.length);
      }
    }),
  );
  const durationMs = performance.now() - started;
  return {
    accepted,
    refused,
    retries,
    latenciesMs,
    durationMs,
    ordersPerSecond: accepted.length / (durationMs / 1000),
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
  };
}

const USAGE = `
Usage: npm run load -- --token TOKEN [--base-url URL] [--orders N] [--concurrency N] [--customers N]

Places orders through the API as a careful client does (an Idempotency-Key each, retried on no answer).

  --token TOKEN       an operator's token (default: $EIGHTFOLD_TOKEN): npm run -s token -- --operator you
  --base-url URL      the API (default: $E2E_BASE_URL, else http://127.0.0.1:$PORT or :3000)
  --orders N          how many orders (1 to 1000000; default 2000)
  --concurrency N     how many at once (1 to 1000; default 32)
  --customers N       spread over this many customers (default: one each)
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine(USAGE, {
    'base-url': { type: 'string' },
    orders: { type: 'string' },
    concurrency: { type: 'string' },
    customers: { type: 'string' },
    token: { type: 'string' },
  });
  const baseUrl = (values['base-url'] ?? process.env.E2E_BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
  const orders = numberFlag('orders', values.orders, { min: 1, max: 1_000_000 }) ?? 2000;
  const concurrency = numberFlag('concurrency', values.concurrency, { min: 1, max: 1_000 }) ?? 32;
  const customers = numberFlag('customers', values.customers, { min: 1, max: 1_000_000 });
  const token = values.token ?? process.env.EIGHTFOLD_TOKEN;
  if (!token) refuseCommandLine('An operator places the orders: --token TOKEN (npm run -s token -- --operator you)');
  const report = await placeOrders({
    baseUrl,
    token,
    orders,
    concurrency,
    customers,
    onProgress: progressBar('placing orders', orders),
  });
  for (const r of report.refused.slice(0, 10)) process.stdout.write(`refused ${r.idempotencyKey}: ${r.status} ${r.body}\n`);
  process.stdout.write(
    `${report.accepted.length} of ${orders} orders accepted in ${(report.durationMs / 1000).toFixed(1)} s at concurrency ${concurrency}: ` +
      `${report.ordersPerSecond.toFixed(0)} orders/s, p50 ${report.p50Ms.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms, ${report.retries} retries\n`,
  );
  process.exitCode = report.refused.length ? 1 : 0;
}
