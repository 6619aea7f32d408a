/**
 * Leader Election through the local cloud at 60× time: three scheduled contenders (rate(1 minute) fires
 * every second, the three-minute lease lasts 3 s), the leader cancelling unpaid orders and concluding
 * payments left in flight (the payment reconciler, its 5-minute bound 5 s here), and an operator's
 * step-down handing leadership over with a higher fencing token.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargesIn } from '../helpers/orders.ts';
import { LOCAL_CREDENTIALS, startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { expectConsistent } from '../helpers/consistency.ts';
import { localOutputs } from '../helpers/target.ts';
import { apiCaller, json } from '../helpers/api.ts';
import { mintToken } from '../helpers/tokens.ts';
import { eventually } from '../helpers/eventually.ts';
import { metricSum } from '../helpers/metrics.ts';
import { ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';
import { COORDINATOR_SERVICE, LEADER_TURNS_METRIC, PAYMENT_STEPS_FAILED_METRIC } from '../../lambdas/platform/metric-names.ts';
import { checkAnswers } from '../helpers/api-description.ts';

const TIME_SCALE = 60;
const LEASE_MS = 180_000 / TIME_SCALE;
const TURN_MS = 60_000 / TIME_SCALE;
const PAYMENT_TIMEOUT_MS = (5 * 60_000) / TIME_SCALE;
/** The reconciler's bound (COORDINATOR.paymentReconcileAfterSeconds), at this time scale. */
const RECONCILE_AFTER_MS = (300 * 1000) / TIME_SCALE;
let cloud: LocalCloud;
let documents: DynamoDBDocumentClient;
/** The time scale is part of the synthesis. */
const outDir = ownAssemblyDir('leader');

type Leader = {
  holder: string | null;
  status: string;
  fencingToken: number;
  leaseExpiresAt: string | null;
  recentChanges: { holder: string; fencingToken: number; acquiredAt: string; steppedDownAt: string | null }[];
};

/** An operator's token: support staff paying and cancelling for the customers, and /ops. */
let token: string;
const call = apiCaller(
  () => cloud.url,
  () => token,
);
const ops = call;

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
    timeScale: TIME_SCALE,
    context: { 'eightfold:coordinator': { paymentTimeoutMinutes: 5 } },
    onLog: () => undefined,
  });
  checkAnswers(cloud.url);
  token = await mintToken(cloud, { operator: 'e2e-operator' });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS }),
  );
});

afterAll(async () => {
  documents?.destroy();
  await cloud?.stop();
});

describe('GET /ops/leader', () => {
  it('needs an operator’s token', async () => {
    expect((await call('GET', '/ops/leader', undefined, { authorization: '' })).status).toBe(401);
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
    await eventually(async () =>
      expect(await metricSum(cloud, LEADER_TURNS_METRIC, { service: COORDINATOR_SERVICE, lease: 'coordinator' })).toBeGreaterThanOrEqual(1),
    );
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
    const { events } = await json<{ events: { type: string; data: { reason?: string }; metadata: { actor: string } }[] }>(
      await call('GET', `/orders/${unpaid}/events`),
    );
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderCancelled']);
    expect(events[1]!.data.reason).toBe('PAYMENT_TIMEOUT');
    expect(events[1]!.metadata.actor).toMatch(/^system:coordinator:coordinator-[123]$/);
    expect((await json(await call('GET', `/orders/${paid}`))).status).toBe('PAID');
  });
});

describe('the payment reconciler, the leader’s other singleton work', () => {
  type Order = { status: string; version: number; payment: { status: string; chargedCents: number; refundedCents: number } };
  const order = async (orderId: string, minVersion = 1) => json<Order>(await call('GET', `/orders/${orderId}?minVersion=${minVersion}`));
  const eventTypes = async (orderId: string) =>
    (await json<{ events: { type: string }[] }>(await call('GET', `/orders/${orderId}/events`))).events.map((e) => e.type);
  const chargesOf = (orderId: string) => chargesIn(documents, localOutputs(cloud).paymentProvider.ChargesTableName!, orderId);
  const setFaults = async (faults: Record<string, unknown>) =>
    expect((await ops('PUT', '/ops/faults/payment-provider', faults)).status).toBe(200);
  /** Until the order's payment rests as `expected` (the bound, a turn, the refund's own hop). */
  const settles = (orderId: string, expected: Partial<Order>, timeoutMs = RECONCILE_AFTER_MS + 15_000) =>
    eventually(async () => expect(await order(orderId)).toMatchObject(expected), { timeoutMs, intervalMs: 250 });

  it('finds a charge whose answer was lost and keeps it: the order is paid, never cancelled by the timeout meanwhile', async () => {
    const orderId = await placeOrder();
    await setFaults({ loseChargeAnswers: true });
    const lost = await call('POST', `/orders/${orderId}/payment`);
    await setFaults({});
    expect(lost.status).toBe(503);
    expect(await order(orderId, 2)).toMatchObject({ status: 'PLACED', payment: { status: 'PENDING' } });
    // The payment timeout (5 s here) passes too: an order with a payment in flight is the reconciler's, not the timeout's.
    await settles(orderId, { status: 'PAID', payment: { status: 'PAID', chargedCents: 900, refundedCents: 0 } });
    expect(await eventTypes(orderId)).toEqual(['OrderPlaced', 'PaymentRequested', 'OrderPaid']);
    expect(await chargesOf(orderId)).toHaveLength(1);
  });

  it('refunds a charge whose answer was lost when the customer cancelled meanwhile', async () => {
    const orderId = await placeOrder();
    await setFaults({ loseChargeAnswers: true });
    expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(503);
    await setFaults({});
    const cancelled = await call('POST', `/orders/${orderId}/cancel`);
    expect(await json(cancelled)).toMatchObject({ status: 'CANCELLED', payment: { status: 'PENDING' } });
    await settles(orderId, { status: 'CANCELLED', payment: { status: 'REFUNDED', chargedCents: 900, refundedCents: 900 } });
    expect(await eventTypes(orderId)).toEqual(['OrderPlaced', 'PaymentRequested', 'OrderCancelled', 'RefundRequested', 'PaymentRefunded']);
  });

  it('concludes a payment whose worker crashed between the charge and its record', async () => {
    const orderId = await placeOrder();
    // The provider takes 1.5 s; the commands sandbox dies 0.7 s into the request, the charge still on its way.
    await setFaults({ latencyMs: 1_500 });
    const commands = cloud.functions.get(cloud.resource('CommandsFunction').physicalId)!;
    const crashed = commands.crashNextInvocation(700);
    const response = await call('POST', `/orders/${orderId}/payment`);
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(await crashed).toMatchObject({ ok: false, kind: 'Crashed' });
    await eventually(async () => expect(await chargesOf(orderId)).toHaveLength(1), { timeoutMs: 5_000 });
    await setFaults({});
    expect(await eventTypes(orderId)).toEqual(['OrderPlaced', 'PaymentRequested']);
    await settles(orderId, { status: 'PAID', payment: { status: 'PAID', chargedCents: 900, refundedCents: 0 } });
    expect(await chargesOf(orderId)).toHaveLength(1);
  });

  it('races payments against the payment timeout: an order is either paid or cancelled uncharged', async () => {
    await setFaults({ latencyMs: 600 });
    const orders = await Promise.all(Array.from({ length: 8 }, () => placeOrder()));
    // Payments arrive spread across the timeout, each charge slow enough for a coordinator turn to land mid-payment.
    await new Promise((resolve) => setTimeout(resolve, PAYMENT_TIMEOUT_MS - 1_000));
    const answers = await Promise.all(
      orders.map(async (orderId, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 300));
        return { orderId, status: (await call('POST', `/orders/${orderId}/payment`)).status };
      }),
    );
    await setFaults({});
    for (const { orderId, status } of answers) {
      expect([200, 409]).toContain(status);
      await settles(
        orderId,
        status === 200
          ? { status: 'PAID', payment: { status: 'PAID', chargedCents: 900, refundedCents: 0 } }
          : { status: 'CANCELLED', payment: { status: 'NONE', chargedCents: 0, refundedCents: 0 } },
      );
    }
  });

  it('counts a refund it cannot make while the provider is down (the stuck-payments alarm’s metric), and makes it once the provider is back', async () => {
    const orderId = await placeOrder();
    expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(200);
    await setFaults({ down: true });
    expect(await json(await call('POST', `/orders/${orderId}/cancel`))).toMatchObject({
      status: 'CANCELLED',
      payment: { status: 'REFUND_PENDING' },
    });
    await eventually(
      async () =>
        expect(
          await metricSum(cloud, PAYMENT_STEPS_FAILED_METRIC, { service: COORDINATOR_SERVICE, lease: 'coordinator' }),
        ).toBeGreaterThanOrEqual(1),
      {
        timeoutMs: RECONCILE_AFTER_MS + 15_000,
        intervalMs: 500,
      },
    );
    expect(await order(orderId)).toMatchObject({ payment: { status: 'REFUND_PENDING', refundedCents: 0 } });
    await setFaults({});
    // The outage opened the breaker, and each failed probe while it lasted doubled its cool-down (5 s, then 10 s).
    await settles(orderId, { status: 'CANCELLED', payment: { status: 'REFUNDED', chargedCents: 900, refundedCents: 900 } }, 45_000);
    // The outage opened the provider's breaker; the tests after this one pay again.
    expect((await ops('PUT', '/ops/breakers/payment-provider', { state: 'CLOSED' })).status).toBe(200);
  });

  it('leaves every order’s money where its status says (the ledger) and every read model agreeing', async () => {
    await expectConsistent(localOutputs(cloud), documents);
  });
});

describe('POST /ops/leader/step-down and /resign', () => {
  /** Asks the leader to go by `path`; waits for the next one, with a higher token. */
  async function handOver(path: string, status: string) {
    const before = await eventually(async () => {
      const view = await leader();
      expect(view.status).toBe('LEADING');
      return view;
    });
    const askedAt = Date.now();
    const response = await ops('POST', path);
    expect(response.status).toBe(202);
    expect(await json(response)).toMatchObject({ holder: before.holder, status, fencingToken: before.fencingToken });
    const after = await eventually(
      async () => {
        const view = await leader();
        expect(view).toMatchObject({ status: 'LEADING', fencingToken: before.fencingToken + 1 });
        return view;
      },
      { timeoutMs: 4 * LEASE_MS, intervalMs: 100 },
    );
    expect(after.holder).not.toBe(before.holder);
    return { before, after, tookMs: Date.now() - askedAt };
  }

  it('makes the holder stop renewing; another contender takes over after expiry with a higher token', async () => {
    const { before, after, tookMs } = await handOver('/ops/leader/step-down', 'STEPPING_DOWN');
    // Within the rest of the lease plus one turn (and the local cloud's own latency).
    expect(tookMs).toBeLessThanOrEqual(LEASE_MS + TURN_MS + 2_000);
    expect(after.recentChanges.slice(0, 2)).toMatchObject([
      { holder: after.holder, fencingToken: after.fencingToken, steppedDownAt: null },
      { holder: before.holder, fencingToken: before.fencingToken, steppedDownAt: expect.any(String) },
    ]);
  });

  it('hands leadership over when the leader resigns: the next contender’s turn takes it, with a higher token', async () => {
    const { tookMs } = await handOver('/ops/leader/resign', 'HANDED_OVER');
    // Within one turn (and the local cloud's own latency), not what was left of the lease.
    expect(tookMs).toBeLessThanOrEqual(TURN_MS + 2_000);
  });

  it('answers 409 NO_LEADER when no one holds the lease', async () => {
    await cloud.scheduler.stop(); // no more turns: the lease runs out and stays vacant
    await eventually(async () => expect((await leader()).status).toBe('EXPIRED'), { timeoutMs: 2 * LEASE_MS });
    const none = await ops('POST', '/ops/leader/step-down');
    expect(none.status).toBe(409);
    expect((await json(none)).error).toMatchObject({ code: 'NO_LEADER' });
  });
});
