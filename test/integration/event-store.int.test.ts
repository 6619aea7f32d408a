import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CURRENT_SCHEMA_VERSION,
  decide,
  evolve,
  fold,
  initialState,
  orderDecider,
  orderUpcasters,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
} from '../../lambdas/domain/orders/index.ts';
import {
  EventStore,
  handleCommand,
  isConcurrencyError,
  isEventTooLargeError,
  type ConcurrencyError,
  type EventStoreOptions,
} from '../../lambdas/patterns/event-sourcing/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '@eightfold/local-cloud';
import v1Fixture from '../fixtures/events/order-placed.v1.json' with { type: 'json' };
import { createTable } from '../helpers/tables.ts';

const TABLE = 'events-under-test';
const metadata = { correlationId: 'corr-1', actor: 'test' };
let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;

const store = (options: Partial<EventStoreOptions> = {}) =>
  new EventStore({ client, tableName: TABLE, upcasters: orderUpcasters, schemaVersions: CURRENT_SCHEMA_VERSION, ...options });
const streamId = () => `order-${randomUUID()}`;
const note = (n: number) => ({ type: 'Noted', data: { n } });

async function storedPositions(id: string): Promise<number[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'streamId = :s', ExpressionAttributeValues: { ':s': id } }),
  );
  return Items.map((item) => item.position as number);
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  await createTable(raw, TABLE, [
    { name: 'streamId', type: 'S' },
    { name: 'position', type: 'N' },
  ]);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('EventStore.append', () => {
  it('stores each event in an envelope: time-ordered id, gapless version, schema version, metadata', async () => {
    const id = streamId();
    const clock = () => new Date('2026-11-25T12:00:00.000Z');
    const result = await store({ clock }).append(id, 0, [note(1), { type: 'OrderPlaced', data: { x: 1 } }], {
      ...metadata,
      causationId: 'cmd-1',
      idempotencyKey: 'k-1',
    });
    expect(result.version).toBe(2);
    const { events } = await store().read(id);
    expect(events).toEqual([
      {
        eventId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7/),
        streamId: id,
        version: 1,
        type: 'Noted',
        schemaVersion: 1,
        data: { n: 1 },
        metadata: {
          correlationId: 'corr-1',
          causationId: 'cmd-1',
          actor: 'test',
          idempotencyKey: 'k-1',
          recordedAt: '2026-11-25T12:00:00.000Z',
        },
        recordedAt: '2026-11-25T12:00:00.000Z',
      },
      expect.objectContaining({ version: 2, type: 'OrderPlaced', schemaVersion: 2 }),
    ]);
    expect(events[0]!.eventId < events[1]!.eventId).toBe(true);
  });

  it('lets exactly one of 10 concurrent appends at the same expected version succeed', async () => {
    const id = streamId();
    await store().append(id, 0, [note(0)], metadata);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store().append(id, 1, [note(i)], metadata)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const { reason } of lost) {
      expect(isConcurrencyError(reason)).toBe(true);
      expect(reason as ConcurrencyError).toMatchObject({
        code: 'VERSION_CONFLICT',
        context: { streamId: id, expectedVersion: 1, currentVersion: 2 },
      });
    }
    expect(await storedPositions(id)).toEqual([1, 2]);
  });

  it('writes a multi-event append all or nothing', async () => {
    const id = streamId();
    await store().append(id, 0, [note(1)], metadata);
    // Another writer got version 3 in first (a raw write, as a racing append of two events would).
    await client.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          streamId: id,
          position: 3,
          eventId: 'x',
          type: 'Noted',
          schemaVersion: 1,
          data: {},
          metadata: { ...metadata, recordedAt: 'now' },
        },
      }),
    );
    const attempt = store().append(id, 1, [note(2), note(3), note(4)], metadata);
    await expect(attempt).rejects.toSatisfy(isConcurrencyError);
    await expect(attempt).rejects.toMatchObject({ code: 'VERSION_CONFLICT', context: { currentVersion: 3 } });
    expect(await storedPositions(id)).toEqual([1, 3]);
  });

  it('refuses an event too large for a DynamoDB item, before writing anything', async () => {
    const id = streamId();
    const attempt = store().append(id, 0, [note(1), { type: 'Huge', data: { blob: 'x'.repeat(400 * 1024) } }], metadata);
    await expect(attempt).rejects.toSatisfy(isEventTooLargeError);
    await expect(attempt).rejects.toThrow(/Event Huge on stream .* takes \d+ bytes; a DynamoDB item holds at most 409600/);
    expect(await storedPositions(id)).toEqual([]);
  });

  it.each([
    { description: 'a negative expected version', expected: -1, events: [note(1)], message: /expectedVersion must be a whole number/ },
    { description: 'a fractional expected version', expected: 1.5, events: [note(1)], message: /expectedVersion must be a whole number/ },
    { description: 'no events', expected: 0, events: [], message: /at least one event/ },
    {
      description: '100 events (over one transaction)',
      expected: 0,
      events: Array.from({ length: 100 }, (_, i) => note(i)),
      message: /at most 99 events/,
    },
  ])('refuses $description', async ({ expected, events, message }) => {
    await expect(store().append(streamId(), expected, events, metadata)).rejects.toThrow(message);
  });
});

describe('EventStore.read', () => {
  it('pages through a stream oldest first, skipping snapshots, with an opaque cursor', async () => {
    const id = streamId();
    const s = store({ snapshotEvery: 10 });
    for (let v = 0; v < 25; v += 5) {
      const events = [1, 2, 3, 4, 5].map((i) => note(v + i));
      await s.append(id, v, events, metadata, s.shouldSnapshot(v, v + 5) ? { state: { upTo: v + 5 }, stateSchemaVersion: 1 } : undefined);
    }
    expect((await storedPositions(id)).filter((p) => !Number.isInteger(p))).toEqual([10.5, 20.5]);
    const versions: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.read(id, { limit: 10, cursor });
      versions.push(...page.events.map((e) => e.version));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(pages).toBe(3);
    expect((await s.read(id, { fromVersion: 9, toVersion: 12 })).events.map((e) => e.version)).toEqual([9, 10, 11, 12]);
  });

  it('writes new events at one past their newest upcaster when no schema version is configured', async () => {
    const id = streamId();
    const data = { orderId: id, customerId: 'c', items: [], totalCents: 5, placedAt: 'now' };
    await store({ schemaVersions: {} }).append(id, 0, [{ type: 'OrderPlaced', data }], metadata);
    const { events } = await store({ schemaVersions: {} }).read(id);
    expect(events[0]).toMatchObject({ schemaVersion: 2, data });
  });

  it('upcasts stored v1 events to the current schema on read', async () => {
    await client.send(new PutCommand({ TableName: TABLE, Item: v1Fixture }));
    const { events } = await store().read('order-legacy-1');
    expect(events[0]).toMatchObject({
      schemaVersion: 2,
      data: { totalCents: 2008, items: [{ unitPriceCents: 999 }, { unitPriceCents: 10 }] },
    });
  });
});

describe('EventStore.load', () => {
  const loadOptions = { initialState, evolve: (state: OrderState, event: OrderEvent) => evolve(state, event), stateSchemaVersion: 1 };

  /** A stream of one order with 120 events: placed, then payments requested and declined in turn. */
  async function longStream(s: EventStore): Promise<{ id: string; events: OrderEvent[] }> {
    const id = streamId();
    const history: OrderEvent[] = [];
    let version = 0;
    for (let i = 0; i < 120; i++) {
      const command: OrderCommand =
        i === 0
          ? {
              type: 'PlaceOrder',
              data: { orderId: id, customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }] },
              now: `t${i}`,
            }
          : i % 2 === 1
            ? { type: 'RequestPayment', data: { orderId: id, paymentKey: `k${i}` }, now: `t${i}` }
            : {
                type: 'RecordPayment',
                data: { orderId: id, paymentKey: `k${i - 1}`, outcome: { status: 'DECLINED', reason: `r${i}` } },
                now: `t${i}`,
              };
      const events = decide(command, fold(history));
      history.push(...events);
      const next = version + events.length;
      await s.append(
        id,
        version,
        events,
        metadata,
        s.shouldSnapshot(version, next) ? { state: fold(history), stateSchemaVersion: 1 } : undefined,
      );
      version = next;
    }
    return { id, events: history };
  }

  it('starts from the newest snapshot and folds only the events after it', async () => {
    const s = store({ snapshotEvery: 50 });
    const { id, events } = await longStream(s);
    const loaded = await s.load(id, loadOptions);
    expect(loaded).toMatchObject({ version: 120, snapshotVersion: 100, eventsFolded: 20 });
    expect(loaded.state).toEqual(fold(events));
  });

  it('loads the state as it was at an earlier version (time travel)', async () => {
    const s = store({ snapshotEvery: 50 });
    const { id, events } = await longStream(s);
    const loaded = await s.load(id, { ...loadOptions, toVersion: 75 });
    expect(loaded).toMatchObject({ version: 75, snapshotVersion: 50, eventsFolded: 25 });
    expect(loaded.state).toEqual(fold(events.slice(0, 75)));
  });

  it('ignores snapshots of another state shape and folds the whole stream', async () => {
    const s = store({ snapshotEvery: 50 });
    const { id, events } = await longStream(s);
    const loaded = await s.load(id, { ...loadOptions, stateSchemaVersion: 2 });
    expect(loaded).toMatchObject({ version: 120, snapshotVersion: undefined, eventsFolded: 120 });
    expect(loaded.state).toEqual(fold(events));
  });

  it('loads an unknown stream as the initial state at version 0', async () => {
    expect(await store().load(streamId(), loadOptions)).toEqual({
      state: initialState,
      version: 0,
      snapshotVersion: undefined,
      eventsFolded: 0,
    });
  });
});

describe('handleCommand', () => {
  const orderId = () => `order-${randomUUID()}`;
  /** A tally: every command appends one event, whatever came before (the pattern's rules, not an order's). */
  const tally = {
    decide: (command: { n: number }) => [{ type: 'Counted', data: { n: command.n } }],
    evolve: (state: { count: number }) => ({ count: state.count + 1 }),
    initialState: { count: 0 },
    stateSchemaVersion: 1,
  };
  const count = (n: number) => ({ n });

  it('retries a conflicting command (reload, decide again) until every concurrent writer has appended once', async () => {
    const id = orderId();
    await handleCommand(store(), tally, id, count(0), metadata);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, n) => handleCommand(store(), tally, id, count(n), metadata, { maxAttempts: 12, initialDelayMs: 5 })),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const { events } = await store().read(id);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('with an expected version, refuses at once when the stream has moved on, writing nothing', async () => {
    const id = orderId();
    await handleCommand(store(), tally, id, count(0), metadata);
    await handleCommand(store(), tally, id, count(1), metadata);
    const stale = handleCommand(store(), tally, id, count(2), metadata, { expectedVersion: 1 });
    await expect(stale).rejects.toMatchObject({ name: 'ConcurrencyError', context: { expectedVersion: 1, currentVersion: 2 } });
    expect(await storedPositions(id)).toEqual([1, 2]);
  });

  it('lets a domain error through without retrying or writing', async () => {
    const id = orderId();
    const ship = { type: 'ShipOrder', data: { orderId: id }, now: 'now' } as const;
    await expect(handleCommand(store(), orderDecider, id, ship, metadata)).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    expect(await storedPositions(id)).toEqual([]);
  });

  it('writes a snapshot in the same request when an append crosses the snapshot interval', async () => {
    const id = orderId();
    const s = store({ snapshotEvery: 3 });
    await handleCommand(s, tally, id, count(0), metadata);
    for (let n = 1; n <= 4; n++) await handleCommand(s, tally, id, count(n), metadata);
    expect(await storedPositions(id)).toEqual([1, 2, 3, 3.5, 4, 5]);
    expect(await s.load(id, tally)).toMatchObject({ version: 5, snapshotVersion: 3, eventsFolded: 2, state: { count: 5 } });
  });
});
