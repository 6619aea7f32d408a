/**
 * The ops console in a real browser (playwright-core driving Debian's headless Chromium, installed by
 * scripts/ensure-chromium.sh when missing) against the local cloud: an operator opens /console, types the
 * operator's token, takes the payment provider down from the page, and watches the breaker open as payments fail;
 * hostile strings in an order and its events render as text.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderUpcasters } from '../../lambdas/domain/orders/index.ts';
import { EventStore } from '../../lambdas/patterns/event-sourcing/index.ts';
import { apiCaller, json } from '../helpers/api.ts';
import { PROJECT_DIR } from '../helpers/paths.ts';
import { startTarget, type E2ETarget } from '../helpers/target.ts';

const ARTIFACTS = join(PROJECT_DIR, 'test/artifacts');
let target: E2ETarget;
let browser: Browser;
let page: Page;

const call = apiCaller(
  () => target.url,
  () => target.operatorToken,
);

async function placeOrder(): Promise<string> {
  const response = await call('POST', '/orders', {
    customerId: 'console-viewer',
    items: [{ sku: 'LAMP', quantity: 1, unitPriceCents: 1250 }],
  });
  expect(response.status).toBe(201);
  return (await json(response)).orderId as string;
}

/** Opens the console as an operator does: the page, the token pasted in, Connect. */
async function openConsole(): Promise<void> {
  await page.goto(`${target.url}/console`);
  await page.fill('#key', target.operatorToken);
  await page.click('#connect');
}

beforeAll(async () => {
  const executablePath = execFileSync('bash', [join(PROJECT_DIR, 'scripts/ensure-chromium.sh')], { encoding: 'utf8' }).trim();
  [target, browser] = await Promise.all([startTarget(), chromium.launch({ executablePath })]);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await target?.stop();
});

describe('GET /console', () => {
  it('serves one HTML page that fetches nothing but its own origin', async () => {
    const response = await call('GET', '/console');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await response.text()).toContain('<meta name="eightfold-stage" content="dev">');
  });

  it('shows the breakers live; a fault injected from the page opens the provider’s breaker as payments fail', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await openConsole();
    const providerState = page.locator('tr[data-breaker-row="payment-provider"] .state');
    await expect.poll(() => providerState.textContent(), { timeout: 10_000 }).toBe('CLOSED');

    const faultsSet = (down: boolean) =>
      Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/ops/faults/payment-provider')),
        page.click(`button[data-fault="payment-provider"][data-down="${down}"]`),
      ]).then(([r]) => r.status());
    expect(await faultsSet(true)).toBe(200);
    // Five failing payments make the breaker's minimum of calls, all failing (see payments.e2e).
    const orders = await Promise.all(Array.from({ length: 5 }, placeOrder));
    for (const orderId of orders) expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(503);
    await expect.poll(() => providerState.textContent(), { timeout: 10_000 }).toBe('OPEN');
    await expect.poll(() => page.locator('tr[data-breaker-row="payment-provider"] td').nth(5).textContent()).toMatch(/^in \d+ s$/);
    // The other panels are live too: the orders just placed head the tail of recent events.
    await expect.poll(() => page.locator('#events li').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const screenshot = join(ARTIFACTS, 'console-breaker-open.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);

    expect(await faultsSet(false)).toBe(200);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('travels through an order’s history with the slider', async () => {
    const orderId = await placeOrder();
    expect((await call('POST', `/orders/${orderId}/cancel`)).status).toBe(200);
    await openConsole();
    await page.fill('#order-id', orderId);
    await page.click('#load-order');
    await expect
      .poll(() => page.locator('#order-events li').count(), { timeout: 5_000, message: `status: ${await page.textContent('#status')}` })
      .toBe(2);
    await expect.poll(async () => JSON.parse((await page.textContent('#as-of')) ?? '{}').status).toBe('CANCELLED');
    await page.locator('#version').fill('1');
    await expect
      .poll(async () => JSON.parse((await page.textContent('#as-of')) ?? '{}'))
      .toMatchObject({ orderId, status: 'PLACED', version: 1 });
  });

  it('renders hostile strings as text: nothing an order or its events carry executes in the page', async () => {
    // What the API refuses (its ids and SKUs are plain) can still reach the store another way: an import, a
    // bug, a hand. Written straight to the event store here, as such data would arrive.
    const hostile = (n: number) => `<img src=x onerror="window.__xss=${n}"><script>window.__xss=${n}</script>'"&`;
    const store = new EventStore({
      client: target.documents,
      tableName: target.outputs.eightfold.EventsTableName!,
      upcasters: orderUpcasters,
    });
    const plainId = `xss-${Date.now()}`;
    const hostileId = `${plainId}-${hostile(1)}`;
    const placedAt = new Date().toISOString();
    for (const [orderId, customerId] of [
      [plainId, hostile(2)],
      [hostileId, 'xss-customer'],
    ] as const) {
      const items = [{ sku: hostile(3), quantity: 1, unitPriceCents: 100 }];
      await store.append(orderId, 0, [{ type: 'OrderPlaced', data: { orderId, customerId, items, totalCents: 100, placedAt } }], {
        correlationId: 'xss',
        actor: hostile(4),
      });
    }
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await openConsole();
    // The hostile id reaches the recent events panel, whole, as an attribute's text.
    await expect
      .poll(
        () => page.locator('#events li').evaluateAll((items, id) => items.some((li) => li.getAttribute('data-order') === id), hostileId),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
    await page.fill('#order-id', plainId);
    await page.click('#load-order');
    await expect
      .poll(async () => JSON.parse((await page.textContent('#as-of')) || '{}') as unknown, { timeout: 10_000 })
      .toMatchObject({ orderId: plainId, customerId: hostile(2), items: [{ sku: hostile(3) }] });
    expect(await page.locator('#events img, #events script, #order-events img, #order-events script, #as-of *').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it('offers no fault injection or step-down on a production page', async () => {
    const html = (await (await call('GET', '/console')).text()).replace('content="dev"', 'content="prod"');
    await page.route('**/console', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
    await page.goto(`${target.url}/console`);
    expect(await page.textContent('#stage')).toBe('stage prod');
    for (const selector of ['button[data-fault]', 'button[data-breaker]', '#step-down']) {
      expect(await page.locator(selector).first().isVisible()).toBe(false);
    }
    await page.unroute('**/console');
  });
});
