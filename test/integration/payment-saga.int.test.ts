/**
 * The payment saga's use cases on DynamoDB Local, with the provider as an in-memory port whose answers the
 * test holds, loses or refuses: every interleaving the e2e races only sample, forced one at a time.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderDecider, orderUpcasters } from '../../lambdas/domain/orders/index.ts';
import { EventStore, handleCommand } from '../../lambdas/patterns/event-sourcing/index.ts';
import { fencedAppend, isStaleFencingTokenError } from '../../lambdas/patterns/leader-election/index.ts';
import {
  PaymentProviderRefusedError,
  type ChargeAnswer,
  type ChargeRequest,
  type PaymentProvider,
  type RefundRequest,
} from '../../lambdas/use-cases/payment-provider.ts';
import { payOrder, reconcilePayments, refundCharge, type PaymentDeps } from '../../lambdas/use-cases/payments.ts';
import { createEventsTable, createTable, startLocalDynamo } from '../helpers/tables.ts';

const meta = { correlationId: 'c', actor: 'test' };
let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
let client: DynamoDBDocumentClient;
let store: EventStore;
let now = Date.parse('2026-12-05T10:00:00.000Z');
let orders = 0;

/** A provider with the stand-in's rules (one charge per key, refunds within the charge), and handles on its timing. */
class HeldProvider implements PaymentProvider {
  readonly charges = new Map<string, { answer: ChargeAnswer; body: string }>();
  readonly refunds = new Map<string, { chargeId: string; amountCents: number; refundId: string }>();
  down = false;
  /** Answers to lose after the charge is made (a timeout on the way back). */
  answersToLose = 0;
  /** While set, a charge waits here before it is made. */
  hold?: Promise<void>;
  /** Answers 409 to the next charges, as a real provider does while it still processes the same key. */
  busy = 0;

  async assertAvailable(): Promise<void> {
    if (this.down) throw new Error('breaker open');
  }

  async charge(request: ChargeRequest): Promise<ChargeAnswer> {
    if (this.down) throw new Error('unreachable');
    if (this.busy > 0 && this.busy--) throw new PaymentProviderRefusedError(409, 'IDEMPOTENCY_KEY_IN_USE', 'busy');
    await this.hold;
    const body = JSON.stringify([request.amountCents, request.cardToken ?? 'tok_visa']);
    const made = this.charges.get(request.idempotencyKey) ?? {
      answer:
        request.cardToken === 'tok_decline'
          ? { status: 'DECLINED', reason: 'CARD_DECLINED' }
          : { status: 'APPROVED', chargeId: `ch-${request.idempotencyKey}`, amountCents: request.amountCents },
      body,
    };
    if (made.body !== body) throw new PaymentProviderRefusedError(422, 'IDEMPOTENCY_KEY_REUSED', 'another body');
    this.charges.set(request.idempotencyKey, made);
    if (this.answersToLose > 0 && this.answersToLose--) throw new Error('no answer within 2000 ms');
    return made.answer;
  }

  async findCharge(idempotencyKey: string): Promise<ChargeAnswer | undefined> {
    return this.charges.get(idempotencyKey)?.answer;
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    if (this.down) throw new Error('unreachable');
    const earlier = this.refunds.get(request.refundKey);
    if (earlier) return earlier;
    const charge = [...this.charges.values()].find((c) => c.answer.status === 'APPROVED' && c.answer.chargeId === request.chargeId);
    const refunded = [...this.refunds.values()].filter((r) => r.chargeId === request.chargeId).reduce((sum, r) => sum + r.amountCents, 0);
    if (charge?.answer.status !== 'APPROVED' || refunded + request.amountCents > charge.answer.amountCents)
      throw new PaymentProviderRefusedError(409, 'REFUND_EXCEEDS_CHARGE', 'too much');
    const record = { chargeId: request.chargeId, amountCents: request.amountCents, refundId: `re-${this.refunds.size}` };
    this.refunds.set(request.refundKey, record);
    return record;
  }

  /** What the provider holds for an order: approved charges less refunds. */
  net(orderId: string): number {
    const charged = [...this.charges.entries()].filter(([key, c]) => key.startsWith(orderId) && c.answer.status === 'APPROVED');
    const chargeIds = new Set(charged.map(([, c]) => (c.answer as { chargeId: string }).chargeId));
    const refunded = [...this.refunds.values()].filter((r) => chargeIds.has(r.chargeId)).reduce((sum, r) => sum + r.amountCents, 0);
    return charged.reduce((sum, [, c]) => sum + (c.answer as { amountCents: number }).amountCents, 0) - refunded;
  }
}

const depsWith = (provider: PaymentProvider, extra: Partial<PaymentDeps> = {}): PaymentDeps => ({
  store,
  provider,
  now: () => new Date(now),
  ...extra,
});

async function placeOrder(): Promise<string> {
  const orderId = `order-${++orders}`;
  await handleCommand(
    store,
    orderDecider,
    orderId,
    {
      type: 'PlaceOrder',
      data: { orderId, customerId: 'c', items: [{ sku: 'A', quantity: 2, unitPriceCents: 450 }] },
      now: new Date(now).toISOString(),
    },
    meta,
  );
  return orderId;
}
const cancel = (orderId: string) =>
  handleCommand(
    store,
    orderDecider,
    orderId,
    { type: 'CancelOrder', data: { orderId, reason: 'CUSTOMER_REQUEST' }, now: new Date(now).toISOString() },
    meta,
  );
const types = async (orderId: string) => (await store.read(orderId)).events.map((e) => e.type);
const state = async (orderId: string) => (await store.load(orderId, orderDecider)).state;

async function* listed(orderIds: string[]): AsyncGenerator<string> {
  yield* orderIds;
}

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  client = dynamo.client;
  await createEventsTable(dynamo.raw);
  await createTable(dynamo.raw, 'leases', [
    { name: 'name', type: 'S' },
    { name: 'entry', type: 'S' },
  ]);
  store = new EventStore({ client, tableName: 'events', upcasters: orderUpcasters });
});

afterAll(() => dynamo?.stop());

/** A payment whose intent is recorded and whose charge waits at the provider until `release`. */
async function payingWithChargeHeld() {
  const provider = new HeldProvider();
  const orderId = await placeOrder();
  let release!: () => void;
  provider.hold = new Promise((resolve) => (release = resolve));
  const paying = payOrder(depsWith(provider), { orderId, metadata: meta });
  await expect.poll(() => types(orderId)).toContain('PaymentRequested');
  return { provider, orderId, paying, release };
}

describe('paying', () => {
  it('records the intent before the charge, then the charge', async () => {
    const { provider, orderId, paying, release } = await payingWithChargeHeld();
    expect(await types(orderId)).toEqual(['OrderPlaced', 'PaymentRequested']);
    release();
    expect(await paying).toEqual({ outcome: 'PAID', version: 3 });
    expect(await types(orderId)).toEqual(['OrderPlaced', 'PaymentRequested', 'OrderPaid']);
    // Paid again: answered as paid, nothing charged.
    expect(await payOrder(depsWith(provider), { orderId, metadata: meta })).toEqual({ outcome: 'PAID', version: 3 });
    expect(provider.charges.size).toBe(1);
  });

  it('refunds a charge that lands after the customer cancelled, and tells the payer', async () => {
    const { provider, orderId, paying, release } = await payingWithChargeHeld();
    expect((await cancel(orderId)).state.status).toBe('CANCELLED');
    release();
    expect(await paying).toEqual({
      outcome: 'CANCELLED',
      version: 4,
      payment: { status: 'REFUND_PENDING', chargedCents: 900, refundedCents: 0 },
    });
    const chargeId = `ch-${orderId}:v1`;
    expect(await refundCharge(depsWith(provider), { orderId, chargeId, metadata: meta })).toBe('refunded');
    expect(await refundCharge(depsWith(provider), { orderId, chargeId, metadata: meta })).toBe('already-refunded');
    expect(await types(orderId)).toEqual(['OrderPlaced', 'PaymentRequested', 'OrderCancelled', 'RefundRequested', 'PaymentRefunded']);
    expect(provider.net(orderId)).toBe(0);
    expect(provider.refunds.size).toBe(1);
  });

  it('makes one charge for ten concurrent payers, each answered PAID', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    const results = await Promise.all(Array.from({ length: 10 }, () => payOrder(depsWith(provider), { orderId, metadata: meta })));
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ outcome: 'PAID', version: 3 })));
    expect(provider.charges.size).toBe(1);
  });

  it('joins an attempt whose answer was lost: the retry records the provider’s first charge', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    provider.answersToLose = 1;
    await expect(payOrder(depsWith(provider), { orderId, metadata: meta })).rejects.toThrow(/no answer/);
    expect(await state(orderId)).toMatchObject({ status: 'PLACED', payment: { pending: { key: `${orderId}:v1` } } });
    expect(await payOrder(depsWith(provider), { orderId, metadata: meta })).toEqual({ outcome: 'PAID', version: 3 });
    expect(provider.charges.size).toBe(1);
  });

  it('answers a payer with another card with the charge the first payer’s card made', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    provider.answersToLose = 1;
    await expect(payOrder(depsWith(provider), { orderId, cardToken: 'tok_visa', metadata: meta })).rejects.toThrow();
    expect(await payOrder(depsWith(provider), { orderId, cardToken: 'tok_decline', metadata: meta })).toEqual({
      outcome: 'PAID',
      version: 3,
    });
    expect(provider.net(orderId)).toBe(900);
  });

  it('tells a payer to come back while the provider is still busy with the key, and meets the charge when it does', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    provider.busy = 1;
    await expect(payOrder(depsWith(provider), { orderId, metadata: meta })).rejects.toMatchObject({ code: 'PAYMENT_IN_PROGRESS' });
    expect(await payOrder(depsWith(provider), { orderId, metadata: meta })).toEqual({ outcome: 'PAID', version: 3 });
    expect(provider.charges.size).toBe(1);
  });

  it('records a decline and takes the next attempt under a new key', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    expect(await payOrder(depsWith(provider), { orderId, cardToken: 'tok_decline', metadata: meta })).toEqual({
      outcome: 'DECLINED',
      version: 3,
      reason: 'CARD_DECLINED',
    });
    expect(await payOrder(depsWith(provider), { orderId, metadata: meta })).toEqual({ outcome: 'PAID', version: 5 });
    expect([...provider.charges.keys()]).toEqual([`${orderId}:v1`, `${orderId}:v3`]);
  });

  it('refuses before recording anything while the provider is known to be down', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    provider.down = true;
    await expect(payOrder(depsWith(provider), { orderId, metadata: meta })).rejects.toThrow(/breaker open/);
    expect(await types(orderId)).toEqual(['OrderPlaced']);
  });
});

describe('refunding', () => {
  it('keeps a refund owed while the provider is down, and completes it once it is back', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    await payOrder(depsWith(provider), { orderId, metadata: meta });
    await cancel(orderId);
    provider.down = true;
    await expect(refundCharge(depsWith(provider), { orderId, chargeId: `ch-${orderId}:v1`, metadata: meta })).rejects.toThrow(
      /unreachable/,
    );
    expect(await types(orderId)).toEqual(['OrderPlaced', 'PaymentRequested', 'OrderPaid', 'OrderCancelled', 'RefundRequested']);
    provider.down = false;
    expect(await refundCharge(depsWith(provider), { orderId, chargeId: `ch-${orderId}:v1`, metadata: meta })).toBe('refunded');
    expect(provider.net(orderId)).toBe(0);
  });
});

describe('the reconciler', () => {
  const BOUND_MS = 5 * 60_000;
  const reconcile = (provider: PaymentProvider, orderIds: string[], extra: Partial<PaymentDeps> = {}) =>
    reconcilePayments(depsWith(provider, extra), {
      openOrders: listed(orderIds),
      openBefore: new Date(now - BOUND_MS).toISOString(),
      stillLeading: () => true,
      metadata: meta,
    });

  it('concludes each attempt past its bound from the provider’s own record, runs the refunds owed, and leaves younger ones alone', async () => {
    const provider = new HeldProvider();
    const [charged, neverArrived, cancelledMeanwhile, young] = [
      await placeOrder(),
      await placeOrder(),
      await placeOrder(),
      await placeOrder(),
    ];
    provider.answersToLose = 2;
    await expect(payOrder(depsWith(provider), { orderId: charged, metadata: meta })).rejects.toThrow();
    await expect(payOrder(depsWith(provider), { orderId: cancelledMeanwhile, metadata: meta })).rejects.toThrow();
    await cancel(cancelledMeanwhile);
    // An intent whose charge never reached the provider, as a crash before the call leaves it.
    await handleCommand(
      store,
      orderDecider,
      neverArrived,
      { type: 'RequestPayment', data: { orderId: neverArrived, paymentKey: `${neverArrived}:v1` }, now: new Date(now).toISOString() },
      meta,
    );
    now += BOUND_MS + 1_000;
    await handleCommand(
      store,
      orderDecider,
      young,
      { type: 'RequestPayment', data: { orderId: young, paymentKey: `${young}:v1` }, now: new Date(now).toISOString() },
      meta,
    );

    const report = await reconcile(provider, [charged, neverArrived, cancelledMeanwhile, young]);
    expect(report).toMatchObject({
      concluded: [charged, neverArrived, cancelledMeanwhile],
      refunded: [`ch-${cancelledMeanwhile}:v1`],
      failed: [],
      interrupted: false,
    });
    expect(await types(charged)).toEqual(['OrderPlaced', 'PaymentRequested', 'OrderPaid']);
    expect(await types(neverArrived)).toEqual(['OrderPlaced', 'PaymentRequested', 'PaymentAbandoned']);
    expect(await types(cancelledMeanwhile)).toEqual([
      'OrderPlaced',
      'PaymentRequested',
      'OrderCancelled',
      'RefundRequested',
      'PaymentRefunded',
    ]);
    expect(await types(young)).toEqual(['OrderPlaced', 'PaymentRequested']);
    expect([provider.net(charged), provider.net(neverArrived), provider.net(cancelledMeanwhile)]).toEqual([900, 0, 0]);
    // A second turn over the same nomination changes nothing.
    expect(await reconcile(provider, [charged, neverArrived, cancelledMeanwhile])).toMatchObject({
      concluded: [],
      refunded: [],
      failed: [],
    });
  });

  it('runs a refund still owed past the bound, notes an order whose step failed, and stops at a stale fence', async () => {
    const provider = new HeldProvider();
    const orderId = await placeOrder();
    await payOrder(depsWith(provider), { orderId, metadata: meta });
    await cancel(orderId);
    now += BOUND_MS + 1_000;
    provider.down = true;
    expect(await reconcile(provider, [orderId])).toMatchObject({ refunded: [], failed: [{ orderId, error: 'unreachable' }] });
    provider.down = false;
    // A newer leader has written to the orders: this one's token is refused, and it stops.
    const fence = (token: number) => fencedAppend({ tableName: 'leases', resource: 'orders@saga', fencingToken: token });
    await handleCommand(
      store,
      orderDecider,
      await placeOrder(),
      { type: 'CancelOrder', data: { orderId: `order-${orders}`, reason: 'CUSTOMER_REQUEST' }, now: 'now' },
      meta,
      { guard: fence(7) },
    );
    const stale = await reconcile(provider, [orderId], { guard: fence(6) }).catch((error: unknown) => error);
    expect(isStaleFencingTokenError(stale)).toBe(true);
    expect(await reconcile(provider, [orderId], { guard: fence(7) })).toMatchObject({ refunded: [`ch-${orderId}:v1`], failed: [] });
    expect(provider.net(orderId)).toBe(0);
  });
});
