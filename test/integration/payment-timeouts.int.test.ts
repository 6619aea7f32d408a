/** The coordinator's singleton job with racing coordinators, on DynamoDB Local. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderDecider, orderUpcasters } from '../../lambdas/domain/orders/index.ts';
import { cancelUnpaidOrders, type PaymentTimeoutJob } from '../../lambdas/jobs/payment-timeouts.ts';
import { EventStore, handleCommand } from '../../lambdas/patterns/event-sourcing/index.ts';
import { Coordinator, isStaleFencingTokenError, LeaseClient } from '../../lambdas/patterns/leader-election/index.ts';
import { LOCAL_CREDENTIALS } from '../../scripts/local-cloud/environment.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../scripts/local-cloud/services/dynamodb-local.ts';
import { createTable } from '../helpers/tables.ts';

let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let store: EventStore;
let now: number;
const meta = { correlationId: 'c', actor: 'test' };
const unpaid: string[] = [];
const paidMeanwhile: string[] = [];

const contender = (holder: string) => new LeaseClient({ client, tableName: 'leases', holder, leaseMs: 15_000, clockSkewMarginMs: 2_000, clock: () => now });
const job = (): PaymentTimeoutJob => ({
  store,
  // The read model's nomination, deliberately stale: it still lists the orders paid since.
  findUnpaid: async () => [...unpaid, ...paidMeanwhile],
  fenceTable: 'leases',
  timeoutMs: 30 * 60_000,
  now: () => new Date(now),
});

async function cancellations(orderId: string): Promise<number> {
  return (await store.read(orderId)).events.filter((e) => e.type === 'OrderCancelled').length;
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw);
  await createTable(raw, 'leases', [{ name: 'name', type: 'S' }, { name: 'entry', type: 'S' }]);
  await createTable(raw, 'events', [{ name: 'streamId', type: 'S' }, { name: 'position', type: 'N' }]);
  store = new EventStore({ client, tableName: 'events', upcasters: orderUpcasters });
  now = 1_800_000_000_000;
  const place = (orderId: string) =>
    handleCommand(store, orderDecider, orderId, { type: 'PlaceOrder', data: { orderId, customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }] }, now: new Date(now).toISOString() }, meta);
  for (let i = 0; i < 8; i++) await place(`stale-${i}`).then(() => unpaid.push(`stale-${i}`));
  for (let i = 0; i < 2; i++) {
    await place(`paid-${i}`);
    await handleCommand(store, orderDecider, `paid-${i}`, { type: 'PayOrder', data: { orderId: `paid-${i}`, payment: { status: 'APPROVED', paymentId: `p${i}`, amountCents: 100 } }, now: new Date(now).toISOString() }, meta);
    paidMeanwhile.push(`paid-${i}`);
  }
  now += 31 * 60_000;
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('the payment-timeout job under leader election', () => {
  it('cancels each unpaid order exactly once with two coordinators racing, and leaves paid ones alone', async () => {
    const coordinators = [new Coordinator(contender('coordinator-a'), 'payment-timeouts'), new Coordinator(contender('coordinator-b'), 'payment-timeouts')];
    const turns = await Promise.all(coordinators.map((c) => c.turn((lease) => cancelUnpaidOrders(job(), lease))));
    expect(turns.map((t) => t.role).sort()).toEqual(['follower', 'leader']);
    const leader = turns.find((t) => t.role === 'leader')!;
    expect(leader.result?.cancelled.sort()).toEqual([...unpaid].sort());
    expect(leader.result?.skipped.sort()).toEqual([...paidMeanwhile].sort());
    // The next turn renews and finds nothing left to cancel.
    const again = await Promise.all(coordinators.map((c) => c.turn((lease) => cancelUnpaidOrders(job(), lease))));
    expect(again.find((t) => t.role === 'leader')?.result?.cancelled).toEqual([]);
    for (const orderId of unpaid) expect(await cancellations(orderId)).toBe(1);
    for (const orderId of paidMeanwhile) expect(await cancellations(orderId)).toBe(0);
    const reasons = await Promise.all(unpaid.map(async (id) => (await store.read(id)).events.at(-1)!.data));
    expect(reasons.every((d) => (d as { reason: string }).reason === 'PAYMENT_TIMEOUT')).toBe(true);
  });

  it('refuses the writes of a leader that lost its lease while paused', async () => {
    const place = (orderId: string) =>
      handleCommand(store, orderDecider, orderId, { type: 'PlaceOrder', data: { orderId, customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }] }, now: new Date(now).toISOString() }, meta);
    await place('late-0');
    await place('late-1');
    now += 31 * 60_000;
    const paused = new Coordinator(contender('paused'), 'timeouts-2');
    const successor = new Coordinator(contender('successor'), 'timeouts-2');
    let staleLease: Parameters<typeof cancelUnpaidOrders>[1] | undefined;
    expect((await paused.turn(async (lease) => (staleLease = lease))).role).toBe('leader');
    now += 20_000; // past the lease and the margin: the paused leader never renewed
    const took = await successor.turn((lease) => cancelUnpaidOrders({ ...job(), findUnpaid: async () => ['late-0'] }, lease));
    expect(took).toMatchObject({ role: 'leader', result: { cancelled: ['late-0'] } });
    // The paused leader wakes and carries on with its old token: refused at the resource, nothing written.
    const late = await cancelUnpaidOrders({ ...job(), findUnpaid: async () => ['late-1'] }, staleLease!).catch((e: unknown) => e);
    expect(isStaleFencingTokenError(late)).toBe(true);
    expect(await cancellations('late-1')).toBe(0);
  });
});
