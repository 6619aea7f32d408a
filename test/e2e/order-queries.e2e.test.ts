import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../lambdas/platform/environment.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../lambdas/patterns/sharding/index.ts';
import { customerPartOf } from '../../lambdas/use-cases/order-view.ts';
import { scanAll } from '../../scripts/check-consistency.ts';
import { json, signedFetch } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';
import { REMOTE_BASE_URL, RUN_ID, startTarget, type E2ETarget } from '../helpers/target.ts';

// Runs against E2E_BASE_URL when it is set (a LocalStack or AWS deployment), else against its own local cloud.
let target: E2ETarget;
/** Customer ids and SKUs carry the run's id, so a long-lived deployment's earlier runs do not show up. */
const unique = (name: string) => `${name}-${RUN_ID}`;
const LAMP = unique('E2E-LAMP');
const NOBODY = unique('nobody');

/**
 * This file's requests, as support staff: an operator reads any customer's orders. What a customer may and
 * may not read of another's is authorization.e2e's.
 */
const fetch = signedFetch(() => target.operatorToken);

async function placeOrder(customerId: string, sku = 'BOOK-DUNE'): Promise<string> {
  const response = await fetch(`${target.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, items: [{ sku, quantity: 2, unitPriceCents: 999 }] }),
  });
  expect(response.status).toBe(201);
  return (await json<{ orderId: string }>(response)).orderId;
}

/** The routers' shard-map cache on the local cloud, so a reshard's phases settle in seconds, not tens. */
const MAP_CACHE_SECONDS = 1;
/** The cache time is part of the synthesis. */
const outDir = REMOTE_BASE_URL ? undefined : ownAssemblyDir('queries');

beforeAll(async () => {
  target = await startTarget({
    outDir,
    context: { 'eightfold:sharding': { mapCacheSeconds: MAP_CACHE_SECONDS } },
  });
});

afterAll(async () => {
  await target?.stop();
});

describe('GET /orders/{orderId}', () => {
  it('reads your write with ?minVersion: the projected order at that version', async () => {
    const orderId = await placeOrder('reader-1');
    const response = await fetch(`${target.url}/orders/${orderId}?minVersion=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(await response.json()).toEqual({
      orderId,
      customerId: 'reader-1',
      status: 'PLACED',
      items: [{ sku: 'BOOK-DUNE', quantity: 2, unitPriceCents: 999 }],
      totalCents: 1998,
      version: 1,
      placedAt: expect.any(String),
      updatedAt: expect.any(String),
      payment: { status: 'NONE', chargedCents: 0, refundedCents: 0 },
    });
    await fetch(`${target.url}/orders/${orderId}/cancel`, { method: 'POST' });
    const cancelled = await json<{ status: string; version: number }>(await fetch(`${target.url}/orders/${orderId}?minVersion=2`));
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 2 });
  });

  it('heals a lost view row from the event store when the order next changes: the projector reads the missing events back', async () => {
    const orderId = await placeOrder('reader-heal');
    expect((await fetch(`${target.url}/orders/${orderId}?minVersion=1`)).status).toBe(200);
    // The row is lost (a hand-made fix gone wrong, a partial restore): the next event finds the view behind.
    const TableName = target.outputs.eightfold.OrdersViewTableName!;
    await target.documents.send(new DeleteCommand({ TableName, Key: { orderId } }));
    expect((await fetch(`${target.url}/orders/${orderId}/cancel`, { method: 'POST' })).status).toBe(200);
    const healed = await json<Record<string, unknown>>(await fetch(`${target.url}/orders/${orderId}?minVersion=2`));
    expect(healed).toMatchObject({ orderId, customerId: 'reader-heal', status: 'CANCELLED', version: 2, totalCents: 1998 });
  });

  it('answers 503 VIEW_BEHIND after a bounded wait when the view cannot reach minVersion', async () => {
    const orderId = await placeOrder('reader-2');
    const started = Date.now();
    const response = await fetch(`${target.url}/orders/${orderId}?minVersion=9`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ error: { code: 'VIEW_BEHIND', message: expect.any(String), viewVersion: 1, minVersion: 9 } });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('answers 404 for an unknown order and 400 for a bad minVersion', async () => {
    expect((await fetch(`${target.url}/orders/unknown-order`)).status).toBe(404);
    const bad = await fetch(`${target.url}/orders/unknown-order?minVersion=-1`);
    expect(bad.status).toBe(400);
    expect((await json<{ error: { code: string } }>(bad)).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /orders/{orderId}/events and /history', () => {
  it('lists the stored events oldest first, and shows the order as it was at an earlier version', async () => {
    const orderId = await placeOrder('historian');
    await fetch(`${target.url}/orders/${orderId}/cancel`, { method: 'POST' });
    const { events } = await json<{ events: { orderId: string; version: number; type: string; schemaVersion: number }[] }>(
      await fetch(`${target.url}/orders/${orderId}/events`),
    );
    expect(events.map(({ orderId: id, version, type, schemaVersion }) => ({ id, version, type, schemaVersion }))).toEqual([
      { id: orderId, version: 1, type: 'OrderPlaced', schemaVersion: 2 },
      { id: orderId, version: 2, type: 'OrderCancelled', schemaVersion: 1 },
    ]);
    const past = await json<{ status: string; version: number }>(await fetch(`${target.url}/orders/${orderId}/history?version=1`));
    expect(past).toMatchObject({ orderId, status: 'PLACED', version: 1 });
    const beyond = await fetch(`${target.url}/orders/${orderId}/history?version=3`);
    expect(beyond.status).toBe(404);
    expect(await beyond.json()).toEqual({ error: { code: 'VERSION_NOT_FOUND', message: expect.any(String), currentVersion: 2 } });
  });

  it('pages through events with limit and an opaque cursor', async () => {
    const orderId = await placeOrder('pager');
    await fetch(`${target.url}/orders/${orderId}/cancel`, { method: 'POST' });
    const first = await json<{ events: { version: number }[]; nextCursor?: string }>(
      await fetch(`${target.url}/orders/${orderId}/events?limit=1`),
    );
    expect(first.events.map((e) => e.version)).toEqual([1]);
    const second = await json<{ events: { version: number }[]; nextCursor?: string }>(
      await fetch(`${target.url}/orders/${orderId}/events?limit=1&cursor=${first.nextCursor}`),
    );
    expect(second.events.map((e) => e.version)).toEqual([2]);
    expect(second.nextCursor).toBeUndefined();
    // Its cursor pages this order's events only.
    const other = await placeOrder('pager');
    const carried = await fetch(`${target.url}/orders/${other}/events?limit=1&cursor=${first.nextCursor}`);
    expect(carried.status).toBe(400);
    expect(((await carried.json()) as { error: { code: string } }).error.code).toBe('BAD_CURSOR');
  });
});

describe('GET /customers/{customerId}/orders', () => {
  it('lists a customer’s orders newest first, a page at a time', async () => {
    const customer = `customer-${Date.now()}`;
    const placed = [];
    for (const sku of ['A', 'B', 'C']) placed.push(await placeOrder(customer, sku));
    for (const orderId of placed) await fetch(`${target.url}/orders/${orderId}?minVersion=1`);
    const first = await json<{ orders: { orderId: string }[]; nextCursor?: string }>(
      await fetch(`${target.url}/customers/${customer}/orders?limit=2`),
    );
    expect(first.orders.map((o) => o.orderId)).toEqual([placed[2], placed[1]]);
    expect(first.nextCursor).toBeDefined();
    const second = await json<{ orders: { orderId: string }[]; nextCursor?: string }>(
      await fetch(`${target.url}/customers/${customer}/orders?limit=2&cursor=${first.nextCursor}`),
    );
    expect(second.orders.map((o) => o.orderId)).toEqual([placed[0]]);
  });

  it('lists a busy customer’s orders, spread over parts of the index, as one list: each once, newest first, across pages', async () => {
    const customer = unique('busy');
    const placed: string[] = [];
    for (let i = 0; i < 12; i++) placed.push(await placeOrder(customer, `SKU-${i}`));
    for (const orderId of placed) await fetch(`${target.url}/orders/${orderId}?minVersion=1`);
    // The index partition a row sits in is the customer and a part, by order id.
    const rows = (await scanAll(target.documents, target.outputs.eightfold.OrdersViewTableName!)).filter(
      (row) => row.customerId === customer,
    );
    expect(rows.map((row) => row.customerPart).sort()).toEqual(placed.map((orderId) => customerPartOf(customer, orderId)).sort());
    expect(new Set(rows.map((row) => row.customerPart)).size).toBeGreaterThan(1);
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await json<{ orders: { orderId: string }[]; nextCursor?: string }>(
        await fetch(`${target.url}/customers/${customer}/orders?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      );
      expect(page.orders.length).toBeLessThanOrEqual(5);
      listed.push(...page.orders.map((o) => o.orderId));
      cursor = page.nextCursor;
    } while (cursor && listed.length <= placed.length);
    expect(listed).toEqual([...placed].reverse());
  });

  it('refuses a crafted cursor with 400 BAD_CURSOR, never a 5xx: one of another shape, another list’s, or a tampered one', async () => {
    const [mine, theirs] = [`cursor-a-${Date.now()}`, `cursor-b-${Date.now()}`];
    for (const customer of [mine, theirs]) for (const sku of ['A', 'B']) await placeOrder(customer, sku);
    const listed = (customer: string, cursor = '') =>
      eventually(async () => {
        const page = await json<{ orders: unknown[]; nextCursor?: string }>(
          await fetch(`${target.url}/customers/${customer}/orders?limit=1${cursor && `&cursor=${encodeURIComponent(cursor)}`}`),
        );
        expect(page.nextCursor).toBeDefined();
        return page.nextCursor!;
      });
    const issued = await listed(mine);
    // A start key of any shape, as the cursor used to be (base64url JSON): now refused before DynamoDB sees it.
    const shaped = Buffer.from(JSON.stringify({ x: 1 })).toString('base64url');
    const crafted = {
      'another shape': shaped,
      'another shape, with a seal of its own': `${shaped}.${issued.split('.').at(-1)}`,
      'another customer’s': await listed(theirs),
      tampered: issued.slice(0, 5) + (issued[5] === 'A' ? 'B' : 'A') + issued.slice(6),
      'another list’s (the same customer’s notifications)': issued,
    };
    for (const [what, cursor] of Object.entries(crafted)) {
      const path = what.includes('notifications') ? `/customers/${mine}/notifications` : `/customers/${mine}/orders`;
      const response = await fetch(`${target.url}${path}?cursor=${encodeURIComponent(cursor)}`);
      expect(response.status, what).toBe(400);
      expect(await response.json(), what).toEqual({ error: { code: 'BAD_CURSOR', message: expect.any(String) } });
    }
    // The one it issued still pages.
    expect((await fetch(`${target.url}/customers/${mine}/orders?limit=1&cursor=${encodeURIComponent(issued)}`)).status).toBe(200);
  });

  it('answers an empty list for a customer without orders, and 400 for a forged cursor', async () => {
    expect(await json(await fetch(`${target.url}/customers/${NOBODY}/orders`))).toEqual({ orders: [] });
    const forged = await fetch(`${target.url}/customers/${NOBODY}/orders?cursor=not-ours`);
    expect(forged.status).toBe(400);
  });
});

describe('GET /customers/{customerId}/notifications', () => {
  type Page = {
    notifications: { notificationId: string; orderId: string; type: string; version: number; text: string; createdAt: string }[];
    nextCursor?: string;
  };

  it('lists what the notifications subscriber delivered, newest first, a page at a time', async () => {
    const customer = `notified-${Date.now()}`;
    const orderId = await placeOrder(customer);
    expect((await fetch(`${target.url}/orders/${orderId}/cancel`, { method: 'POST' })).status).toBe(200);
    const all = await eventually(async () => {
      const page = await json<Page>(await fetch(`${target.url}/customers/${customer}/notifications`));
      expect(page.notifications).toHaveLength(2);
      return page;
    });
    expect(all.notifications).toEqual([
      {
        notificationId: expect.any(String),
        orderId,
        type: 'OrderCancelled',
        version: 2,
        text: `Order ${orderId} is cancelled, as you asked.`,
        createdAt: expect.any(String),
      },
      {
        notificationId: expect.any(String),
        orderId,
        type: 'OrderPlaced',
        version: 1,
        text: `Thanks! Order ${orderId} is placed: 2 items, $19.98.`,
        createdAt: expect.any(String),
      },
    ]);
    const first = await json<Page>(await fetch(`${target.url}/customers/${customer}/notifications?limit=1`));
    expect(first.notifications.map((n) => n.type)).toEqual(['OrderCancelled']);
    const second = await json<Page>(await fetch(`${target.url}/customers/${customer}/notifications?limit=1&cursor=${first.nextCursor}`));
    expect(second.notifications.map((n) => n.type)).toEqual(['OrderPlaced']);
  });

  it('lists notifications written before a customer’s were spread (under the bare customer id) among the spread ones', async () => {
    const customer = unique('notified-before');
    const orderId = await placeOrder(customer);
    const delivered = await eventually(async () => {
      const page = await json<Page>(await fetch(`${target.url}/customers/${customer}/notifications`));
      expect(page.notifications).toHaveLength(1);
      return page.notifications[0]!;
    });
    // As the subscriber wrote them before the spread: keyed by the customer alone; one older, one newer.
    const table = target.outputs.eightfold.NotificationsTableName!;
    const before = { notificationId: '00000000-0000-7000-8000-000000000000', createdAt: '2026-01-01T00:00:00.000Z' };
    const after = { notificationId: 'ffffffff-ffff-7fff-bfff-ffffffffffff', createdAt: '2099-01-01T00:00:00.000Z' };
    for (const at of [before, after])
      await target.documents.send(
        new PutCommand({
          TableName: table,
          Item: {
            customerId: customer,
            ...at,
            orderId: `${orderId}-old`,
            orderVersion: 1,
            eventType: 'OrderPlaced',
            text: 'before the spread',
          },
        }),
      );
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await json<Page>(
        await fetch(`${target.url}/customers/${customer}/notifications?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      );
      listed.push(...page.notifications.map((n) => n.notificationId));
      cursor = page.nextCursor;
    } while (cursor && listed.length <= 3);
    expect(listed).toEqual([after.notificationId, delivered.notificationId, before.notificationId]);
    for (const at of [before, after])
      await target.documents.send(
        new DeleteCommand({ TableName: table, Key: { customerId: customer, notificationId: at.notificationId } }),
      );
  });

  it('answers an empty list for a customer never notified, and 400 for a bad limit or a forged cursor', async () => {
    expect(await json(await fetch(`${target.url}/customers/${NOBODY}/notifications`))).toEqual({ notifications: [] });
    const badLimit = await fetch(`${target.url}/customers/${NOBODY}/notifications?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(await json<{ error: { code: string } }>(badLimit)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const forged = await fetch(`${target.url}/customers/${NOBODY}/notifications?cursor=not-ours`);
    expect(forged.status).toBe(400);
    expect(await json<{ error: { code: string } }>(forged)).toMatchObject({ error: { code: 'BAD_CURSOR' } });
  });
});

describe('GET /products/{sku}/sales', () => {
  type Sales = { sku: string; unitsSold: number; shards: number; asOf: string };
  const sales = async (sku: string) => json<Sales>(await fetch(`${target.url}/products/${sku}/sales`));

  it('counts the units of placed orders and takes back cancelled ones, gathered from the write shards', async () => {
    expect(await sales(LAMP)).toEqual({ sku: LAMP, unitsSold: 0, shards: 8, asOf: expect.any(String) });
    const orders = await Promise.all(Array.from({ length: 6 }, (_, i) => placeOrder(`sales-${i}`, LAMP)));
    await eventually(async () => expect((await sales(LAMP)).unitsSold).toBe(12));
    expect((await fetch(`${target.url}/orders/${orders[0]}/cancel`, { method: 'POST' })).status).toBe(200);
    await eventually(async () => expect((await sales(LAMP)).unitsSold).toBe(10));
  });

  it('answers 404 PRODUCT_NOT_FOUND for a SKU no order could name', async () => {
    const response = await fetch(`${target.url}/products/${encodeURIComponent('no such sku')}/sales`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'PRODUCT_NOT_FOUND', message: expect.any(String) } });
  });

  it('shows operators the shard map and each shard’s load on GET /ops/shards', async () => {
    expect((await globalThis.fetch(`${target.url}/ops/shards`)).status).toBe(401);
    const response = await fetch(`${target.url}/ops/shards`);
    expect(response.status).toBe(200);
    const report = await json<{
      map: { version: number; shards: number; writeShards: number };
      perShard: { items: number; recentWrites: number }[];
      hotKeys: { key: string; increments: number }[];
    }>(response);
    expect(report.map).toMatchObject({ name: 'eightfold', version: 1, phase: 'STABLE', shards: 16, writeShards: 8 });
    expect(report.perShard).toHaveLength(16);
    expect(report.perShard.reduce((sum, s) => sum + s.recentWrites, 0)).toBeGreaterThan(0);
    expect(report.hotKeys.map((k) => k.key)).toContain(LAMP);
  });
});

// Left out against a deployment (E2E_BASE_URL): it runs the reshard script on the local cloud's own tables.
describe.skipIf(REMOTE_BASE_URL)('npm run reshard', () => {
  const reshard = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/reshard.ts', ...args], {
      cwd: PROJECT_DIR,
      env: {
        ...process.env,
        ...target.cloud!.environment,
        SALES_COUNTERS_TABLE: target.outputs.eightfold.SalesCountersTableName,
        ORDERS_VIEW_TABLE: target.outputs.eightfold.OrdersViewTableName,
        SHARD_MAPS_TABLE: target.outputs.eightfold.ShardMapsTableName,
      },
    });

  it('prints the plan, then moves 16 → 20 shards while the system runs: the sales still exact, every view row relabelled', async () => {
    const sales = async () => (await json<{ unitsSold: number }>(await fetch(`${target.url}/products/${LAMP}/sales`))).unitsSold;
    const before = await sales();
    expect(before).toBeGreaterThan(0);
    const dry = await reshard('--to', '20', '--dry-run');
    expect(dry.stdout).toMatch(/Map eightfold v1: STABLE, 16 shards, 8 write shards per counter/);
    expect(dry.stdout).toMatch(/Reshard 16 → 20 shards:\n {2}sales counters: \d+ of \d+ items move/);
    expect(dry.stdout).toMatch(/\n {2}orders view: \d+ of \d+ items move/);
    // Settling waits out the Lambdas' map cache, as on AWS.
    const { stdout } = await reshard('--to', '20', '--settle-seconds', String(MAP_CACHE_SECONDS + 1));
    expect(stdout).toMatch(/Done: \d+ sales counters items, \d+ orders view items moved; map versions 2, 3, 4/);
    const rows = await scanAll(target.documents, target.outputs.eightfold.OrdersViewTableName!);
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row.shard, String(row.orderId)).toBe(shardOf({ shards: 20 }, String(row.customerId)));
    await eventually(async () => expect(await sales()).toBe(before), { timeoutMs: 15_000 });
    const shards = await json<{ map: { version: number; shards: number; phase: string } }>(await fetch(`${target.url}/ops/shards`));
    expect(shards.map).toMatchObject({ name: 'eightfold', version: 4, shards: 20, phase: 'STABLE' });
    // New sales land on the new map's locations and count.
    await placeOrder('after-reshard', LAMP);
    await eventually(async () => expect(await sales()).toBe(before + 2));
    await expect(reshard('--to', '0')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--to must be a whole number/) });
  }, 90_000);
});

// The local cloud's IAM judges each call by the caller's role, from the synthesized template; a deployment's
// IAM is AWS's own, which these calls would need the functions' roles to make.
describe.skipIf(REMOTE_BASE_URL)('least privilege, while the code runs (the local cloud enforces IAM)', () => {
  /** A DynamoDB client calling as the function or role `id` of the Eightfold stack. */
  const callingAs = (id: string) => {
    const cloud = target.cloud!;
    return DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: cloud.endpoints.dynamodb,
        region: cloud.region,
        credentials: cloud.credentialsFor(id, 'Eightfold-dev'),
      }),
    );
  };
  const environmentOf = (id: string) =>
    target.cloud!.functions.get(target.cloud!.resource(id, 'Eightfold-dev').physicalId)!.config.environment;

  it('refuses the queries function a write to the read model it reads', async () => {
    const queries = callingAs('QueriesFunction');
    const TableName = environmentOf('QueriesFunction')[ENV.readModel.ordersView]!;
    try {
      await queries.send(new GetCommand({ TableName, Key: { orderId: 'no-such-order' } }));
      await expect(queries.send(new PutCommand({ TableName, Item: { orderId: 'forged' } }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(
          /assumed-role\/.*QueriesFunction.* is not authorized to perform: dynamodb:PutItem on resource: .*:table\//,
        ),
      });
    } finally {
      queries.destroy();
    }
  });

  it('holds the ops function’s hand-over grant to the lease’s own partition (dynamodb:LeadingKeys)', async () => {
    const env = environmentOf('Ops/Function');
    const TableName = env[ENV.leaderElection.table]!;
    const lease = env[ENV.leaderElection.lease]!;
    const ops = callingAs('Ops/Function');
    // A condition that never holds: IAM decides before DynamoDB looks, and nothing changes either way.
    const touch = (name: string) =>
      ops.send(
        new UpdateCommand({
          TableName,
          Key: { name, entry: 'probe' },
          UpdateExpression: 'SET probe = :p',
          ConditionExpression: 'attribute_exists(no_such_attribute)',
          ExpressionAttributeValues: { ':p': 1 },
        }),
      );
    try {
      await expect(touch(lease)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      await expect(touch(`${lease}-other`)).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringContaining('dynamodb:UpdateItem'),
      });
    } finally {
      ops.destroy();
    }
  });
});
