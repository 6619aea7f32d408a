/**
 * Strangler Fig route modes through the local cloud, with a routing table that moves three routes off
 * their cdk.json modes: a shadowed query, a shadowed command (dry run on Eightfold's side) and a weighted
 * query. Eightfold's orders reach legacy through the sync subscriber, so both sides can answer for them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { mintToken } from '../helpers/tokens.ts';
import { apiCaller, json } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';
import { legacyUrl, localOutputs } from '../helpers/target.ts';
import { checkAnswers } from '../helpers/api-description.ts';

const WEIGHTED_PERCENT = 40;
const cdkRoutes = (JSON.parse(readFileSync(join(PROJECT_DIR, 'cdk.json'), 'utf8')) as { context: Record<string, object> }).context[
  'eightfold:routes'
];
const ROUTES = {
  ...cdkRoutes,
  // Legacy has no word for the payment saga's `payment` object: the comparison leaves it out.
  'GET /orders/{orderId}': { mode: 'shadow', since: '2026-11-26', ignore: ['payment'] },
  'POST /orders/{orderId}/cancel': { mode: 'shadow', since: '2026-11-26', ignore: ['payment'] },
  'GET /customers/{customerId}/orders': { mode: 'weighted', since: '2026-11-26', percent: WEIGHTED_PERCENT },
};

let cloud: LocalCloud;
/** The routing table is part of the synthesis. */
const outDir = ownAssemblyDir('routes');
/** An operator's token: the routes' requests, and /ops/routes. */
let token: string;
const call = apiCaller(
  () => cloud.url,
  () => token,
);
const callLegacy = apiCaller(() => legacyUrl(localOutputs(cloud)));
const ops = (path: string) => call('GET', path);

type ShadowReport = {
  compared: number;
  matches: number;
  mismatches: number;
  errors: number;
  recentMismatches: { path: string; differences: { path: string; legacy: unknown; eightfold: unknown }[] }[];
};
type RouteView = {
  route: string;
  mode: string;
  since: string;
  percent?: number;
  servedBy: Record<string, unknown>;
  served: { legacy: number; eightfold: number } | null;
  shadow?: ShadowReport;
};
const routeView = async (route: string): Promise<RouteView> => {
  const response = await ops('/ops/routes');
  expect(response.status).toBe(200);
  return (await json<{ routes: RouteView[] }>(response)).routes.find((r) => r.route === route)!;
};

/** An order placed on Eightfold and fed to legacy: both sides know it at version 1. */
async function orderOnBothSides(customerId: string): Promise<string> {
  const placed = await call('POST', '/orders', { customerId, items: [{ sku: 'MUG', quantity: 3, unitPriceCents: 900 }] });
  expect(placed.headers.get('x-served-by')).toBe('eightfold');
  const { orderId } = await json<{ orderId: string }>(placed);
  await eventually(async () => expect((await callLegacy('GET', `/orders/${orderId}`)).status).toBe(200));
  // Eightfold's read model has it too (the shadow compares against the view).
  await eventually(async () => expect((await call('GET', `/orders/${orderId}/events`)).status).toBe(200));
  return orderId;
}

beforeAll(async () => {
  cloud = await startLocalCloud({
    appDir: PROJECT_DIR,
    outDir,
    port: 0,
    context: { 'eightfold:routes': ROUTES },
    onLog: () => undefined,
  });
  checkAnswers(cloud.url);
  token = await mintToken(cloud, { operator: 'e2e-operator' });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('a shadow route', () => {
  it('answers exactly as legacy does, while Eightfold answers the same request off the client’s path and the two match', async () => {
    const orderId = await orderOnBothSides('shadow-1');
    const answer = await call('GET', `/orders/${orderId}`);
    expect(answer.headers.get('x-served-by')).toBe('legacy');
    expect(await answer.json()).toEqual(await (await callLegacy('GET', `/orders/${orderId}`)).json());
    const view = await eventually(async () => {
      const route = await routeView('GET /orders/{orderId}');
      expect(route.shadow!.compared).toBeGreaterThanOrEqual(1);
      return route;
    });
    expect(view).toMatchObject({ mode: 'shadow', since: '2026-11-26', servedBy: { legacy: 100, eightfold: 0, shadowedByEightfold: true } });
    expect(view.shadow).toMatchObject({ matches: view.shadow!.compared, mismatches: 0, errors: 0 });
  });

  it('records a mismatch with its differences, and still gives the client legacy’s answer', async () => {
    // An order legacy took at its own counter: Eightfold has never heard of it.
    const legacyOrder = await json<{ orderId: string }>(
      await callLegacy('POST', '/orders', { customerId: 'shadow-2', items: [{ sku: 'LAMP', quantity: 1, unitPriceCents: 1250 }] }),
    );
    const answer = await call('GET', `/orders/${legacyOrder.orderId}`);
    expect(answer.status).toBe(200);
    expect(await json(answer)).toMatchObject({ orderId: legacyOrder.orderId, status: 'PLACED', totalCents: 1250 });
    const shadow = await eventually(async () => {
      const { shadow } = await routeView('GET /orders/{orderId}');
      expect(shadow!.recentMismatches.map((m) => m.path)).toContain(`/orders/${legacyOrder.orderId}`);
      return shadow!;
    });
    expect(shadow.mismatches).toBeGreaterThanOrEqual(1);
    const sample = shadow.recentMismatches.find((m) => m.path === `/orders/${legacyOrder.orderId}`)!;
    expect(sample.differences).toContainEqual({ path: 'statusCode', legacy: 200, eightfold: 404 });
  });

  it('runs a command on Eightfold as a dry run: decided and compared, never appended', async () => {
    const orderId = await orderOnBothSides('shadow-3');
    const cancelled = await call('POST', `/orders/${orderId}/cancel`, {});
    expect(cancelled.headers.get('x-served-by')).toBe('legacy');
    expect(await json(cancelled)).toEqual({ orderId, version: 2, status: 'CANCELLED' }); // legacy's answer
    const shadow = await eventually(async () => {
      const { shadow } = await routeView('POST /orders/{orderId}/cancel');
      expect(shadow!.compared).toBeGreaterThanOrEqual(1);
      return shadow!;
    });
    // Eightfold decided the same answer (version 2, CANCELLED) …
    expect(shadow).toMatchObject({ matches: 1, mismatches: 0, errors: 0 });
    // … and stored nothing: its order is still at version 1.
    const events = await json<{ events: unknown[] }>(await call('GET', `/orders/${orderId}/events`));
    expect(events.events).toHaveLength(1);
  });
});

describe('a weighted route', () => {
  it(`sends close to ${WEIGHTED_PERCENT}% of customers to Eightfold, each customer always the same way`, async () => {
    const customers = Array.from({ length: 200 }, (_, i) => `weighted-${i}`);
    const sides = new Map<string, string>();
    for (const customerId of customers)
      sides.set(customerId, (await call('GET', `/customers/${customerId}/orders`)).headers.get('x-served-by')!);
    const toEightfold = [...sides.values()].filter((side) => side === 'eightfold').length;
    expect([...new Set(sides.values())].sort()).toEqual(['eightfold', 'legacy']);
    // 200 draws at p = 0.4: a standard deviation of 7; ±20 is about three.
    expect(Math.abs(toEightfold - 200 * (WEIGHTED_PERCENT / 100))).toBeLessThanOrEqual(20);
    for (const customerId of customers.slice(0, 20))
      expect((await call('GET', `/customers/${customerId}/orders`)).headers.get('x-served-by')).toBe(sides.get(customerId));
    const repeatedToEightfold = customers.slice(0, 20).filter((c) => sides.get(c) === 'eightfold').length;
    // The counts come from the router's metrics (CloudWatch, played locally from its EMF log lines, which
    // reach it a moment after the answers they count).
    await eventually(
      async () =>
        expect(await routeView('GET /customers/{customerId}/orders')).toMatchObject({
          mode: 'weighted',
          percent: WEIGHTED_PERCENT,
          servedBy: { eightfold: WEIGHTED_PERCENT, legacy: 100 - WEIGHTED_PERCENT, stickyPer: 'customer' },
          served: { eightfold: toEightfold + repeatedToEightfold, legacy: 220 - toEightfold - repeatedToEightfold },
        }),
      { timeoutMs: 5_000 },
    );
  }, 60_000);
});

describe('GET /ops/routes', () => {
  it('lists every route of the table with its mode and since, for operators only', async () => {
    expect((await call('GET', '/ops/routes', undefined, { authorization: '' })).status).toBe(401);
    expect((await ops('/ops/routes?hours=0')).status).toBe(400);
    const { routes, everythingElse } = await json<{ routes: RouteView[]; everythingElse: string }>(await ops('/ops/routes'));
    expect(routes.map((r) => r.route).sort()).toEqual(Object.keys(ROUTES).sort());
    expect(routes.find((r) => r.route === 'GET /catalog/products')).toMatchObject({
      mode: 'legacy',
      servedBy: { legacy: 100, eightfold: 0 },
    });
    expect(routes.find((r) => r.route === 'POST /orders')).toMatchObject({ mode: 'eightfold', servedBy: { legacy: 0, eightfold: 100 } });
    expect(everythingElse).toBe('legacy');
  });

  it('counts who served each plain route from API Gateway’s per-method metrics', async () => {
    const before = await routeView('GET /catalog/products');
    for (let i = 0; i < 3; i++) expect((await call('GET', '/catalog/products')).headers.get('x-served-by')).toBe('legacy');
    // CloudWatch's figures are eventually consistent (a point can land a moment after the answer it counts):
    // polled until they settle, and exact once they do.
    await eventually(
      async () => expect((await routeView('GET /catalog/products')).served).toEqual({ legacy: before.served!.legacy + 3, eightfold: 0 }),
      { timeoutMs: 5_000 },
    );
    const placedBefore = (await routeView('POST /orders')).served!;
    await orderOnBothSides('counted-1');
    await eventually(
      async () => expect((await routeView('POST /orders')).served).toEqual({ legacy: 0, eightfold: placedBefore.eightfold + 1 }),
      { timeoutMs: 5_000 },
    );
  });
});
