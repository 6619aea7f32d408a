/**
 * Strangler Fig through the local cloud: Eightfold's API in front, the legacy stand-in (its own stack and
 * API) behind it for everything Eightfold does not serve, and legacy's faults kept off Eightfold's routes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../scripts/local-cloud/local-cloud.ts';
import { apiCaller } from '../helpers/api.ts';
import { PROJECT_DIR } from '../helpers/paths.ts';

const API_KEY = 'e2e-strangler-key';
let cloud: LocalCloud;

const call = apiCaller(() => cloud.url);
const setLegacyFaults = async (faults: { down?: boolean; latencyMs?: number; errorRate?: number }) =>
  expect((await call('PUT', '/ops/faults/legacy', faults, { 'x-api-key': API_KEY })).status).toBe(200);

beforeAll(async () => {
  cloud = await startLocalCloud({ appDir: PROJECT_DIR, port: 0, apiKeyValue: API_KEY, onLog: () => undefined });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('routes Eightfold does not serve', () => {
  it('reach legacy, marked X-Served-By: legacy, with their paths and bodies intact', async () => {
    const catalog = await call('GET', '/catalog/products');
    expect(catalog.status).toBe(200);
    expect(catalog.headers.get('x-served-by')).toBe('legacy');
    expect(((await catalog.json()) as { products: { sku: string }[] }).products.map((p) => p.sku)).toContain('LAMP');
    expect(await (await call('GET', '/catalog/products/MUG')).json()).toMatchObject({ sku: 'MUG', unitPriceCents: 900 });

    // A path Eightfold also serves (customers/{customerId}/orders), with a method only legacy has.
    const put = await call('PUT', '/customers/strangled-1', { name: 'Ada', email: 'ada@example.com' });
    expect(put.status).toBe(200);
    expect(put.headers.get('x-served-by')).toBe('legacy');
    expect(await (await call('GET', '/customers/strangled-1')).json()).toMatchObject({ customerId: 'strangled-1', name: 'Ada' });
    const bad = await call('PUT', '/customers/strangled-1', { name: 'Ada' });
    expect(bad.status).toBe(400);

    const unknown = await call('GET', '/no/such/route');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-served-by')).toBe('legacy');
  });

  it('never reach Eightfold’s handlers, while Eightfold’s own routes stay Eightfold’s', async () => {
    const placed = await call('POST', '/orders', { customerId: 'strangled-2', items: [{ sku: 'LAMP', quantity: 1, unitPriceCents: 1250 }] });
    expect(placed.status).toBe(201);
    expect(placed.headers.get('x-served-by')).toBe('eightfold');
    // Another method on an Eightfold path is legacy's to answer.
    const deleted = await call('DELETE', '/orders');
    expect(deleted.headers.get('x-served-by')).toBe('legacy');
    expect(deleted.status).toBe(404);
    // Operators' paths never fall through.
    expect((await call('DELETE', '/ops/breakers')).headers.get('x-served-by')).toBe('eightfold');
  });
});

describe('a legacy outage', () => {
  afterEach(() => setLegacyFaults({}));

  it('fails legacy routes fast and leaves Eightfold’s routes alone', async () => {
    await setLegacyFaults({ down: true });
    const started = Date.now();
    const down = await call('GET', '/catalog/products');
    expect(down.status).toBe(503);
    expect(down.headers.get('x-served-by')).toBe('legacy');
    expect(Date.now() - started).toBeLessThan(1_000);
    const placed = await call('POST', '/orders', { customerId: 'strangled-3', items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }] });
    expect(placed.status).toBe(201);
  });

  it('answers 504 from the gateway after the 3 s integration timeout when legacy hangs', async () => {
    await setLegacyFaults({ latencyMs: 10_000 });
    const started = Date.now();
    const hung = await call('GET', '/catalog/products');
    expect(hung.status).toBe(504);
    expect(hung.headers.get('x-served-by')).toBe('eightfold');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await call('GET', '/health')).status).toBe(200);
  }, 30_000);
});
