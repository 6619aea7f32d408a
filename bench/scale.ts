/**
 * Past this machine, by simulation: how hot each shared item gets as Lambda instances multiply. DynamoDB
 * serves about 1,000 writes and 3,000 reads a second per item (and per partition key of an index), and
 * DynamoDB Local enforces neither, so the bench counts each item's requests second by second instead.
 *
 * - The breaker's items: N instances of the real DistributedCircuitBreaker on a fake clock, sharing a store
 *   that counts requests per item, through healthy traffic, an outage and the recovery; the design before
 *   the window spread (one item, bad news at once) beside it in the same run.
 * - The shard map's item: N instances of the real ShardMapStore with the stack's cache time.
 * - The lease: the stack's contenders taking their turns on DynamoDB Local (the real LeaseClient).
 * - What each order writes to a shared partition (a customer's list, the sparse indexes, a customer's
 *   notifications): the real projection folded over an order's life, against the indexes the synthesized
 *   template declares; × the order rate N instances serve.
 *
 * Instances join as Lambda scales a function (1,000 every 10 s) and each makes a call, or takes an order,
 * every 100 ms: both are the model's assumptions, named in the rows.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '@eightfold/local-cloud';
import { DistributedCircuitBreaker, MemoryBreakerStore, type BreakerPolicy } from '../lambdas/patterns/circuit-breaker/index.ts';
import { ShardMapStore, SHARD_MAP } from '../lambdas/patterns/sharding/index.ts';
import { LeaseClient } from '../lambdas/patterns/leader-election/index.ts';
import { decide, evolve, initialState } from '../lambdas/domain/orders/decider.ts';
import type { OrderViewRow } from '../lambdas/domain/orders/projections.ts';
import { customerPartOf, shardedViewProjection } from '../lambdas/use-cases/order-view.ts';
import { CUSTOMER_FACING_EVENTS } from '../lambdas/domain/orders/notifications.ts';
import type { OrderCommand } from '../lambdas/domain/orders/commands.ts';
import type { OrderEvent } from '../lambdas/domain/orders/events.ts';
import type { OrderState } from '../lambdas/domain/orders/types.ts';
import { createTable } from '../test/helpers/tables.ts';
import { log, ROOT, type Row } from './common.ts';

export const FLEETS = [10, 100, 1_000, 10_000] as const;
/** DynamoDB's ceilings per item, and per partition key of an index. */
export const CEILING = { writes: 1_000, reads: 3_000 } as const;
/** Lambda adds up to 1,000 instances of a function every 10 s. */
const JOINS_PER_SECOND = 100;
/** Each instance calls the guarded dependency, or takes an order, every this often. */
const CALL_EVERY_MS = 100;
/** The simulation's time step: instances are spread over the steps of a call period. */
const STEP_MS = 20;
/** A large account's share of all orders: one customer's list takes this much of the order rate. */
const HOT_CUSTOMER_SHARE = 0.01;

/** Requests per item per simulated second; keeps only the peaks. */
class ItemLoad {
  private second = -1;
  private current = new Map<string, { reads: number; writes: number }>();
  readonly peak = { reads: 0, writes: 0, readItem: '', writeItem: '', readAt: 0, writeAt: 0 };

  count(item: string, kind: 'read' | 'write', at: number): void {
    const second = Math.floor(at / 1000);
    if (second !== this.second) {
      this.second = second;
      this.current = new Map();
    }
    const load = this.current.get(item) ?? { reads: 0, writes: 0 };
    this.current.set(item, load);
    load[kind === 'read' ? 'reads' : 'writes']++;
    if (load.reads > this.peak.reads) Object.assign(this.peak, { reads: load.reads, readItem: item, readAt: at });
    if (load.writes > this.peak.writes) Object.assign(this.peak, { writes: load.writes, writeItem: item, writeAt: at });
  }
}

/** Runs `step(instance, now)` for every instance due, STEP_MS at a time, instances joining at Lambda's pace. */
async function simulate<T>(
  instances: number,
  durationMs: number,
  create: (index: number) => T,
  step: (instance: T, now: number) => Promise<void>,
  clock: { now: number },
): Promise<T[]> {
  const fleet: T[] = [];
  const start = clock.now;
  const stepsPerCall = CALL_EVERY_MS / STEP_MS;
  for (let elapsed = 0, tick = 0; elapsed < durationMs; elapsed += STEP_MS, tick++) {
    clock.now = start + elapsed;
    const joined = Math.min(instances, Math.floor(((elapsed + STEP_MS) / 1000) * JOINS_PER_SECOND));
    while (fleet.length < joined) fleet.push(create(fleet.length));
    const due = fleet.filter((_, i) => i % stepsPerCall === tick % stepsPerCall);
    await Promise.all(due.map((instance) => step(instance, clock.now)));
    // The step's time passing: what the instances started behind their calls (a breaker's refresh) runs now.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return fleet;
}

const rampMs = (instances: number) => Math.ceil(instances / JOINS_PER_SECOND) * 1000;

interface BreakerRun {
  readonly peak: ItemLoad['peak'];
  /** Calls that reached the dependency while it was dead, per instance. */
  readonly deadCallsPerInstance: number;
  /** From the dependency's return until every instance had a call through. */
  readonly recoveryMs: number;
  readonly shards: number;
}

/** Healthy traffic once the fleet is up, a 20 s outage, then 30 s of recovery. */
async function breakerRun(instances: number, policy: Partial<BreakerPolicy>): Promise<BreakerRun> {
  const clock = { now: 1_800_000_000_000 };
  const load = new ItemLoad();
  const store = new MemoryBreakerStore([], (item, kind) => load.count(item, kind, clock.now));
  const healthyUntil = clock.now + rampMs(instances) + 15_000;
  const deadUntil = healthyUntil + 20_000;
  let deadCalls = 0;
  const firstThrough = new Map<number, number>();
  const fleet = await simulate(
    instances,
    deadUntil + 30_000 - clock.now,
    (index) => ({ index, breaker: new DistributedCircuitBreaker({ name: 'payments', store, policy, clock: () => clock.now }) }),
    async ({ index, breaker }, now) => {
      const dead = now >= healthyUntil && now < deadUntil;
      await breaker
        .execute(async () => {
          if (dead) {
            deadCalls++;
            throw new Error('dependency down');
          }
          if (now >= deadUntil && !firstThrough.has(index)) firstThrough.set(index, now);
        })
        .catch(() => undefined);
    },
    clock,
  );
  if (firstThrough.size < fleet.length) throw new Error(`${fleet.length - firstThrough.size} instances never got through after the outage`);
  return {
    peak: load.peak,
    deadCallsPerInstance: deadCalls / fleet.length,
    recoveryMs: Math.max(...firstThrough.values()) - deadUntil,
    shards: (await store.read('payments')).shards,
  };
}

/** The shard map's one item, read by every instance each cache period (the stack's: 10 s). */
async function shardMapPeak(instances: number): Promise<ItemLoad['peak']> {
  const clock = { now: 1_800_000_000_000 };
  const load = new ItemLoad();
  const map = { name: SHARD_MAP, version: 3, phase: 'STABLE', shards: 16, writeShards: 8, updatedAt: new Date(clock.now).toISOString() };
  // The one request the store makes in steady state is a GetItem of the map: served and counted here.
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetCommand) {
        load.count(String(command.input.Key?.name), 'read', clock.now);
        return { Item: map };
      }
      throw new Error(`the simulation serves GetItem only, not ${(command as object).constructor.name}`);
    },
  } as unknown as DynamoDBDocumentClient;
  await simulate(
    instances,
    rampMs(instances) + 30_000,
    () => new ShardMapStore({ client, tableName: 'ShardMaps', clock: () => clock.now, readOnly: true }),
    async (maps) => void (await maps.current(SHARD_MAP, { shards: 16, writeShards: 8 })),
    clock,
  );
  return load.peak;
}

/** The stack's contenders (3, each a turn a minute) on DynamoDB Local: requests on the lease item per round of turns. */
async function leaseRound(template: Template): Promise<{ contenders: number; requestsPerRound: number }> {
  // Each lease's schedule has one target per contender.
  const contenders = Math.max(
    ...Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => ((r.Properties?.Targets ?? []) as { Input?: string }[]).filter((t) => t.Input?.includes('contender')).length),
  );
  const dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const client = DynamoDBDocumentClient.from(raw);
  let requests = 0;
  client.middlewareStack.add((next) => (args) => (requests++, next(args)), { step: 'initialize', name: 'scaleCounter' });
  try {
    await createTable(raw, 'Leases', [
      { name: 'name', type: 'S' },
      { name: 'entry', type: 'S' },
    ]);
    let now = 1_800_000_000_000;
    const leases = Array.from(
      { length: contenders },
      (_, i) =>
        new LeaseClient({
          client,
          tableName: 'Leases',
          holder: `contender-${i}`,
          leaseMs: 180_000,
          clockSkewMarginMs: 5_000,
          clock: () => now,
        }),
    );
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      await Promise.all(leases.map((lease) => lease.hold('coordinator')));
      now += 60_000;
    }
    return { contenders, requestsPerRound: requests / rounds };
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}
interface IndexDefinition {
  IndexName: string;
  KeySchema: { AttributeName: string; KeyType: string }[];
  Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
}

/** How many orders the partition count is taken over. */
const ORDERS = 20_000;

/** An order's life as the API drives it (placed, its payment requested and approved, shipped): its events and view rows. */
function anOrdersLife(
  orderId: string,
  customerId: string,
  projection: ReturnType<typeof shardedViewProjection>,
): { events: OrderEvent[]; rows: OrderViewRow[] } {
  const now = '2027-01-04T10:00:00.000Z';
  const paymentKey = `${orderId}:v1`;
  const commands: OrderCommand[] = [
    { type: 'PlaceOrder', data: { orderId, customerId, items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1_999 }] }, now },
    { type: 'RequestPayment', data: { orderId, paymentKey }, now },
    {
      type: 'RecordPayment',
      data: { orderId, paymentKey, outcome: { status: 'APPROVED', paymentId: `ch-${orderId}`, amountCents: 1_999 } },
      now,
    },
    { type: 'ShipOrder', data: { orderId }, now },
  ];
  let state: OrderState = initialState;
  const events: OrderEvent[] = [];
  for (const command of commands) {
    const decided = decide(command, state);
    for (const event of decided) state = evolve(state, event);
    events.push(...decided);
  }
  let row: OrderViewRow | undefined;
  const rows = events.map((event, i) => {
    const envelope = {
      eventId: `${orderId}-${i + 1}`,
      streamId: orderId,
      version: i + 1,
      type: event.type,
      schemaVersion: 1,
      data: event.data,
    };
    return (row = projection.apply(row, {
      ...envelope,
      metadata: { correlationId: 'scale', actor: 'scale', recordedAt: now },
      recordedAt: now,
    }));
  });
  return { events, rows };
}

/**
 * The hottest partition key of each shared place an order writes, and its writes per order: ORDERS orders
 * (the busiest customer's share of them one account's, the rest each their own customer's) live their lives
 * through the projector's own projection; an index's partition takes a write whenever a row enters it, leaves
 * it, or changes what it projects; the notifications table, one per customer-facing event.
 */
function hottestPartitions(template: Template): { place: string; key: string; writesPerOrder: number }[] {
  const view = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::DynamoDB::Table' && id.includes('OrdersView'))!;
  const indexes = (view[1].Properties!.GlobalSecondaryIndexes ?? []) as IndexDefinition[];
  // The stack's N (its functions' DEFAULT_SHARDS): a customer's rows sit in one of N by-shard partitions.
  const shards = Number(
    Object.values(template.Resources)
      .map((r) => (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.DEFAULT_SHARDS)
      .find((value) => value !== undefined),
  );
  const projection = shardedViewProjection({ shards });
  const writes = new Map<string, Map<string, number>>();
  const count = (place: string, key: unknown) => {
    const byKey = writes.get(place) ?? new Map<string, number>();
    writes.set(place, byKey);
    byKey.set(String(key), (byKey.get(String(key)) ?? 0) + 1);
  };
  const everyHot = Math.round(1 / HOT_CUSTOMER_SHARE);
  for (let i = 0; i < ORDERS; i++) {
    const customerId = i % everyHot === 0 ? 'the-busiest-customer' : `customer-${i}`;
    const { events, rows } = anOrdersLife(`order-${i}`, customerId, projection);
    for (const index of indexes) {
      const [partitionKey, sortKey] = ['HASH', 'RANGE'].map((type) => index.KeySchema.find((k) => k.KeyType === type)?.AttributeName);
      const projected = (row: OrderViewRow | undefined): string | undefined => {
        if (!row || row[partitionKey!] === undefined) return undefined;
        const keys = [partitionKey!, sortKey!, 'orderId'];
        const attributes =
          index.Projection.ProjectionType === 'ALL'
            ? Object.keys(row)
            : index.Projection.ProjectionType === 'INCLUDE'
              ? [...keys, ...(index.Projection.NonKeyAttributes ?? [])]
              : keys;
        return JSON.stringify(attributes.sort().map((a) => [a, row[a]]));
      };
      rows.forEach((row, r) => {
        if (projected(row) === projected(rows[r - 1])) return;
        // A row leaving the index is a write to the partition it leaves.
        count(`OrdersView index \`${index.IndexName}\``, row[partitionKey!] ?? rows[r - 1]![partitionKey!]);
      });
    }
    // The notifications subscriber's key: the customer's part of the table.
    for (const event of events)
      if ((CUSTOMER_FACING_EVENTS as readonly string[]).includes(event.type))
        count('Notifications table', customerPartOf(customerId, `order-${i}`));
  }
  return [...writes].map(([place, byKey]) => {
    const [key, most] = [...byKey].reduce((a, b) => (b[1] > a[1] ? b : a));
    return { place, key, writesPerOrder: most / ORDERS };
  });
}

const perSecond = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
const verdict = (n: number, ceiling: number) => (n <= ceiling ? 'under' : 'over');

export async function scaleFigures(rows: Row[]): Promise<void> {
  const template = JSON.parse(readFileSync(join(ROOT, 'cdk.out/Eightfold-dev.template.json'), 'utf8')) as Template;
  const ONE_ITEM: Partial<BreakerPolicy> = { maxShards: 1, flushesPerShard: Number.POSITIVE_INFINITY };
  for (const instances of FLEETS) {
    const spread = await breakerRun(instances, {});
    const oneItem = await breakerRun(instances, ONE_ITEM);
    log(
      `scale ${instances}: breaker writes ${spread.peak.writes}/s (one item: ${oneItem.peak.writes}/s), reads ${spread.peak.reads}/s, ` +
        `${spread.shards} shards, recovery ${spread.recoveryMs} ms, dead calls ${spread.deadCallsPerInstance.toFixed(2)}/instance; ` +
        `hottest ${spread.peak.writeItem} at ${spread.peak.writeAt}`,
    );
    rows.push(
      {
        figure: `breaker: hottest item's writes/s, ${instances.toLocaleString('en-US')} instances (simulated: healthy, 20 s outage, recovery)`,
        value: perSecond(spread.peak.writes),
        baseline: `one item for the whole window: ${perSecond(oneItem.peak.writes)}`,
        ratio: `${(spread.peak.writes / oneItem.peak.writes).toFixed(2)}×`,
        goal: `≤ ${perSecond(CEILING.writes)} (DynamoDB's per item)`,
        met: spread.peak.writes <= CEILING.writes,
      },
      {
        figure: `breaker: hottest item's reads/s, ${instances.toLocaleString('en-US')} instances`,
        value: perSecond(spread.peak.reads),
        baseline: `one item for the whole window: ${perSecond(oneItem.peak.reads)}`,
        ratio: `${(spread.peak.reads / Math.max(1, oneItem.peak.reads)).toFixed(2)}×`,
        goal: `≤ ${perSecond(CEILING.reads)} (DynamoDB's per item)`,
        met: spread.peak.reads <= CEILING.reads,
      },
      {
        figure: `breaker at ${instances.toLocaleString('en-US')} instances: window items; calls reaching the dead dependency per instance; last instance through after it returns`,
        value: `${spread.shards}; ${spread.deadCallsPerInstance.toFixed(2)}; ${(spread.recoveryMs / 1000).toFixed(1)} s`,
        baseline: `one item: 1; ${oneItem.deadCallsPerInstance.toFixed(2)}; ${(oneItem.recoveryMs / 1000).toFixed(1)} s`,
        ratio: `${(spread.deadCallsPerInstance / oneItem.deadCallsPerInstance).toFixed(2)}×`,
      },
    );
  }
  for (const instances of FLEETS) {
    const peak = await shardMapPeak(instances);
    rows.push({
      figure: `shard map: its item's reads/s, ${instances.toLocaleString('en-US')} instances (each reads it every ${10} s)`,
      value: perSecond(peak.reads),
      baseline: `DynamoDB's per item: ${perSecond(CEILING.reads)}`,
      ratio: `${(peak.reads / CEILING.reads).toFixed(2)}×`,
      goal: `≤ ${perSecond(CEILING.reads)}`,
      met: peak.reads <= CEILING.reads,
    });
  }
  const lease = await leaseRound(template);
  log(`scale: lease ${lease.requestsPerRound} requests a round of ${lease.contenders} contenders`);
  rows.push({
    figure: `lease: its item's requests/s at any fleet size (the stack's ${lease.contenders} contenders, turns a minute apart, all in one second)`,
    value: perSecond(lease.requestsPerRound),
    baseline: `DynamoDB's per item: ${perSecond(CEILING.writes)} writes`,
    ratio: `${(lease.requestsPerRound / CEILING.writes).toFixed(3)}×`,
    goal: `≤ ${perSecond(CEILING.writes)}`,
    met: lease.requestsPerRound <= CEILING.writes,
  });
  const ordersPerInstance = 1000 / CALL_EVERY_MS;
  const sustains: { partition: string; orders: number }[] = [];
  for (const { place, key, writesPerOrder } of hottestPartitions(template)) {
    const partition = `${place}, partition \`${key}\``;
    const at = FLEETS.map((instances) => instances * ordersPerInstance * writesPerOrder);
    const sustained = CEILING.writes / writesPerOrder;
    sustains.push({ partition, orders: sustained });
    rows.push({
      figure: `${partition} (the hottest; ${writesPerOrder.toFixed(3)} writes an order): writes/s at ${FLEETS.map((n) => n.toLocaleString('en-US')).join(' / ')} instances, ${ordersPerInstance} orders/s each`,
      value: at.map(perSecond).join(' / '),
      baseline: `DynamoDB's per partition: ${perSecond(CEILING.writes)}; the order rate it sustains: ${perSecond(sustained)}`,
      ratio: FLEETS.map((_, i) => verdict(at[i]!, CEILING.writes)).join(' / '),
      goal: `≤ ${perSecond(CEILING.writes)} at every fleet simulated`,
      met: at.every((writes) => writes <= CEILING.writes),
    });
  }
  const first = sustains.reduce((a, b) => (b.orders < a.orders ? b : a));
  rows.push({
    figure: `the order rate the whole design sustains on AWS, as far as DynamoDB's per-partition ceiling goes (its first bottleneck: ${first.partition})`,
    value: perSecond(first.orders),
    baseline: `the next: ${sustains
      .filter((p) => p !== first)
      .sort((a, b) => a.orders - b.orders)
      .slice(0, 2)
      .map((p) => `${p.partition} at ${perSecond(p.orders)}`)
      .join('; ')}`,
    ratio: `${(first.orders / ordersPerInstance).toFixed(0)} instances' orders`,
  });
}
