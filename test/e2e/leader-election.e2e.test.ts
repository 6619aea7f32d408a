/**
 * Leader Election through the local cloud at 60× time: three scheduled contenders (rate(1 minute) fires
 * every second, the three-minute lease lasts 3 s), the leader cancelling unpaid orders, and an operator's
 * step-down handing leadership over with a higher fencing token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../scripts/local-cloud/local-cloud.ts';
import { apiCaller, json } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { metricSum } from '../helpers/metrics.ts';
import { ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';
import { COORDINATOR_SERVICE, LEADER_TURNS_METRIC } from '../../lambdas/shared/metric-names.ts';

const API_KEY = 'e2e-leader-key';
const TIME_SCALE = 60;
const LEASE_MS = 180_000 / TIME_SCALE;
const TURN_MS = 60_000 / TIME_SCALE;
const PAYMENT_TIMEOUT_MS = (5 * 60_000) / TIME_SCALE;
let cloud: LocalCloud;
/** The time scale is part of the synthesis. */
const outDir = ownAssemblyDir('leader');

type Leader = { holder: string | null; status: string; fencingToken: number; leaseExpiresAt: string | null; recentChanges: { holder: string; fencingToken: number; acquiredAt: string; steppedDownAt: string | null }[] };

const call = apiCaller(() => cloud.url);
const ops = (method: string, path: string) => call(method, path, undefined, { 'x-api-key': API_KEY });

async function leader(): Promise<Leader> {
  const response = await ops('GET', '/ops/leader');
  expect(response.status).toBe(200);
  return json<Leader>(response);
}

async function placeOrder(): Promise<string> {
  const response = await call('POST', '/orders', { customerId: 'slow-payer', items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }] });
  expect(response.status).toBe(201);
  return (await json(response)).orderId as string;
}

beforeAll(async () => {
  cloud = await startLocalCloud({
    appDir: PROJECT_DIR,
    outDir,
    port: 0,
    apiKeyValue: API_KEY,
    timeScale: TIME_SCALE,
    context: { 'eightfold:coordinator': { paymentTimeoutMinutes: 5 } },
    onLog: () => undefined,
  });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('GET /ops/leader', () => {
  it('needs the API key', async () => {
    expect((await call('GET', '/ops/leader')).status).toBe(403);
  });

  it('shows one of the three contenders leading, with its fencing token, lease expiry and the change that made it leader', async () => {
    const current = await eventually(async () => {
      const view = await leader();
      expect(view.status).toBe('LEADING');
      return view;
    });
    expect(current.holder).toMatch(/^coordinator-[123]$/);
    expect(current.fencingToken).toBeGreaterThanOrEqual(1);
    expect(Date.parse(current.leaseExpiresAt!)).toBeGreaterThan(Date.now() - LEASE_MS);
    expect(current.recentChanges[0]).toMatchObject({ holder: current.holder, fencingToken: current.fencingToken, steppedDownAt: null });
    // Its turns reach CloudWatch with the dimensions the leaderless alarm watches.
    await eventually(async () => expect(await metricSum(cloud, LEADER_TURNS_METRIC, { service: COORDINATOR_SERVICE, lease: 'coordinator' })).toBeGreaterThanOrEqual(1));
  });
});

describe('the leader’s singleton job', () => {
  it('cancels an order left unpaid past the timeout, once, with reason PAYMENT_TIMEOUT, and leaves a paid one alone', async () => {
    const placedAt = Date.now();
    const [unpaid, paid] = [await placeOrder(), await placeOrder()];
    expect((await call('POST', `/orders/${paid}/payment`, { cardToken: 'tok_visa' })).status).toBe(200);
    const cancelled = await eventually(
      async () => {
        const order = await json(await call('GET', `/orders/${unpaid}`));
        expect(order.status).toBe('CANCELLED');
        return order;
      },
      { timeoutMs: PAYMENT_TIMEOUT_MS + 20_000, intervalMs: 250 },
    );
    expect(Date.now() - placedAt).toBeGreaterThanOrEqual(PAYMENT_TIMEOUT_MS);
    expect(cancelled.version).toBe(2);
    // A few more turns: nothing is cancelled twice, and the paid order stays paid.
    await new Promise((resolve) => setTimeout(resolve, 3 * TURN_MS));
    const { events } = await json<{ events: { type: string; data: { reason?: string }; metadata: { actor: string } }[] }>(await call('GET', `/orders/${unpaid}/events`));
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderCancelled']);
    expect(events[1]!.data.reason).toBe('PAYMENT_TIMEOUT');
    expect(events[1]!.metadata.actor).toMatch(/^system:coordinator:coordinator-[123]$/);
    expect((await json(await call('GET', `/orders/${paid}`))).status).toBe('PAID');
  });
});

describe('POST /ops/leader/step-down', () => {
  it('makes the holder stop renewing; another contender takes over after expiry with a higher token', async () => {
    const before = await eventually(async () => {
      const view = await leader();
      expect(view.status).toBe('LEADING');
      return view;
    });
    const askedAt = Date.now();
    const response = await ops('POST', '/ops/leader/step-down');
    expect(response.status).toBe(202);
    expect(await json(response)).toMatchObject({ holder: before.holder, status: 'STEPPING_DOWN', fencingToken: before.fencingToken });
    const after = await eventually(
      async () => {
        const view = await leader();
        expect(view).toMatchObject({ status: 'LEADING', fencingToken: before.fencingToken + 1 });
        return view;
      },
      { timeoutMs: 4 * LEASE_MS, intervalMs: 100 },
    );
    // Within the rest of the lease plus one turn (and the local cloud's own latency).
    expect(Date.now() - askedAt).toBeLessThanOrEqual(LEASE_MS + TURN_MS + 2_000);
    expect(after.holder).not.toBe(before.holder);
    expect(after.recentChanges.slice(0, 2)).toMatchObject([
      { holder: after.holder, fencingToken: after.fencingToken, steppedDownAt: null },
      { holder: before.holder, fencingToken: before.fencingToken, steppedDownAt: expect.any(String) },
    ]);
  });

  it('answers 409 NO_LEADER when no one holds the lease', async () => {
    await cloud.scheduler.stop(); // no more turns: the lease runs out and stays vacant
    await eventually(async () => expect((await leader()).status).toBe('EXPIRED'), { timeoutMs: 2 * LEASE_MS });
    const none = await ops('POST', '/ops/leader/step-down');
    expect(none.status).toBe(409);
    expect((await json(none)).error).toMatchObject({ code: 'NO_LEADER' });
  });
});
