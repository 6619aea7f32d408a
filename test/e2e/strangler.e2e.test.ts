/**
 * Strangler Fig through the local cloud or a deployment (`E2E_BASE_URL`): Eightfold's API in front, the
 * legacy stand-in (its own stack and API) behind it for everything Eightfold does not serve, and legacy's
 * faults kept off Eightfold's routes.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, json } from '../helpers/api.ts';
import { expectConsistent } from '../helpers/consistency.ts';
import { eventually } from '../helpers/eventually.ts';
import { legacyIntegration, legacyUrl, RUN_ID, startTarget, type E2ETarget } from '../helpers/target.ts';

let target: E2ETarget;
/** A customer of this run only, for the counts a long-lived deployment's earlier runs would blur. */
const SYNC_CUSTOMER = `sync-${RUN_ID}`;
/** Every function's log lines, by function name (on the local cloud). */
const logLines: { source: string; line: string }[] = [];

const call = apiCaller(
  () => target.url,
  () => target.operatorToken,
);
/** Legacy called directly, not through Eightfold's façade (its own API in its own stack). */
const callLegacy = apiCaller(() => legacyUrl(target.outputs));
const setLegacyFaults = async (faults: { down?: boolean; latencyMs?: number; errorRate?: number }) =>
  expect((await call('PUT', '/ops/faults/legacy', faults)).status).toBe(200);

/** Legacy's integration API, with the bearer token Eightfold's ambassador holds. */
let callIntegration: (path: string) => Promise<Response>;

beforeAll(async () => {
  target = await startTarget({ onLog: (source, line) => logLines.push({ source, line }) });
  callIntegration = await legacyIntegration(target);
});

afterAll(async () => {
  await target?.stop();
});

describe('routes Eightfold does not serve', () => {
  it('reach legacy, stamped X-Served-By: legacy by the façade (legacy sends none), with their paths and bodies intact', async () => {
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

  it('never reach legacy’s integration API, which takes Eightfold’s bearer token only', async () => {
    for (const [method, path] of [
      ['GET', '/integration/orders'],
      ['GET', '/integration/orders/some-order'],
      ['PUT', '/integration/orders/some-order'],
      ['POST', '/integration'],
    ] as const) {
      const closed = await call(method, path, method === 'GET' ? undefined : { version: 99, event_id: 'forged', updated_at: 't' });
      expect(closed.status, `${method} ${path}`).toBe(404);
      expect(closed.headers.get('x-served-by'), `${method} ${path}`).toBe('gateway');
    }
    // Straight at legacy, without the token (or with another), its integration API refuses; with it, it answers.
    expect((await callLegacy('GET', '/integration/orders')).status).toBe(401);
    expect((await callLegacy('GET', '/integration/orders', undefined, { authorization: 'Bearer guess' })).status).toBe(401);
    expect((await callIntegration('/integration/orders?limit=1')).status).toBe(200);
  });

  it('never reach Eightfold’s handlers, while Eightfold’s own routes stay Eightfold’s', async () => {
    const placed = await call('POST', '/orders', {
      customerId: 'strangled-2',
      items: [{ sku: 'LAMP', quantity: 1, unitPriceCents: 1250 }],
    });
    expect(placed.status).toBe(201);
    expect(placed.headers.get('x-served-by')).toBe('eightfold');
    // Another method on an Eightfold path is legacy's to answer.
    const deleted = await call('DELETE', '/orders');
    expect(deleted.headers.get('x-served-by')).toBe('legacy');
    expect(deleted.status).toBe(404);
    // Operators' paths never fall through: API Gateway itself answers a method /ops does not have.
    expect((await call('DELETE', '/ops/breakers')).headers.get('x-served-by')).toBe('gateway');
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

  it('answers 504 from the façade itself after legacy’s 3 s, when legacy hangs', async () => {
    await setLegacyFaults({ latencyMs: 10_000 });
    const started = Date.now();
    const hung = await call('GET', '/catalog/products');
    expect(hung.status).toBe(504);
    expect(hung.headers.get('x-served-by')).toBe('gateway');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await call('GET', '/health')).status).toBe(200);
  }, 30_000);
});

describe('legacy kept whole', () => {
  afterEach(() => setLegacyFaults({}));

  const placeOrder = async (customerId: string, sku = 'LAMP') => {
    const placed = await call('POST', '/orders', { customerId, items: [{ sku, quantity: 2, unitPriceCents: 1250 }] });
    expect(placed.status).toBe(201);
    return (await json<{ orderId: string }>(placed)).orderId;
  };
  const cancel = async (orderId: string) => expect((await call('POST', `/orders/${orderId}/cancel`, {})).status).toBe(200);
  /** The row legacy keeps, once it has reached `rev`. */
  const legacyRow = (orderId: string, rev: number) =>
    eventually(
      async () => {
        const response = await callIntegration(`/integration/orders/${orderId}`);
        expect(response.status).toBe(200);
        const row = await json(response);
        expect(row.rev).toBe(rev);
        return row;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

  it('receives every order Eightfold takes, in its own terms, and serves it and its old report from them', async () => {
    const kept = await placeOrder(SYNC_CUSTOMER);
    const cancelled = await placeOrder(SYNC_CUSTOMER, 'MUG');
    await cancel(cancelled);
    expect(await legacyRow(kept, 1)).toMatchObject({
      order_no: kept,
      customer_no: SYNC_CUSTOMER,
      status_code: 'N',
      total_amount: '25.00',
      lines: [{ sku: 'LAMP', qty: 2, unit_price: '12.50' }],
      source: 'EIGHTFOLD',
      eightfold_version: 1,
      revisions: [{ rev: 1, by: 'EIGHTFOLD', status_code: 'N', at: expect.any(String) }],
    });
    expect(await legacyRow(cancelled, 2)).toMatchObject({ status_code: 'C', eightfold_version: 2 });
    // Legacy's old orders API answers in the public shape, from its own copy.
    const eightfold = await json(await call('GET', `/orders/${kept}?minVersion=1`));
    const legacy = await json(await callLegacy('GET', `/orders/${kept}`));
    expect(legacy).toMatchObject({
      orderId: kept,
      customerId: SYNC_CUSTOMER,
      status: 'PLACED',
      items: eightfold.items,
      totalCents: eightfold.totalCents,
      version: eightfold.version,
    });
    // Its report, routed to legacy by the façade, counts Eightfold's orders beside its own.
    const today = new Date().toISOString().slice(0, 10);
    const ownOrder = await callLegacy('POST', '/orders', {
      customerId: SYNC_CUSTOMER,
      items: [{ sku: 'KETTLE', quantity: 1, unitPriceCents: 3450 }],
    });
    expect(ownOrder.status).toBe(201);
    const report = await call('GET', `/reports/orders?date=${today}`);
    expect(report.headers.get('x-served-by')).toBe('legacy');
    const figures = await json(report);
    expect(figures.bySource.EIGHTFOLD).toBeGreaterThanOrEqual(2);
    expect(figures.bySource.LEGACY).toBeGreaterThanOrEqual(1);
    expect(figures.byStatus.CANCELLED).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('loses and duplicates nothing across a legacy outage: messages wait and are fed once legacy is back', async () => {
    await setLegacyFaults({ down: true });
    const orders = [];
    for (let i = 0; i < 6; i++) orders.push(await placeOrder(`sync-outage-${i}`));
    for (const orderId of orders.slice(0, 3)) await cancel(orderId);
    // The feed is waiting, not dropped: its messages are in flight or backing off, none in the DLQ.
    const { sqs, outputs } = target;
    const waiting = async () => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: outputs.eightfold.LegacySyncQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    };
    await eventually(async () => expect(await waiting()).toBeGreaterThanOrEqual(9), { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await setLegacyFaults({});
    for (const [i, orderId] of orders.entries()) {
      const row = await legacyRow(orderId, i < 3 ? 2 : 1);
      // Each version fed once: one revision of legacy's per version.
      expect(row.revisions.map((r: { rev: number; by: string }) => `${r.rev}:${r.by}`)).toEqual(
        i < 3 ? ['1:EIGHTFOLD', '2:EIGHTFOLD'] : ['1:EIGHTFOLD'],
      );
      expect(row.status_code).toBe(i < 3 ? 'C' : 'N');
    }
    await eventually(async () => expect(await waiting()).toBe(0));
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs.eightfold.LegacySyncDeadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(Attributes.ApproximateNumberOfMessages)).toBe(0);
  }, 90_000);
});

describe('one correlation id from the request to every effect', () => {
  /** The structured log lines of functions whose name contains `name`. */
  const linesOf = (name: string) =>
    logLines
      .filter((l) => l.source.includes(name) && l.line.startsWith('{'))
      .map((l) => JSON.parse(l.line) as { message?: string; correlation_id?: string });

  it('answers with the caller’s X-Correlation-Id, stamps it on the event, and logs it where the command ran and where legacy was fed', async () => {
    const correlationId = `e2e-correlation-${Date.now()}`;
    const placed = await call(
      'POST',
      '/orders',
      { customerId: 'correlated-1', items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }] },
      { 'X-Correlation-Id': correlationId },
    );
    expect(placed.status).toBe(201);
    expect(placed.headers.get('x-correlation-id')).toBe(correlationId);
    const { orderId } = await json(placed);
    const { events } = await json(await call('GET', `/orders/${orderId}/events`));
    expect(events[0].metadata.correlationId).toBe(correlationId);
    // The subscriber that feeds legacy logs each outbound call under the id of the request that placed the
    // order (its log lines are the local cloud's to read; on AWS they are in CloudWatch Logs).
    if (target.cloud)
      await eventually(() =>
        expect(linesOf('LegacySync').some((l) => l.message === 'outbound call' && l.correlation_id === correlationId)).toBe(true),
      );
  });

  it('uses API Gateway’s request id when the caller sends none, and returns it', async () => {
    const response = await call('GET', '/orders/no-such-order');
    expect(response.status).toBe(404);
    const id = response.headers.get('x-correlation-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('after the outages and hangs above', () => {
  it('leaves legacy fed every revision once and every read model agreeing with the event store (npm run check-consistency)', async () => {
    const report = await expectConsistent(target.outputs, target.documents);
    expect(report.orders).toBeGreaterThan(5);
  });
});
