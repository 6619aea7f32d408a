/**
 * The distributed breaker on DynamoDB Local: several simulated Lambda instances (each its own breaker object
 * with its own cached copy) share one BreakersTable item.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DistributedCircuitBreaker,
  DynamoDbBreakerStore,
  isBrokenCircuitError,
  setBreakerState,
  type BreakerPolicy,
  type StateChange,
} from '../../lambdas/patterns/circuit-breaker/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '@eightfold/local-cloud';
import { eventually } from '../helpers/eventually.ts';
import { createTable } from '../helpers/tables.ts';

const POLICY: Partial<BreakerPolicy> = {
  minimumCalls: 10,
  failureRateThreshold: 0.5,
  windowMs: 2_000,
  bucketMs: 200,
  openMs: 500,
  maxOpenMs: 2_000,
  halfOpenProbes: 3,
  stateCacheMs: 200,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let store: DynamoDbBreakerStore;

const fleet = (name: string, size: number, changes: StateChange[] = []) =>
  Array.from({ length: size }, () => new DistributedCircuitBreaker({ name, store, policy: POLICY, onStateChange: (c) => changes.push(c) }));

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw);
  await createTable(raw, 'breakers', [{ name: 'name', type: 'S' }]);
  store = new DynamoDbBreakerStore(client, 'breakers');
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('DistributedCircuitBreaker on DynamoDB Local', () => {
  it('trips 8 instances together: calls reaching a dead dependency stay within minimum calls + one per instance + K per probe period', async () => {
    const changes: StateChange[] = [];
    const instances = fleet('dies', 8, changes);
    let alive = true;
    let callsWhileDead = 0;
    let rejected = 0;
    const dependency = async () => {
      await sleep(2);
      if (alive) return 'ok';
      callsWhileDead++;
      throw new Error('connection refused');
    };
    const run = async (breaker: DistributedCircuitBreaker, until: number) => {
      while (Date.now() < until) {
        await breaker.execute(dependency).catch((error: unknown) => {
          if (isBrokenCircuitError(error)) rejected++;
        });
        await sleep(5);
      }
    };
    // Healthy traffic, then a quiet window so the dying period starts from an empty window.
    await Promise.all(instances.map((b) => run(b, Date.now() + 300)));
    await sleep(POLICY.windowMs!);
    alive = false;
    await Promise.all(instances.map((b) => run(b, Date.now() + 1_500)));

    const probePeriods = changes.filter((c) => c.to === 'HALF_OPEN').length;
    expect(changes[0]).toMatchObject({ from: 'CLOSED', to: 'OPEN' });
    expect(callsWhileDead).toBeGreaterThanOrEqual(POLICY.minimumCalls!);
    expect(callsWhileDead).toBeLessThanOrEqual(POLICY.minimumCalls! + instances.length + POLICY.halfOpenProbes! * probePeriods);
    expect(rejected).toBeGreaterThan(callsWhileDead * 3);
    // Exactly one instance made each transition: versions go up by one, with no duplicates.
    expect(changes.map((c) => c.version)).toEqual(changes.map((_, i) => i + 1));
  });

  it('admits exactly K probes across 20 concurrent callers while HALF_OPEN, then closes when they succeed', async () => {
    const changes: StateChange[] = [];
    const instances = fleet('probes', 20, changes);
    const opened = await store.transition(await store.read('probes'), {
      state: 'OPEN',
      openings: 0,
      openedAt: Date.now() - 1_000,
      nextProbeAt: Date.now() - 1,
      resetWindow: true,
      at: Date.now(),
    });
    expect(opened?.state).toBe('OPEN');
    let admitted = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const results = instances.map((b) =>
      b
        .execute(async () => {
          admitted++;
          await released;
          return 'ok';
        })
        .then(
          () => 'probe',
          (error: unknown) => (isBrokenCircuitError(error) ? `rejected:${error.context.state}` : 'failed'),
        ),
    );
    await eventually(() => expect(admitted).toBe(POLICY.halfOpenProbes));
    await sleep(200); // latecomers had their chance
    expect(admitted).toBe(POLICY.halfOpenProbes);
    release();
    const outcomes = await Promise.all(results);
    expect(outcomes.filter((o) => o === 'probe')).toHaveLength(POLICY.halfOpenProbes!);
    expect(outcomes.filter((o) => o === 'rejected:HALF_OPEN')).toHaveLength(20 - POLICY.halfOpenProbes!);
    expect((await store.read('probes')).state).toBe('CLOSED');
    expect(changes.map((c) => c.to)).toEqual(['HALF_OPEN', 'CLOSED']);
  });

  it('recovers: once the dependency is back, the probes close the breaker and traffic flows', async () => {
    const instances = fleet('recovers', 4);
    let alive = false;
    const dependency = async () => {
      if (!alive) throw new Error('down');
      return 'ok';
    };
    for (let i = 0; i < 12; i++) await instances[i % 4]!.execute(dependency).catch(() => undefined);
    expect((await store.read('recovers')).state).toBe('OPEN');
    alive = true;
    await eventually(
      async () => {
        const results = await Promise.allSettled(instances.map((b) => b.execute(dependency)));
        expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      },
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    expect((await store.read('recovers')).state).toBe('CLOSED');
  });

  it('lets operators force it open and reset it for the whole fleet', async () => {
    const instances = fleet('forced', 3);
    await setBreakerState(store, 'forced', 'FORCED_OPEN', Date.now());
    const results = await Promise.allSettled(instances.map((b) => b.execute(async () => 'ok')));
    expect(results.map((r) => (r.status === 'rejected' && isBrokenCircuitError(r.reason) ? r.reason.context.state : r.status))).toEqual([
      'FORCED_OPEN',
      'FORCED_OPEN',
      'FORCED_OPEN',
    ]);
    await setBreakerState(store, 'forced', 'CLOSED', Date.now());
    await sleep(POLICY.stateCacheMs!);
    expect(await Promise.all(instances.map((b) => b.execute(async () => 'ok')))).toEqual(['ok', 'ok', 'ok']);
  });

  it('spreads the window over items once the fleet outgrows one: every transition reaches each copy, operators see the whole window', async () => {
    const spread: Partial<BreakerPolicy> = { ...POLICY, flushesPerShard: 2, maxShards: 4 };
    const instances = Array.from(
      { length: 12 },
      (_, slot) => new DistributedCircuitBreaker({ name: 'spread', store, policy: spread, slot }),
    );
    let calls = 0;
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      await Promise.all(instances.map((b) => b.execute(async () => calls++)));
      await sleep(20);
    }
    const own = await store.read('spread');
    expect(own).toMatchObject({ state: 'CLOSED', shards: 4, copies: 4 }); // 12 writers, 2 an item: the most allowed
    const { Items = [] } = await client.send(
      new ScanCommand({
        TableName: 'breakers',
        FilterExpression: 'begins_with(#n, :spread)',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: { ':spread': 'spread' },
      }),
    );
    expect(Items.map((item) => item.name).sort()).toEqual(['spread', 'spread#1', 'spread#2', 'spread#3']);
    const listed = (await store.list()).filter((record) => record.name === 'spread');
    expect(listed).toHaveLength(1); // the copies are parts of it, not breakers of their own
    const counted = Object.values(listed[0]!.buckets).reduce((sum, b) => sum + b.calls, 0);
    const perItem = await Promise.all([0, 1, 2, 3].map((shard) => store.read('spread', shard)));
    expect(counted).toBe(perItem.reduce((sum, r) => sum + Object.values(r.buckets).reduce((s, b) => s + b.calls, 0), 0));
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThanOrEqual(calls);

    await setBreakerState(store, 'spread', 'FORCED_OPEN', Date.now());
    for (const shard of [1, 2, 3])
      expect(await store.read('spread', shard)).toMatchObject({ state: 'FORCED_OPEN', version: own.version + 1, shards: 4 });
    await sleep(spread.stateCacheMs!);
    const refused = await Promise.allSettled(instances.map((b) => b.execute(async () => 'ok')));
    expect(refused.every((r) => r.status === 'rejected' && isBrokenCircuitError(r.reason))).toBe(true);
    await setBreakerState(store, 'spread', 'CLOSED', Date.now());
    await sleep(spread.stateCacheMs!);
    expect(new Set(await Promise.all(instances.map((b) => b.execute(async () => 'ok'))))).toEqual(new Set(['ok']));
  });
});
