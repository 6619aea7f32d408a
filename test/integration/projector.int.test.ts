import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWAITING_PAYMENT,
  AWAITING_PAYMENT_INDEX,
  orderDecider,
  orderUpcasters,
  type OrderCommand,
} from '../../lambdas/domain/orders/index.ts';
import { unpaidOrdersPlacedBefore } from '../../lambdas/composition/orders-view.ts';
import { shardedViewProjection } from '../../lambdas/use-cases/order-view.ts';
import { projectStream } from '../../lambdas/patterns/cqrs/index.ts';
import { EventStore, handleCommand, type EventEnvelope } from '../../lambdas/patterns/event-sourcing/index.ts';
import { shardOf } from '../../lambdas/patterns/sharding/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '@eightfold/local-cloud';
import { rebuildProjections } from '../../scripts/rebuild-projections.ts';
import { paymentAttempt } from '../helpers/orders.ts';
import { createTable } from '../helpers/tables.ts';

/** The shard count rows are stamped with, as the live projector stamps them. */
const SHARDS = 8;
const projection = shardedViewProjection({ shards: SHARDS });

let dynamo: DynamoDbLocal;
let raw: DynamoDBClient;
let client: DynamoDBDocumentClient;
let store: EventStore;
const history: EventEnvelope[] = [];

async function scanView(table: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return Items.sort((a, b) => String(a.orderId).localeCompare(String(b.orderId)));
}

/** Delivers batches as the stream poller would: grouped by stream, one projectStream per stream. */
async function deliver(table: string, batch: EventEnvelope[]): Promise<void> {
  const byStream = new Map<string, EventEnvelope[]>();
  for (const event of batch) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
  await Promise.all(
    [...byStream].map(([streamId, events]) => projectStream({ client, viewTable: table, store, projection }, streamId, events)),
  );
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  await createTable(raw, 'events', [
    { name: 'streamId', type: 'S' },
    { name: 'position', type: 'N' },
  ]);
  for (const view of ['view-clean', 'view-chaos', 'view-gap', 'view-rebuild', 'view-expected', 'view-one-shard'])
    await createTable(raw, view, [{ name: 'orderId', type: 'S' }]);
  store = new EventStore({ client, tableName: 'events', upcasters: orderUpcasters });
  // 12 orders, each with a random legal life: payments declined or approved, cancelled or shipped.
  const now = '2026-11-25T12:00:00.000Z';
  const meta = { correlationId: 'c', actor: 'test' };
  for (let i = 0; i < 12; i++) {
    const orderId = `order-${String(i).padStart(2, '0')}`;
    const place: OrderCommand = {
      type: 'PlaceOrder',
      data: { orderId, customerId: `c${i % 3}`, items: [{ sku: 'A', quantity: i + 1, unitPriceCents: 100 }] },
      now,
    };
    await handleCommand(store, orderDecider, orderId, place, meta);
    const attempts = [
      ...Array.from({ length: i % 4 }, (_, d) => paymentAttempt(orderId, `${orderId}:d${d}`, { status: 'DECLINED', reason: 'NO' }, now)),
      ...(i % 3 !== 0
        ? [paymentAttempt(orderId, `${orderId}:paid`, { status: 'APPROVED', paymentId: `p${i}`, amountCents: (i + 1) * 100 }, now)]
        : []),
    ];
    for (const command of attempts.flat()) await handleCommand(store, orderDecider, orderId, command, meta);
    if (i % 3 === 1) await handleCommand(store, orderDecider, orderId, { type: 'ShipOrder', data: { orderId }, now }, meta);
    if (i % 3 === 2)
      await handleCommand(store, orderDecider, orderId, { type: 'CancelOrder', data: { orderId, reason: 'CUSTOMER_REQUEST' }, now }, meta);
    history.push(...(await store.read(orderId)).events);
  }
  await deliver('view-clean', history);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('projectStream', () => {
  it('builds the same view from 10% duplicated and locally reordered deliveries as from a clean run', async () => {
    const clean = await scanView('view-clean');
    expect(clean).toHaveLength(12);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        // A table per run: shrinking replays seeds, and each replay needs an empty view.
        const table = `chaos-${seed}-${run++}`;
        await createTable(raw, table, [{ name: 'orderId', type: 'S' }]);
        // A seeded generator: the same seed replays the same chaos.
        let state = seed;
        const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
        const deliveries = history.flatMap((event) => (random() < 0.1 ? [event, event] : [event]));
        for (let i = 0; i < deliveries.length - 1; i++) {
          if (random() < 0.3) [deliveries[i], deliveries[i + 1]] = [deliveries[i + 1]!, deliveries[i]!];
        }
        for (let i = 0; i < deliveries.length;) {
          const size = 1 + Math.floor(random() * 7);
          await deliver(table, deliveries.slice(i, i + size));
          i += size;
        }
        expect(await scanView(table)).toEqual(clean);
      }),
      { numRuns: 5 },
    );
  });

  it('heals a gap from the event store when a later event arrives first', async () => {
    const streamEvents = history.filter((e) => e.streamId === 'order-05');
    const last = streamEvents.at(-1)!;
    const outcome = await projectStream({ client, viewTable: 'view-gap', store, projection }, last.streamId, [last]);
    expect(outcome).toEqual({ streamId: 'order-05', version: last.version, applied: 1, skipped: 0, healed: last.version - 1 });
    const [row] = (await scanView('view-gap')).filter((r) => r.orderId === 'order-05');
    expect(row).toEqual((await scanView('view-clean')).find((r) => r.orderId === 'order-05'));
  });

  it('changes nothing for a redelivered or older event', async () => {
    const first = history.find((e) => e.streamId === 'order-07')!;
    const outcome = await projectStream({ client, viewTable: 'view-clean', store, projection }, first.streamId, [first, first]);
    expect(outcome).toMatchObject({ applied: 0, skipped: 2, healed: 0 });
  });
});

describe('npm run rebuild-projections', () => {
  it('repairs damaged and missing rows from the event store while commands and the live projector keep running', async () => {
    await deliver('view-rebuild', history);
    const clean = await scanView('view-rebuild');
    // Damage: one row lies about its status, one row is gone.
    await client.send(
      new PutCommand({ TableName: 'view-rebuild', Item: { ...clean.find((r) => r.orderId === 'order-03'), status: 'SHIPPED' } }),
    );
    await client.send(new DeleteCommand({ TableName: 'view-rebuild', Key: { orderId: 'order-04' } }));

    // Live traffic during the rebuild: declined payments on an open order, projected as they happen.
    const live = (async () => {
      for (let n = 0; n < 5; n++) {
        for (const command of paymentAttempt('order-06', `live-${n}`, { status: 'DECLINED', reason: `live-${n}` }, 'later')) {
          const result = await handleCommand(store, orderDecider, 'order-06', command, { correlationId: 'live', actor: 'test' });
          await deliver('view-rebuild', result.events);
        }
      }
    })();
    const progress: number[] = [];
    const report = await rebuildProjections({
      client,
      eventsTable: 'events',
      viewTable: 'view-rebuild',
      segments: 3,
      shards: SHARDS,
      onProgress: (streams) => progress.push(streams),
    });
    await live;

    expect(report.streams).toBe(12);
    expect(progress).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const everything = (
      await Promise.all(Array.from({ length: 12 }, (_, i) => store.read(`order-${String(i).padStart(2, '0')}`, { limit: 1000 })))
    ).flatMap((p) => p.events);
    await deliver('view-expected', everything);
    const rebuilt = await scanView('view-rebuild');
    expect(rebuilt).toEqual(await scanView('view-expected'));
    // order-06 was placed with 6 % 4 = 2 declined payments; the live traffic added 5.
    expect(rebuilt.find((r) => r.orderId === 'order-06')).toMatchObject({ declinedPayments: 7 });
    expect(rebuilt.find((r) => r.orderId === 'order-03')).toMatchObject({ status: 'PLACED' });
    expect(rebuilt.find((r) => r.orderId === 'order-04')).toBeDefined();
    // Every row carries its customer's shard, as the live projector stamps it.
    for (const row of rebuilt) expect(row.shard).toBe(shardOf({ shards: SHARDS }, String(row.customerId)));
    // Rebuilt shard by shard: each lane did exactly its shard's orders.
    expect(report.perShard).toEqual(Array.from({ length: SHARDS }, (_, shard) => rebuilt.filter((r) => r.shard === shard).length));
  });

  it('rebuilds one shard alone on request, leaving the others’ rows untouched', async () => {
    await deliver('view-one-shard', history);
    const before = await scanView('view-one-shard');
    const target = before.find((r) => r.orderId === 'order-03')!;
    await client.send(new PutCommand({ TableName: 'view-one-shard', Item: { ...target, status: 'SHIPPED' } }));
    const other = before.find((r) => r.shard !== target.shard)!;
    await client.send(new PutCommand({ TableName: 'view-one-shard', Item: { ...other, status: 'SHIPPED' } }));
    const report = await rebuildProjections({
      client,
      eventsTable: 'events',
      viewTable: 'view-one-shard',
      shards: SHARDS,
      onlyShard: Number(target.shard),
    });
    expect(report.perShard.filter((count, shard) => shard !== target.shard && count > 0)).toEqual([]);
    const after = await scanView('view-one-shard');
    expect(after.find((r) => r.orderId === 'order-03')).toMatchObject({ status: target.status });
    expect(after.find((r) => r.orderId === other.orderId)).toMatchObject({ status: 'SHIPPED' });
  });
});

describe('the sparse indexes, spread over partitions', () => {
  it('spread unpaid orders over many partition keys, and the payment-timeout job still reads them all, oldest first (a small index in one Scan, a large one a query a key), old bare keys included', async () => {
    await createTable(raw, 'view-sparse', [{ name: 'orderId', type: 'S' }], {
      [AWAITING_PAYMENT_INDEX]: {
        keys: [
          { name: 'awaitingPayment', type: 'S' },
          { name: 'customerOrderKey', type: 'S' },
        ],
      },
    });
    const placedAt = (i: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString();
    const { apply: project } = projection;
    const recorded = (streamId: string, version: number, type: string, data: unknown): EventEnvelope => ({
      eventId: `${streamId}-${version}`,
      streamId,
      version,
      type,
      schemaVersion: 1,
      data,
      metadata: { correlationId: 'c', actor: 'test', recordedAt: placedAt(0) },
      recordedAt: placedAt(0),
    });
    const rows = Array.from({ length: 150 }, (_, i) => {
      const orderId = `sparse-${String(i).padStart(3, '0')}`;
      const data = {
        orderId,
        customerId: `c${i % 7}`,
        items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }],
        totalCents: 100,
        placedAt: placedAt(i),
      };
      let row = project(undefined, recorded(orderId, 1, 'OrderPlaced', data));
      // Every third order is paid: it leaves the index.
      if (i % 3 === 0) row = project(row, recorded(orderId, 2, 'OrderPaid', { paymentId: `p${i}`, amountCents: 100, paidAt: placedAt(i) }));
      return row;
    });
    // A row projected before the spreading, under the bare key, placed first of all.
    const old = { ...rows[1]!, orderId: 'sparse-old', awaitingPayment: AWAITING_PAYMENT, customerOrderKey: `${placedAt(-1)}#sparse-old` };
    for (const row of [...rows, old]) await client.send(new PutCommand({ TableName: 'view-sparse', Item: row }));

    const keys = new Set(rows.map((row) => row.awaitingPayment).filter(Boolean));
    expect(keys.size).toBeGreaterThan(80); // 100 unpaid orders over 512 keys
    expect([...keys].every((key) => /^PLACED#\d+$/.test(String(key)))).toBe(true);
    expect(rows.filter((row, i) => i % 3 === 0).every((row) => row.awaitingPayment === undefined)).toBe(true);

    const expected = ['sparse-old', ...rows.filter((_, i) => i % 3 !== 0 && i < 120).map((row) => row.orderId)];
    // Read whole (101 entries, one Scan), and as a large index is read: each partition queried, merged.
    for (const wholeIndexEntries of [1_000, 10]) {
      const nominated: string[] = [];
      for await (const orderId of unpaidOrdersPlacedBefore(client, 'view-sparse', placedAt(120), wholeIndexEntries))
        nominated.push(orderId);
      expect(nominated, `read whole up to ${wholeIndexEntries} entries`).toEqual(expected); // oldest first, across every partition
    }
  });
});
