/**
 * Payments through the local cloud or a deployment (`E2E_BASE_URL`): commands Lambda → ambassador →
 * breaker → the payment provider stand-in (its own stack and API), and the operators' API that watches and
 * overrides the breaker and injects faults.
 */
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { LOCAL_CREDENTIALS } from '@eightfold/local-cloud';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { chargesIn } from '../helpers/orders.ts';
import { apiCaller, json } from '../helpers/api.ts';
import { expectConsistent } from '../helpers/consistency.ts';
import { eventually } from '../helpers/eventually.ts';
import { metricSum } from '../helpers/metrics.ts';
import { paymentProviderToken, REMOTE_BASE_URL, RUN_ID, startTarget, type E2ETarget } from '../helpers/target.ts';
import { BREAKER_TRANSITIONS_METRIC, BREAKERS_SERVICE } from '../../lambdas/platform/metric-names.ts';
import { stackNames } from '../../lib/stack-names.ts';

let target: E2ETarget;

// Support staff at work: an operator pays, cancels and runs /ops for the customers of this file.
const call = apiCaller(
  () => target.url,
  () => target.operatorToken,
);
const ops = call;

async function placeOrder(unitPriceCents = 1250): Promise<string> {
  const response = await call('POST', '/orders', { customerId: `payer-${RUN_ID}`, items: [{ sku: 'LAMP', quantity: 2, unitPriceCents }] });
  expect(response.status).toBe(201);
  return (await json(response)).orderId as string;
}

const chargesOf = (orderId: string) => chargesIn(target.documents, target.outputs.paymentProvider.ChargesTableName!, orderId);

async function setFaults(faults: { down?: boolean; latencyMs?: number; errorRate?: number; loseChargeAnswers?: boolean }): Promise<void> {
  expect((await ops('PUT', '/ops/faults/payment-provider', faults)).status).toBe(200);
}

beforeAll(async () => {
  target = await startTarget();
});

afterAll(async () => {
  await target?.stop();
});

beforeEach(async () => {
  await setFaults({});
  const { breakers } = await json<{ breakers: { name: string; state: string }[] }>(await ops('GET', '/ops/breakers'));
  // The reset clears the window's counted failures too, so it is always made; instances cache the state
  // for a second, which matters only when it was not CLOSED already.
  expect((await ops('PUT', '/ops/breakers/payment-provider', { state: 'CLOSED' })).status).toBe(200);
  if (breakers.find((b) => b.name === 'payment-provider')?.state !== 'CLOSED') await new Promise((resolve) => setTimeout(resolve, 1_100));
});

describe('POST /orders/{orderId}/payment', () => {
  it('charges the order total once and records the payment', async () => {
    const orderId = await placeOrder();
    const response = await call('POST', `/orders/${orderId}/payment`, { cardToken: 'tok_visa' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"3"');
    expect(await json(response)).toEqual({ orderId, status: 'PAID', version: 3 });
    expect(await chargesOf(orderId)).toEqual([
      expect.objectContaining({
        idempotencyKey: `${orderId}:v1`,
        response: expect.objectContaining({ status: 'APPROVED', amountCents: 2500 }),
      }),
    ]);
    const view = await json(await call('GET', `/orders/${orderId}?minVersion=3`));
    expect(view).toMatchObject({ status: 'PAID', version: 3, payment: { status: 'PAID', chargedCents: 2500, refundedCents: 0 } });
    const events = await json(await call('GET', `/orders/${orderId}/events`));
    expect(events.events.map((e: { type: string }) => e.type)).toEqual(['OrderPlaced', 'PaymentRequested', 'OrderPaid']);
    // Paying a paid order again answers as the payment did, and charges nothing.
    const again = await call('POST', `/orders/${orderId}/payment`);
    expect(await json(again)).toEqual({ orderId, status: 'PAID', version: 3 });
    expect(await chargesOf(orderId)).toHaveLength(1);
  });

  it('answers 402 for a declined card, records the decline, and takes another card afterwards', async () => {
    const orderId = await placeOrder();
    const declined = await call('POST', `/orders/${orderId}/payment`, { cardToken: 'tok_insufficient_funds' });
    expect(declined.status).toBe(402);
    expect(await json(declined)).toEqual({
      error: { code: 'PAYMENT_DECLINED', message: expect.any(String), reason: 'INSUFFICIENT_FUNDS', version: 3 },
    });
    const events = await json(await call('GET', `/orders/${orderId}/events`));
    expect(events.events.map((e: { type: string }) => e.type)).toEqual(['OrderPlaced', 'PaymentRequested', 'PaymentDeclined']);
    expect(await json(await call('GET', `/orders/${orderId}?minVersion=3`))).toMatchObject({
      status: 'PLACED',
      payment: { status: 'DECLINED', chargedCents: 0 },
    });
    const paid = await call('POST', `/orders/${orderId}/payment`);
    expect(await json(paid)).toEqual({ orderId, status: 'PAID', version: 5 });
    // Each attempt has its own key: the declined one and the approved one.
    expect((await chargesOf(orderId)).map((c) => c.idempotencyKey).sort()).toEqual([`${orderId}:v1`, `${orderId}:v3`]);
  });

  it('refuses bad input and unknown orders without calling the provider', async () => {
    expect((await call('POST', '/orders/nope-404/payment')).status).toBe(404);
    const orderId = await placeOrder();
    const bad = await call('POST', `/orders/${orderId}/payment`, { cardToken: 'tok visa!', extra: 1 });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(await chargesOf(orderId)).toEqual([]);
  });

  it('charges once when the provider answers too late and the payment is retried', async () => {
    const orderId = await placeOrder();
    // Slower than the ambassador's 2 s timeout: every attempt times out, though the provider charges.
    await setFaults({ latencyMs: 2_500 });
    const timedOut = await call('POST', `/orders/${orderId}/payment`);
    expect(timedOut.status).toBe(503);
    expect(timedOut.headers.get('retry-after')).toBeTruthy();
    await setFaults({});
    await eventually(async () => expect(await chargesOf(orderId)).toHaveLength(1), { timeoutMs: 5_000 });
    const retried = await call('POST', `/orders/${orderId}/payment`);
    expect(await json(retried)).toEqual({ orderId, status: 'PAID', version: 3 });
    expect(await chargesOf(orderId)).toHaveLength(1);
  }, 30_000);

  it('charges once when the provider charges and loses its answer, and the payment is retried', async () => {
    const orderId = await placeOrder();
    await setFaults({ loseChargeAnswers: true });
    const lost = await call('POST', `/orders/${orderId}/payment`);
    expect(lost.status).toBe(503);
    await setFaults({});
    expect(await chargesOf(orderId)).toHaveLength(1);
    // The retry joins the attempt in flight: the provider replays its first answer.
    expect(await json(await call('POST', `/orders/${orderId}/payment`))).toEqual({ orderId, status: 'PAID', version: 3 });
    expect(await chargesOf(orderId)).toHaveLength(1);
  });

  it('makes one charge for ten concurrent payments of one order; every payer ends with the same 200', async () => {
    const orderId = await placeOrder();
    const pay = async (): Promise<{ first: number; last: Record<string, unknown> }> => {
      const response = await call('POST', `/orders/${orderId}/payment`);
      if (response.status !== 409) return { first: response.status, last: await json(response) };
      // A payment in flight: told when to come back, and then answered.
      const refused = await json(response);
      expect(refused.error.code).toBe('PAYMENT_IN_PROGRESS');
      expect(response.headers.get('retry-after')).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return { first: 409, last: await json(await call('POST', `/orders/${orderId}/payment`)) };
    };
    const payers = await Promise.all(Array.from({ length: 10 }, pay));
    for (const { first, last } of payers) {
      expect([200, 409]).toContain(first);
      expect(last).toEqual({ orderId, status: 'PAID', version: 3 });
    }
    expect(await chargesOf(orderId)).toHaveLength(1);
  });

  it('fails fast with 503 and Retry-After while the provider is down, then pays again once it is back', async () => {
    await setFaults({ down: true });
    // Put right whatever this test leaves, so a failure here is not the next test's too.
    onTestFinished(() => setFaults({}));
    const orders = await Promise.all(Array.from({ length: 7 }, () => placeOrder()));
    // Five payments make at least ten calls (five first attempts, and at least the retry budget's floor of
    // five retries), the breaker's minimum, however fast they run.
    for (const orderId of orders.slice(0, 5)) expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(503);
    const breakers = await json(await ops('GET', '/ops/breakers'));
    // Every known breaker is listed (legacy's too); only the provider's opened.
    expect(breakers.breakers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'payment-provider', state: 'OPEN', nextProbeAt: expect.any(String) }),
        expect.objectContaining({ name: 'legacy', state: 'CLOSED' }),
      ]),
    );
    // The transition reached CloudWatch with the dimensions the breaker-open alarm watches (read back from
    // the local cloud's CloudWatch; AWS's takes minutes to show a data point).
    const { cloud } = target;
    if (cloud)
      await eventually(async () =>
        expect(
          await metricSum(cloud, BREAKER_TRANSITIONS_METRIC, { service: BREAKERS_SERVICE, breaker: 'payment-provider', to: 'OPEN' }),
        ).toBeGreaterThanOrEqual(1),
      );

    const provider = cloud?.functions.get(cloud.resource('ProviderFunction', stackNames('dev').paymentProvider).physicalId);
    const providerCalls = provider?.stats.invocations;
    const started = performance.now();
    const fast = await call('POST', `/orders/${orders[5]}/payment`);
    const elapsed = performance.now() - started;
    expect(fast.status).toBe(503);
    expect(await json(fast)).toMatchObject({ error: { code: 'PAYMENT_UNAVAILABLE' } });
    const retryAfter = Number(fast.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    // Refused without a call to the provider: locally, the provider ran no invocation meanwhile; over a
    // network, where nothing can be counted, the answer came well inside the provider's 2 s timeout.
    if (provider) expect(provider.stats.invocations).toBe(providerCalls);
    else expect(elapsed).toBeLessThan(1_000);

    await setFaults({});
    const paid = await eventually(
      async () => {
        const response = await call('POST', `/orders/${orders[6]}/payment`);
        expect(response.status).toBe(200);
        return json(response);
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(paid).toMatchObject({ status: 'PAID' });
    // That was the first of three HALF_OPEN probes; two more successes close the breaker.
    for (const orderId of await Promise.all([placeOrder(), placeOrder()]))
      expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(200);
    expect((await json(await ops('GET', '/ops/breakers'))).breakers).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'payment-provider', state: 'CLOSED' })]),
    );
  }, 60_000);
});

describe('cancelling a paid order: the saga’s compensation', () => {
  type Order = { status: string; payment: { status: string; chargedCents: number; refundedCents: number } };
  const order = async (orderId: string) => json<Order>(await call('GET', `/orders/${orderId}`));

  it('refunds it: the cancel answers at once, the refund follows, and the customer is told', async () => {
    const orderId = await placeOrder();
    expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(200);
    const cancelled = await call('POST', `/orders/${orderId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await json(cancelled)).toEqual({
      orderId,
      status: 'CANCELLED',
      version: 5,
      payment: { status: 'REFUND_PENDING', chargedCents: 2500, refundedCents: 0 },
    });
    await eventually(async () =>
      expect(await order(orderId)).toMatchObject({
        status: 'CANCELLED',
        payment: { status: 'REFUNDED', chargedCents: 2500, refundedCents: 2500 },
      }),
    );
    const [charge] = await chargesOf(orderId);
    expect(charge).toMatchObject({ refundedCents: 2500 });
    await eventually(async () => {
      const texts = (await json(await call('GET', `/customers/payer-${RUN_ID}/notifications?limit=100`))).notifications.map(
        (n: { orderId: string; text: string }) => n.orderId === orderId && n.text,
      );
      expect(texts).toContain(`We refunded $25.00 for order ${orderId}.`);
    });
  });

  it('completes the refund after the provider comes back when it was down at the cancel, pending meanwhile', async () => {
    const orderId = await placeOrder();
    expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(200);
    await setFaults({ down: true });
    expect(await json(await call('POST', `/orders/${orderId}/cancel`))).toMatchObject({
      status: 'CANCELLED',
      payment: { status: 'REFUND_PENDING' },
    });
    // The refunds subscriber fails and backs off; the order shows the refund owed, not done.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await order(orderId)).toMatchObject({ payment: { status: 'REFUND_PENDING', refundedCents: 0 } });
    expect((await chargesOf(orderId))[0]).toMatchObject({ refundedCents: 0 });
    await setFaults({});
    await eventually(async () => expect(await order(orderId)).toMatchObject({ payment: { status: 'REFUNDED', refundedCents: 2500 } }), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    expect((await chargesOf(orderId))[0]).toMatchObject({ refundedCents: 2500 });
  }, 60_000);

  it.each(['payment first', 'cancel first'])(
    'leaves no charge kept on 25 orders paid and cancelled at once (%s)',
    async (first) => {
      const orders = await Promise.all(Array.from({ length: 25 }, () => placeOrder()));
      const pay = (orderId: string) => call('POST', `/orders/${orderId}/payment`);
      const cancel = (orderId: string) => call('POST', `/orders/${orderId}/cancel`);
      const answers = await Promise.all(
        orders.map((orderId) => Promise.all(first === 'payment first' ? [pay(orderId), cancel(orderId)] : [cancel(orderId), pay(orderId)])),
      );
      for (const [a, b] of answers) {
        const [payment, cancellation] = first === 'payment first' ? [a, b] : [b, a];
        expect(cancellation.status).toBe(200);
        // Paid before the cancel (200), or refused as cancelled: before the request (409 ILLEGAL_TRANSITION) or mid-charge (409 ORDER_CANCELLED).
        expect([200, 409]).toContain(payment.status);
      }
      for (const orderId of orders) {
        await eventually(async () => {
          const { status, payment } = await order(orderId);
          expect(status).toBe('CANCELLED');
          expect(['NONE', 'REFUNDED']).toContain(payment.status);
          expect(payment.chargedCents).toBe(payment.refundedCents);
        });
      }
    },
    60_000,
  );
});

describe('the provider stand-in', () => {
  // Local cloud only: it reads the stand-in's secret, which a deployment's e2e caller has no grant to.
  it.runIf(!REMOTE_BASE_URL)(
    'looks charges up by idempotency key and by order, replays a refund by its key, and never refunds more than a charge',
    async () => {
      const orderId = await placeOrder();
      expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(200);
      expect((await call('POST', `/orders/${orderId}/cancel`)).status).toBe(200);
      const token = await paymentProviderToken(target.cloud!);
      const providerUrl = target.outputs.paymentProvider.ProviderUrl!.replace(/\/+$/, '');
      const provider = (method: string, path: string, body?: unknown, key?: string) =>
        fetch(`${providerUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const byKey = await json(await provider('GET', `/charges?idempotencyKey=${encodeURIComponent(`${orderId}:v1`)}`));
      expect(byKey.charges).toEqual([expect.objectContaining({ orderId, status: 'APPROVED', amountCents: 2500 })]);
      expect((await json(await provider('GET', '/charges?idempotencyKey=nope'))).charges).toEqual([]);
      await eventually(async () =>
        expect((await json(await provider('GET', `/charges?orderId=${orderId}`))).charges).toEqual([
          expect.objectContaining({ refundedCents: 2500 }),
        ]),
      );
      const chargeId = byKey.charges[0].chargeId as string;
      // The saga's refund, asked again under its key: the same refund, not a second one.
      const replayed = await provider('POST', `/charges/${chargeId}/refunds`, { amountCents: 2500 }, `refund:${chargeId}`);
      expect(replayed.status).toBe(200);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      const beyond = await provider('POST', `/charges/${chargeId}/refunds`, { amountCents: 1 }, `more-${orderId}`);
      expect(beyond.status).toBe(409);
      expect(await json(beyond)).toMatchObject({ error: { code: 'REFUND_EXCEEDS_CHARGE' } });
      expect((await provider('POST', '/charges/ch_unknown/refunds', {}, `x-${orderId}`)).status).toBe(404);
      expect((await provider('POST', `/charges/${chargeId}/refunds`, {})).status).toBe(400);
      expect((await chargesOf(orderId))[0]).toMatchObject({ refundedCents: 2500 });
    },
  );
});

describe('the provider’s token, pinned to its host', () => {
  // Local cloud only: it rewrites the deployment's outbound policy, and cold-starts a function to read it.
  it.runIf(!REMOTE_BASE_URL)(
    'is never sent to another host: with the provider’s URL changed in the policy parameter, a payment fails before the token is read, and nothing is charged',
    async () => {
      const cloud = target.cloud!;
      const commands = cloud.functions.get(cloud.resource('CommandsFunction').physicalId)!;
      const ssm = new SSMClient({ endpoint: cloud.endpoints.parameters, region: cloud.region, credentials: LOCAL_CREDENTIALS });
      const Name = cloud.resource('Ambassador/OutboundPolicy').physicalId;
      const original = (await ssm.send(new GetParameterCommand({ Name }))).Parameter!.Value!;
      const policy = JSON.parse(original) as Record<string, { baseUrl: string }>;
      // The same provider under another name of this host: were the token sent, the charge would be made.
      policy['payment-provider']!.baseUrl = policy['payment-provider']!.baseUrl.replace('//127.0.0.1:', '//localhost:');
      try {
        await ssm.send(new PutParameterCommand({ Name, Value: JSON.stringify(policy), Overwrite: true }));
        await commands.recycle(); // a cold start reads the policy afresh (it is cached 30 s)
        const orderId = await placeOrder();
        const refused = await call('POST', `/orders/${orderId}/payment`);
        expect(refused.status).toBe(500);
        expect(await json(refused)).toMatchObject({ error: { code: 'INTERNAL' } });
        expect(await chargesOf(orderId)).toEqual([]);
      } finally {
        await ssm.send(new PutParameterCommand({ Name, Value: original, Overwrite: true }));
        // Every function that may have read the rewritten policy meanwhile (a refund, a coordinator turn) starts afresh.
        await Promise.all([...cloud.functions.values()].map((fn) => fn.recycle()));
        ssm.destroy();
      }
    },
  );
});

describe('operators’ API', () => {
  it('requires an operator: 401 without a token or with a bad one, 403 for a customer, each API Gateway’s own answer', async () => {
    const customer = await target.tokenFor(`payer-${RUN_ID}`);
    for (const [headers, status] of [
      [{ authorization: '' }, 401],
      [{ authorization: 'Bearer not.a.token' }, 401],
      [{ authorization: `Bearer ${customer}` }, 403],
    ] as const) {
      const response = await call('GET', '/ops/breakers', undefined, headers);
      expect(response.status).toBe(status);
      // The authorizer refused it: the function never ran.
      expect(response.headers.get('x-served-by')).toBe('gateway');
    }
  });

  it('forces the breaker open and resets it, fleet-wide', async () => {
    const forced = await ops('PUT', '/ops/breakers/payment-provider', { state: 'FORCED_OPEN' });
    expect(await json(forced)).toMatchObject({ name: 'payment-provider', state: 'FORCED_OPEN' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const orderId = await placeOrder();
    const refused = await call('POST', `/orders/${orderId}/payment`);
    expect(refused.status).toBe(503);
    expect((await json(refused)).error.message).toMatch(/FORCED_OPEN/);
    await ops('PUT', '/ops/breakers/payment-provider', { state: 'CLOSED' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(200);
  });

  it('shows each subscriber’s backlog and dead letters, and the latest events newest first', async () => {
    const orderId = await placeOrder();
    const { subscribers } = await json(await ops('GET', '/ops/queues'));
    expect(subscribers.map((q: { name: string }) => q.name)).toEqual([
      'notifications',
      'audit',
      'sales',
      'legacySync',
      'refunds',
      'projector',
      'publisher',
    ]);
    expect(subscribers[0]).toEqual({ name: 'notifications', waiting: expect.any(Number), inFlight: expect.any(Number), deadLetters: 0 });
    expect(subscribers.at(-1)).toEqual({ name: 'publisher', waiting: null, inFlight: null, deadLetters: 0 });
    // The tail is filled by the audit subscriber, a moment after the command.
    const events = await eventually(async () => {
      const tail = (await json(await ops('GET', '/ops/events?limit=5'))).events as { orderId: string; recordedAt: string }[];
      expect(tail[0]).toEqual({ orderId, version: 1, type: 'OrderPlaced', eventId: expect.any(String), recordedAt: expect.any(String) });
      return tail;
    });
    expect(events.length).toBeLessThanOrEqual(5);
    expect(events.map((e) => e.recordedAt)).toEqual(
      events
        .map((e) => e.recordedAt)
        .sort()
        .reverse(),
    );
    const bad = await ops('GET', '/ops/events?limit=0');
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('answers 404 for an unknown breaker or fault target and 400 for a bad body, changing nothing', async () => {
    expect((await ops('PUT', '/ops/breakers/nope', { state: 'CLOSED' })).status).toBe(404);
    expect((await ops('PUT', '/ops/breakers/payment-provider', { state: 'HALF_OPEN' })).status).toBe(400);
    expect((await ops('PUT', '/ops/faults/nope', { down: true })).status).toBe(404);
    expect((await ops('PUT', '/ops/faults/payment-provider', { errorRate: 2 })).status).toBe(400);
    const orderId = await placeOrder();
    expect((await call('POST', `/orders/${orderId}/payment`)).status).toBe(200);
  });
});

describe('after every fault above (provider down, slow, failing; breaker forced)', () => {
  it('leaves each paid order charged once and every read model agreeing with the event store (npm run check-consistency)', async () => {
    const report = await expectConsistent(target.outputs, target.documents);
    expect(report.orders).toBeGreaterThan(5);
  });
});
