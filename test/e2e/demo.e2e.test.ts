/**
 * `npm run demo -- --short` as an engineer runs it: the command itself, against a local cloud at 60× time
 * (so the leader's three-minute lease lasts 3 s), its whole story told and its closing table checked row
 * by row. Every fault it injected is taken back by the end.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, json } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';
import { startTarget, type E2ETarget } from '../helpers/target.ts';

let target: E2ETarget;
/** The time scale is part of the synthesis. */
const outDir = ownAssemblyDir('demo');

const call = apiCaller(
  () => target.url,
  () => target.operatorToken,
);

beforeAll(async () => {
  // At 60× the default payment timeout would be seconds: the leader would cancel the demo's hot-SKU orders
  // (taking their units back) while it counts them.
  target = await startTarget({
    outDir,
    timeScale: 60,
    context: { 'eightfold:coordinator': { paymentTimeoutMinutes: 24 * 60 } },
  });
});

afterAll(async () => {
  await target?.stop();
});

/** The closing table's rows, each as its four cells. */
function summaryRows(stdout: string): Record<string, { ok: string; happened: string; figures: string }> {
  const lines = stdout.slice(stdout.lastIndexOf('\nstep ')).trim().split('\n');
  expect(lines[0]).toMatch(/^step +\| ok +\| what happened +\| figures$/);
  expect(lines[1]).toMatch(/^-+ \| -+ \| -+ \| -+$/);
  return Object.fromEntries(
    lines.slice(2).map((line) => {
      const [step, ok, happened, figures] = line.split(' | ').map((cell) => cell.trim());
      return [step!, { ok: ok!, happened: happened!, figures: figures ?? '' }];
    }),
  );
}

describe('npm run demo -- --short', () => {
  it('tells all five steps against the local cloud, each done, and ends on a table of what happened and the figures seen', async () => {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'demo', '--', '--short', '--base-url', target.url, '--token', target.operatorToken],
      {
        cwd: PROJECT_DIR,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    // Progress bars, one finished line each (stdout is no terminal here).
    expect(stdout).toMatch(/placing orders +\[#{20}\] 20\/20\n/);
    expect(stdout).toMatch(/waiting out the lease +\[#{20}\] \d+\/\d+\n/);
    const rows = summaryRows(stdout);
    expect(Object.keys(rows)).toEqual([
      'orders placed',
      'payment provider fails',
      'leader steps down',
      'a hot SKU sells',
      'legacy goes down',
    ]);
    for (const [step, row] of Object.entries(rows)) expect(row.ok, `${step}: ${row.happened}`).toBe('yes');
    expect(rows['orders placed']).toMatchObject({
      happened: '20 orders placed, each with an Idempotency-Key',
      figures: expect.stringMatching(/^[\d.]+ orders\/s, p50 \d+ ms, p99 \d+ ms$/),
    });
    expect(rows['payment provider fails']!.happened).toMatch(
      /^breaker OPEN after \d+ failing payments; .* CLOSED again, \d+ of the demo's payments through meanwhile \(the reconciler's calls probe too\)$/,
    );
    expect(rows['payment provider fails']!.figures).toMatch(
      /^fast fail \d+ ms \(Retry-After \d+ s\), recovered [\d.]+ s after the provider came back$/,
    );
    const failover = rows['leader steps down']!.happened.match(
      /^coordinator-[123] \(token (\d+)\) stepped down; coordinator-[123] leads with token (\d+)$/,
    );
    expect(Number(failover?.[2])).toBeGreaterThan(Number(failover?.[1]));
    expect(rows['a hot SKU sells']!.happened).toMatch(
      /^24 orders of HOT-\w+, one unit each: 24 units counted exactly, its increments spread over [2-9]\d* write shards$/,
    );
    expect(rows['a hot SKU sells']!.figures).toMatch(/^#\d+ among the hot keys \(24 increments\)/);
    expect(rows['legacy goes down']!.happened).toMatch(
      /^legacy's GET \/catalog\/products answered 503 \(legacy\); Eightfold placed and served an order meanwhile; legacy back with 200$/,
    );

    // What the demo broke, it mended: the breaker closed, the provider charging, legacy answering.
    const breakers = await json<{ breakers: { name: string; state: string }[] }>(await call('GET', '/ops/breakers'));
    expect(breakers.breakers.find((b) => b.name === 'payment-provider')?.state).toBe('CLOSED');
    const placed = await json<{ orderId: string }>(
      await call('POST', '/orders', { customerId: 'after-the-demo', items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }] }),
    );
    // A sandbox may trust its copy of the breaker for a second more: a 503 says when to retry, and a retry never charges twice.
    await eventually(async () => expect((await call('POST', `/orders/${placed.orderId}/payment`)).status).toBe(200), {
      timeoutMs: 10_000,
      intervalMs: 1_100,
    });
    expect((await call('GET', '/catalog/products')).status).toBe(200);
  }, 180_000);
});
