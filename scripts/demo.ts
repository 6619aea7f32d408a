/**
 * `npm run demo -- --token TOKEN [--base-url http://127.0.0.1:3000] [--short]` (an operator's token: `npm run token -- --operator you`)
 *
 * A guided story through the running system (the local cloud, or any deployment outside prod), told with
 * progress bars and ended with a table of what happened and the figures seen:
 *   1. orders are placed;
 *   2. the payment provider fails: the breaker opens, payments fail fast, then it probes and closes;
 *   3. the leader steps down: after its lease another contender leads, with a higher fencing token;
 *   4. a hot SKU sells: its counter's increments spread over the write shards, and the total is exact;
 *   5. legacy goes down: its routes fail while Eightfold's keep serving.
 * Every fault it injects it takes back, whatever happens. Leader failover waits out a lease (3 minutes at
 * wall time): start the local cloud with `--time-scale 30` for a brisk demo.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCommandLine } from '@eightfold/local-cloud/command-line';
import { placeOrders } from './load-test.ts';
import { progressBar } from './progress.ts';

export interface DemoOptions {
  readonly baseUrl: string;
  /** An operator's bearer token: the demo places orders for customers and runs /ops. */
  readonly token: string;
  /** Fewer orders, shorter waits: what the tests run. */
  readonly short?: boolean;
  /** Where the story is told. @default stdout */
  readonly write?: (text: string) => void;
}

export interface DemoStep {
  readonly step: string;
  readonly ok: boolean;
  readonly happened: string;
  readonly figures: string;
}

type Json = Record<string, any>;

/** Calls the API as the operator. */
function client(options: DemoOptions) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; headers: Headers; ms: number }> => {
    const started = performance.now();
    const response = await fetch(`${options.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : {}) as Json,
      headers: response.headers,
      ms: performance.now() - started,
    };
  };
}

/** Polls `read` until `done` holds of its value, or throws after `timeoutMs` naming what it waited for. */
async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function table(rows: readonly DemoStep[]): string {
  const headers = ['step', 'ok', 'what happened', 'figures'];
  const cells = rows.map((r) => [r.step, r.ok ? 'yes' : 'NO', r.happened, r.figures]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export async function runDemo(options: DemoOptions): Promise<DemoStep[]> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const api = client(options);
  const short = options.short ?? false;
  const run = randomUUID().slice(0, 8);
  const steps: DemoStep[] = [];
  const placeOne = async (customerId: string, sku = 'LAMP'): Promise<string> => {
    const placed = await api('POST', '/orders', { customerId, items: [{ sku, quantity: 1, unitPriceCents: 1250 }] });
    if (placed.status !== 201) throw new Error(`placing an order answered ${placed.status}`);
    return placed.body.orderId as string;
  };
  const breaker = async () => ((await api('GET', '/ops/breakers')).body.breakers as Json[]).find((b) => b.name === 'payment-provider')!;
  const setFaults = async (target: string, faults: Json) => {
    const answer = await api('PUT', `/ops/faults/${target}`, faults);
    if (answer.status !== 200)
      throw new Error(`PUT /ops/faults/${target} answered ${answer.status} (fault injection exists in every stage but prod)`);
  };

  const step = async (name: string, body: () => Promise<Omit<DemoStep, 'step' | 'ok'>>, cleanUp?: () => Promise<void>) => {
    write(`\n== ${name}\n`);
    try {
      steps.push({ step: name, ok: true, ...(await body()) });
    } catch (error) {
      steps.push({ step: name, ok: false, happened: (error as Error).message, figures: '' });
    } finally {
      await cleanUp?.().catch((error: unknown) => write(`cleaning up after "${name}" failed: ${String(error)}\n`));
    }
    write(`${steps.at(-1)!.ok ? 'done' : 'FAILED'}: ${steps.at(-1)!.happened}\n`);
  };

  await step('orders placed', async () => {
    const orders = short ? 20 : 200;
    const report = await placeOrders({
      baseUrl: options.baseUrl,
      token: options.token,
      orders,
      concurrency: short ? 8 : 16,
      customerPrefix: `demo-${run}`,
      onProgress: progressBar('placing orders', orders, write),
    });
    if (report.refused.length) throw new Error(`${report.refused.length} of ${orders} orders refused`);
    return {
      happened: `${report.accepted.length} orders placed, each with an Idempotency-Key`,
      figures: `${report.ordersPerSecond.toFixed(1)} orders/s, p50 ${report.p50Ms.toFixed(0)} ms, p99 ${report.p99Ms.toFixed(0)} ms`,
    };
  });

  await step(
    'payment provider fails',
    async () => {
      await api('PUT', '/ops/breakers/payment-provider', { state: 'CLOSED' });
      await sleep(1_100); // every instance's cached breaker state expires
      await setFaults('payment-provider', { down: true });
      const bar = progressBar('paying while the provider is down', 10, write);
      let payments = 0;
      while ((await breaker()).state !== 'OPEN') {
        if (++payments > 10) throw new Error('the breaker did not open after 10 failing payments');
        const paid = await api('POST', `/orders/${await placeOne(`demo-${run}-pay`)}/payment`);
        if (paid.status !== 503) throw new Error(`a payment answered ${paid.status} while the provider was down`);
        bar(payments);
      }
      bar(10);
      const refused = await api('POST', `/orders/${await placeOne(`demo-${run}-pay`)}/payment`);
      if (refused.body.error?.code !== 'PAYMENT_UNAVAILABLE')
        throw new Error(`an open breaker answered ${refused.status} ${JSON.stringify(refused.body)}`);
      await setFaults('payment-provider', {});
      const opened = Date.now();
      // Once the cool-down ends, the calls that reach the provider are the probes; three successes close it.
      // They are the demo's payments, and the leader's reconciler asking after the payments left in flight
      // by the outage (every second at 60×), so the breaker may close before a payment of the demo's got through.
      let recoveredPayments = 0;
      await until(
        'the breaker to close again',
        async () => {
          const paid = await api('POST', `/orders/${await placeOne(`demo-${run}-pay`)}/payment`);
          if (paid.status === 200) recoveredPayments++;
          return breaker();
        },
        (b) => b.state === 'CLOSED',
        short ? 30_000 : 120_000,
        500,
      );
      return {
        happened: `breaker OPEN after ${payments} failing payments; paid orders answered 503 at once while open; CLOSED again, ${recoveredPayments} of the demo's payments through meanwhile (the reconciler's calls probe too)`,
        figures: `fast fail ${refused.ms.toFixed(0)} ms (Retry-After ${refused.headers.get('retry-after')} s), recovered ${((Date.now() - opened) / 1000).toFixed(1)} s after the provider came back`,
      };
    },
    () => setFaults('payment-provider', {}),
  );

  await step('leader steps down', async () => {
    const leading = await until(
      'a leader',
      async () => (await api('GET', '/ops/leader')).body,
      (l) => l.status === 'LEADING',
      short ? 30_000 : 240_000,
      500,
    );
    const steppedDown = await api('POST', '/ops/leader/step-down');
    if (steppedDown.status !== 202) throw new Error(`step-down answered ${steppedDown.status}`);
    const started = Date.now();
    const leaseLeftMs = Math.max(0, Date.parse(steppedDown.body.leaseExpiresAt as string) - started);
    const bar = progressBar('waiting out the lease', Math.max(1, Math.ceil(leaseLeftMs / 1000)), write);
    const next = await until(
      'another contender to take the lease',
      async () => {
        bar(Math.floor((Date.now() - started) / 1000));
        return (await api('GET', '/ops/leader')).body;
      },
      (l) => l.status === 'LEADING' && l.fencingToken > leading.fencingToken,
      leaseLeftMs + (short ? 30_000 : 180_000),
      500,
    );
    bar(Math.ceil(leaseLeftMs / 1000));
    return {
      happened: `${leading.holder} (token ${leading.fencingToken}) stepped down; ${next.holder} leads with token ${next.fencingToken}`,
      figures: `failover ${((Date.now() - started) / 1000).toFixed(1)} s (lease left ${(leaseLeftMs / 1000).toFixed(1)} s)`,
    };
  });

  await step('a hot SKU sells', async () => {
    const sku = `HOT-${run.toUpperCase()}`;
    const orders = short ? 24 : 120;
    const bar = progressBar(`ordering ${sku}`, orders, write);
    let placed = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (placed < orders) {
          placed++;
          await placeOne(`demo-${run}-hot-${placed % 10}`, sku);
          bar(placed);
        }
      }),
    );
    const sales = await until(
      'the sales counter to count every unit',
      async () => (await api('GET', `/products/${sku}/sales`)).body,
      (s) => s.unitsSold === orders,
      30_000,
      500,
    );
    const shards = (await api('GET', '/ops/shards')).body;
    const hotKeys = shards.hotKeys as { key: string; increments: number }[];
    const rank = hotKeys.findIndex((k) => k.key === sku);
    const written = (shards.perShard as { recentWrites: number }[]).filter((shard) => shard.recentWrites > 0).length;
    return {
      happened: `${orders} orders of ${sku}, one unit each: ${sales.unitsSold} units counted exactly, its increments spread over ${sales.shards} write shards`,
      figures: `${rank < 0 ? 'not' : `#${rank + 1}`} among the hot keys (${hotKeys[rank]?.increments ?? 0} increments); ${written} of ${shards.perShard.length} shards written lately, max/mean ${Number(shards.maxOverMean.recentWrites).toFixed(2)}`,
    };
  });

  await step(
    'legacy goes down',
    async () => {
      await setFaults('legacy', { down: true });
      const catalog = await api('GET', '/catalog/products');
      const orderId = await placeOne(`demo-${run}-strangled`);
      const read = await api('GET', `/orders/${orderId}?minVersion=1`);
      await setFaults('legacy', {});
      const back = await until(
        'legacy to answer again',
        () => api('GET', '/catalog/products'),
        (r) => r.status === 200,
        10_000,
      );
      if (catalog.status < 500 || read.status !== 200)
        throw new Error(`legacy answered ${catalog.status}, Eightfold's read ${read.status}`);
      return {
        happened: `legacy's GET /catalog/products answered ${catalog.status} (${catalog.headers.get('x-served-by')}); Eightfold placed and served an order meanwhile; legacy back with ${back.status}`,
        figures: `legacy failed in ${catalog.ms.toFixed(0)} ms; Eightfold's read ${read.ms.toFixed(0)} ms`,
      };
    },
    () => setFaults('legacy', {}),
  );

  write(`\n${table(steps)}\n`);
  return steps;
}

const USAGE = `
Usage: npm run demo -- --token TOKEN [--base-url URL] [--short]

A guided story through the running system: a provider outage and the breaker, a leader failover, a hot
SKU over its write shards, legacy down; each fault it injects it takes back. Outside prod only.

  --token TOKEN    an operator's token (else EIGHTFOLD_TOKEN): npm run -s token -- --operator you
  --base-url URL   the API (else E2E_BASE_URL, else http://127.0.0.1:$PORT or 3000)
  --short          fewer orders and shorter waits
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine(USAGE, { 'base-url': { type: 'string' }, token: { type: 'string' }, short: { type: 'boolean' } });
  const baseUrl = (values['base-url'] ?? process.env.E2E_BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
  const token = values.token ?? process.env.EIGHTFOLD_TOKEN;
  if (!token) {
    process.stderr.write('An operator runs the demo: --token TOKEN (or EIGHTFOLD_TOKEN); npm run -s token -- --operator you\n');
    process.exit(2);
  }
  const steps = await runDemo({ baseUrl, token, short: values.short });
  process.exitCode = steps.every((s) => s.ok) ? 0 : 1;
}
