/**
 * Leader Election on DynamoDB Local: leases taken in stateless turns (as the scheduled coordinator Lambda
 * takes them) by contenders on fake clocks skewed within the margin, step-down, fencing at the resource,
 * and the payment-timeout job with coordinators racing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentAttempt } from '../helpers/orders.ts';
import { orderDecider, orderUpcasters } from '../../lambdas/domain/orders/index.ts';
import { cancelUnpaidOrders, type PaymentTimeoutJob } from '../../lambdas/use-cases/payment-timeouts.ts';
import { EventStore, handleCommand } from '../../lambdas/patterns/event-sourcing/index.ts';
import {
  coordinatorTurn,
  fencedAppend,
  isStaleFencingTokenError,
  LeaseClient,
  LeaseTable,
  type Lease,
} from '../../lambdas/patterns/leader-election/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '@eightfold/local-cloud';
import { createTable } from '../helpers/tables.ts';

const LEASE_MS = 15_000;
const MARGIN_MS = 2_000;
const HEARTBEAT_MS = LEASE_MS / 3;
const meta = { correlationId: 'c', actor: 'test' };
let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let leaseTable: LeaseTable;
let store: EventStore;
let now: number;

/** A contender whose clock is `skewMs` off the true time. */
const contender = (holder: string, skewMs = 0) =>
  new LeaseClient({ client, tableName: 'leases', holder, leaseMs: LEASE_MS, clockSkewMarginMs: MARGIN_MS, clock: () => now + skewMs });

const placeOrder = (orderId: string) =>
  handleCommand(
    store,
    orderDecider,
    orderId,
    {
      type: 'PlaceOrder',
      data: { orderId, customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }] },
      now: new Date(now).toISOString(),
    },
    meta,
  );

async function* listed(orderIds: string[]): AsyncGenerator<string> {
  yield* orderIds;
}

async function cancellations(orderId: string): Promise<number> {
  return (await store.read(orderId)).events.filter((e) => e.type === 'OrderCancelled').length;
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw);
  await createTable(raw, 'leases', [
    { name: 'name', type: 'S' },
    { name: 'entry', type: 'S' },
  ]);
  await createTable(raw, 'events', [
    { name: 'streamId', type: 'S' },
    { name: 'position', type: 'N' },
  ]);
  leaseTable = new LeaseTable({ client, tableName: 'leases' });
  store = new EventStore({ client, tableName: 'events', upcasters: orderUpcasters });
  now = 1_800_000_000_000;
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('leases on DynamoDB Local', () => {
  it('lets exactly one of 5 racing contenders acquire, with the first fencing token', async () => {
    const contenders = Array.from({ length: 5 }, (_, i) => contender(`c${i}`));
    const leases = await Promise.all(contenders.map((c) => c.hold('race')));
    const won = leases.filter((l): l is Lease => l !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]!.fencingToken).toBe(1);
    expect((await leaseTable.describe('race')).holder).toBe(won[0]!.holder);
    // The winner's next turn renews with the same token; the others' turns change nothing.
    now += HEARTBEAT_MS;
    const next = await Promise.all(contenders.map((c) => c.hold('race')));
    expect(next.filter((l) => l !== undefined)).toEqual([{ ...won[0]!, expiresAt: now + LEASE_MS }]);
    expect((await leaseTable.describe('race')).recentChanges).toHaveLength(1);
  });

  it('never has two contenders believing their lease valid, clocks skewed within the margin, and fails over within lease + one heartbeat', async () => {
    const skews = [0, 900, -900, 400, -400];
    const contenders = skews.map((skew, i) => contender(`s${i}`, skew));
    // What each contender last believed it held: a crashed (or frozen) holder keeps believing.
    const believed = new Map<string, Lease>();
    const crashed = new Set<string>();
    const failovers: number[] = [];
    let crashAt: number | undefined;
    const start = now;
    // Every contender takes a turn each heartbeat, as the schedule fires them all; the holder's turn renews.
    for (let turn = 0; turn < 60; turn++, now += HEARTBEAT_MS) {
      for (const c of contenders) {
        if (crashed.has(c.holder)) continue;
        const lease = await c.hold('skewed');
        if (!lease) {
          believed.delete(c.holder);
          continue;
        }
        if (!believed.has(c.holder) && crashAt !== undefined) {
          failovers.push(now - crashAt);
          crashAt = undefined;
        }
        believed.set(c.holder, lease);
      }
      const validHolders = contenders.filter((c) => believed.has(c.holder) && c.isValid(believed.get(c.holder)!));
      expect(validHolders.length, `at ${now - start} ms`).toBeLessThanOrEqual(1);
      // Every 12 turns the holder stops for good; its first missed turn is the crash.
      if (turn % 12 === 11) {
        const holder = [...believed.keys()].find((h) => !crashed.has(h));
        if (holder) {
          crashed.add(holder);
          crashAt = now + HEARTBEAT_MS;
        }
      }
    }
    expect(failovers).toHaveLength(4);
    for (const failover of failovers) expect(failover).toBeLessThanOrEqual(LEASE_MS + HEARTBEAT_MS);
    const lease = await leaseTable.describe('skewed');
    expect(lease.fencingToken).toBe(failovers.length + 1);
    expect(lease.recentChanges.map((change) => change.fencingToken)).toEqual([5, 4, 3, 2, 1]);
  });

  it('renews only as the holder, and releases only as the holder with its token', async () => {
    const a = contender('a');
    const b = contender('b');
    const lease = (await a.tryAcquire('own'))!;
    expect(await b.hold('own')).toBeUndefined();
    expect(await b.release({ ...lease, holder: 'b' })).toBe(false);
    expect(await a.release(lease)).toBe(true);
    const next = (await b.hold('own'))!;
    expect(next.fencingToken).toBe(lease.fencingToken + 1);
    expect(next.takenOverFrom).toBeUndefined(); // released, not lost
    expect(await a.hold('own')).toBeUndefined();
  });

  it('says whom a takeover took the lease from when its holder let it expire, and only then', async () => {
    const [a, b] = [contender('a'), contender('b')];
    const first = (await a.hold('lapses'))!;
    expect(first.takenOverFrom).toBeUndefined(); // a free lease
    now = first.expiresAt + MARGIN_MS + 1; // a missed every renewal: crashed, paused or cut off
    const second = (await b.hold('lapses'))!;
    expect(second).toMatchObject({ holder: 'b', fencingToken: first.fencingToken + 1, takenOverFrom: 'a' });
    now += HEARTBEAT_MS;
    expect((await b.hold('lapses'))!.takenOverFrom).toBeUndefined(); // a renewal
  });

  it('steps the holder down: it stops renewing, and after expiry another takes over with a higher token', async () => {
    expect(await leaseTable.stepDown('steps', now)).toBeUndefined(); // no one to step down
    const [a, b] = [contender('a'), contender('b')];
    const first = (await a.hold('steps'))!;
    now += 1_000;
    const told = await leaseTable.stepDown('steps', now);
    expect(told).toMatchObject({ holder: 'a', fencingToken: first.fencingToken, steppedDown: 'a', expiresAt: first.expiresAt });
    expect(await leaseTable.stepDown('steps', now)).toMatchObject({ steppedDown: 'a' }); // asking twice changes nothing
    // Until the lease has expired beyond the margin, nobody leads: a as if crashed, b waiting.
    for (; now <= first.expiresAt + MARGIN_MS; now += HEARTBEAT_MS) {
      expect(await a.hold('steps')).toBeUndefined();
      expect(await b.hold('steps')).toBeUndefined();
    }
    // a may not take it straight back; b takes over.
    expect(await a.hold('steps')).toBeUndefined();
    const second = (await b.hold('steps'))!;
    expect(second.fencingToken).toBe(first.fencingToken + 1);
    expect(second.takenOverFrom).toBeUndefined(); // stepped down, not lost
    const view = await leaseTable.describe('steps');
    expect(view).toMatchObject({ holder: 'b', fencingToken: second.fencingToken, steppedDown: undefined });
    expect(view.recentChanges).toEqual([
      { holder: 'b', fencingToken: second.fencingToken, acquiredAt: now },
      {
        holder: 'a',
        fencingToken: first.fencingToken,
        acquiredAt: first.expiresAt - LEASE_MS,
        steppedDownAt: first.expiresAt - LEASE_MS + 1_000,
      },
    ]);
  });

  it('hands over when the holder resigns: the lease is free after the margin, to anyone but the holder, with a higher token', async () => {
    expect(await leaseTable.resign('resigns', now)).toBeUndefined(); // no one to resign
    const [a, b] = [contender('a'), contender('b')];
    const first = (await a.hold('resigns'))!;
    now += 1_000;
    expect(await leaseTable.resign('resigns', now)).toMatchObject({ holder: 'a', steppedDown: 'a', expiresAt: now });
    expect(await leaseTable.resign('resigns', now)).toBeUndefined(); // let go already
    // Within the clock-skew margin, nobody leads: the resigned holder's clock may still trust its lease.
    expect(await b.hold('resigns')).toBeUndefined();
    now += MARGIN_MS + 1;
    expect(await a.hold('resigns')).toBeUndefined(); // it may not take it back
    const second = (await b.hold('resigns'))!;
    expect(second).toMatchObject({ holder: 'b', fencingToken: first.fencingToken + 1 });
    expect(second.takenOverFrom).toBeUndefined(); // handed over, not lost
    // A hand-over takes the margin, not what was left of the lease.
    expect(now - (first.expiresAt - LEASE_MS)).toBeLessThan(LEASE_MS);
  });
});

describe('fencing at the resource', () => {
  it('rejects the late write of a paused leader whose lease was taken over, and writes nothing', async () => {
    const a = contender('paused');
    const b = contender('successor');
    const fence = (lease: Lease) => fencedAppend({ tableName: 'leases', resource: 'fenced-resource', fencingToken: lease.fencingToken });
    const first = (await a.hold('fenced'))!;
    await store.append('note-f1', 0, [{ type: 'Noted', data: { by: 'paused' } }], meta, undefined, fence(first));
    // A pauses (a long GC, a frozen Lambda) past its lease; B takes over and writes.
    now += LEASE_MS + MARGIN_MS + 1;
    const second = (await b.hold('fenced'))!;
    expect(second.fencingToken).toBe(first.fencingToken + 1);
    await store.append('note-f2', 0, [{ type: 'Noted', data: { by: 'successor' } }], meta, undefined, fence(second));
    // A wakes up and writes as if still leader: refused at the resource.
    const late = await store
      .append('note-f3', 0, [{ type: 'Noted', data: { by: 'paused' } }], meta, undefined, fence(first))
      .catch((e: unknown) => e);
    expect(isStaleFencingTokenError(late)).toBe(true);
    expect((await store.read('note-f3')).events).toEqual([]);
    expect(a.isValid(first)).toBe(false);
  });
});

describe('the payment-timeout job under leader election', () => {
  const job = (candidates: string[]): PaymentTimeoutJob => ({
    store,
    findUnpaid: () => listed(candidates),
    fenceTable: 'leases',
    timeoutMs: 30 * 60_000,
    now: () => new Date(now),
  });

  it('cancels each unpaid order exactly once with two coordinators racing, and leaves paid ones alone', async () => {
    const unpaid = Array.from({ length: 8 }, (_, i) => `stale-${i}`);
    const paid = ['paid-0', 'paid-1'];
    for (const orderId of [...unpaid, ...paid]) await placeOrder(orderId);
    for (const orderId of paid) {
      for (const command of paymentAttempt(
        orderId,
        `${orderId}:v1`,
        { status: 'APPROVED', paymentId: `p-${orderId}`, amountCents: 100 },
        new Date(now).toISOString(),
      )) {
        await handleCommand(store, orderDecider, orderId, command, meta);
      }
    }
    now += 31 * 60_000;
    // The read model's nomination is deliberately stale: it still lists the orders paid since.
    const nominated = [...unpaid, ...paid];
    const coordinators = [contender('coordinator-a'), contender('coordinator-b')];
    const turns = await Promise.all(
      coordinators.map((c) => coordinatorTurn(c, 'payment-timeouts', (leadership) => cancelUnpaidOrders(job(nominated), leadership))),
    );
    expect(turns.map((t) => t.role).sort()).toEqual(['follower', 'leader']);
    const leader = turns.find((t) => t.role === 'leader')!;
    expect(leader.result).toEqual({ cancelled: unpaid, skipped: paid, interrupted: false });
    // A second leader running the same nomination (a duplicate invocation) cancels nothing twice.
    now += HEARTBEAT_MS;
    const again = await Promise.all(
      coordinators.map((c) => coordinatorTurn(c, 'payment-timeouts', (leadership) => cancelUnpaidOrders(job(nominated), leadership))),
    );
    expect(again.find((t) => t.role === 'leader')?.result).toEqual({ cancelled: [], skipped: nominated, interrupted: false });
    for (const orderId of unpaid) expect(await cancellations(orderId)).toBe(1);
    for (const orderId of paid) expect(await cancellations(orderId)).toBe(0);
    const reasons = await Promise.all(unpaid.map(async (id) => (await store.read(id)).events.at(-1)!.data));
    expect(reasons.every((d) => (d as { reason: string }).reason === 'PAYMENT_TIMEOUT')).toBe(true);
  });

  it('stops when its lease runs low, and a paused leader that lost the lease is refused at the resource', async () => {
    for (const orderId of ['late-0', 'late-1', 'late-2']) await placeOrder(orderId);
    now += 31 * 60_000;
    const [paused, successor] = [contender('paused'), contender('successor')];
    // Its lease runs low before the first candidate: the job stops and leaves them to the next turn.
    const frozen = await coordinatorTurn(paused, 'timeouts-2', (leadership) =>
      cancelUnpaidOrders(job(['late-0', 'late-1']), { ...leadership, stillLeading: () => false }),
    );
    expect(frozen).toMatchObject({ role: 'leader', result: { cancelled: [], skipped: [], interrupted: true } });
    now += LEASE_MS + MARGIN_MS + 1; // then it freezes past its lease
    const took = await coordinatorTurn(successor, 'timeouts-2', (leadership) => cancelUnpaidOrders(job(['late-0']), leadership));
    expect(took).toMatchObject({ role: 'leader', result: { cancelled: ['late-0'] } });
    // The paused leader wakes and carries on with its old token: nothing it writes lands.
    const late = await cancelUnpaidOrders(job(['late-1']), { lease: frozen.lease!, stillLeading: () => true }).catch((e: unknown) => e);
    expect(isStaleFencingTokenError(late)).toBe(true);
    expect(await cancellations('late-1')).toBe(0);
  });
});
