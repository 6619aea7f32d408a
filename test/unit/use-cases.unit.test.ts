/**
 * Use cases called as functions of (deps, input), with in-memory ports and a fake clock: what they decide,
 * which errors they raise, and what they ask of their ports. HTTP and DynamoDB are not the point here
 * (the e2e files cover those); the store-backed use cases run against DynamoDB Local in test/integration.
 */
import { describe, expect, it } from 'vitest';
import type { OrderViewRow } from '../../lambdas/domain/orders/index.ts';
import { MemoryBreakerStore } from '../../lambdas/patterns/circuit-breaker/index.ts';
import type { LeaseRecord, LeaseView } from '../../lambdas/patterns/leader-election/index.ts';
import { getOrder, type OrderQueryDeps } from '../../lambdas/use-cases/order-queries.ts';
import { listBreakers, overrideBreaker } from '../../lambdas/use-cases/operations/breakers.ts';
import { injectFaults } from '../../lambdas/use-cases/operations/faults.ts';
import { resign, showLeader, stepDown, type LeaderOpsDeps } from '../../lambdas/use-cases/operations/leader.ts';
import { showQueues } from '../../lambdas/use-cases/operations/queues.ts';
import { showRoutes } from '../../lambdas/use-cases/operations/routes.ts';

/** A clock that moves only when something waits on it. */
function fakeClock(startMs = Date.parse('2026-12-05T10:00:00Z')) {
  let nowMs = startMs;
  return {
    now: () => new Date(nowMs),
    nowMs: () => nowMs,
    sleep: async (ms: number) => {
      nowMs += ms;
    },
  };
}

const row = (version: number) => ({ orderId: 'o-1', customerId: 'c-1', status: 'PLACED', version }) as unknown as OrderViewRow;

describe('getOrder (read-your-writes on the view)', () => {
  const depsWith = (views: (call: number) => OrderViewRow | undefined, clock = fakeClock()) => {
    let calls = 0;
    const deps = {
      ...clock,
      views: { get: async () => views(calls++), byCustomer: async () => ({ items: [] }) },
      minVersionWaitMs: 2_000,
    } as unknown as OrderQueryDeps;
    return { deps, reads: () => calls };
  };

  it('answers the row at once when no version is asked for', async () => {
    const { deps, reads } = depsWith(() => row(1));
    expect(await getOrder(deps, { orderId: 'o-1' })).toMatchObject({ version: 1 });
    expect(reads()).toBe(1);
  });

  it('waits for the projection to reach minVersion, reading again every 50 ms', async () => {
    const { deps, reads } = depsWith((call) => (call < 3 ? row(1) : row(2)));
    expect(await getOrder(deps, { orderId: 'o-1', minVersion: 2 })).toMatchObject({ version: 2 });
    expect(reads()).toBe(4);
  });

  it('gives up after the wait with VIEW_BEHIND, naming both versions', async () => {
    const clock = fakeClock();
    const started = clock.nowMs();
    const { deps } = depsWith(() => row(1), clock);
    await expect(getOrder(deps, { orderId: 'o-1', minVersion: 3 })).rejects.toMatchObject({
      code: 'VIEW_BEHIND',
      context: { viewVersion: 1, minVersion: 3 },
    });
    expect(clock.nowMs() - started).toBe(2_000);
  });

  it('answers ORDER_NOT_FOUND for an order the view has never seen', async () => {
    await expect(getOrder(depsWith(() => undefined).deps, { orderId: 'o-9' })).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });
});

describe('the operators’ use cases', () => {
  const clock = fakeClock();

  it('lists every known breaker, CLOSED before its first call, and overrides one fleet-wide', async () => {
    const deps = { store: new MemoryBreakerStore(), known: ['payment-provider', 'legacy'], now: clock.nowMs };
    expect((await listBreakers(deps)).breakers.map((b) => [b.name, b.state])).toEqual([
      ['legacy', 'CLOSED'],
      ['payment-provider', 'CLOSED'],
    ]);
    expect(await overrideBreaker(deps, { name: 'legacy', state: 'FORCED_OPEN' })).toMatchObject({ name: 'legacy', state: 'FORCED_OPEN' });
    expect((await deps.store.read('legacy')).state).toBe('FORCED_OPEN');
    await expect(overrideBreaker(deps, { name: 'nope', state: 'CLOSED' })).rejects.toMatchObject({ code: 'BREAKER_NOT_FOUND' });
  });

  const lease: LeaseRecord = {
    name: 'coordinator',
    holder: 'a',
    fencingToken: 4,
    expiresAt: clock.nowMs() + 10_000,
    heartbeatAt: clock.nowMs(),
  };
  const leaderDeps = (stage: string, holder: LeaseRecord | undefined): LeaderOpsDeps => ({
    leases: {
      describe: async () => ({ ...lease, recentChanges: [] }) as LeaseView,
      stepDown: async () => holder && { ...holder, steppedDown: holder.holder },
      resign: async () => holder && { ...holder, steppedDown: holder.holder, expiresAt: clock.nowMs() },
    },
    leaseName: 'coordinator',
    stage,
    now: clock.nowMs,
  });

  it('shows the leader LEADING until told to step down, and refuses a step-down in production or with no leader', async () => {
    expect(await showLeader(leaderDeps('dev', lease))).toMatchObject({ holder: 'a', status: 'LEADING', fencingToken: 4 });
    expect(await stepDown(leaderDeps('dev', lease))).toMatchObject({ holder: 'a', status: 'STEPPING_DOWN' });
    await expect(stepDown(leaderDeps('prod', lease))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(stepDown(leaderDeps('dev', undefined))).rejects.toMatchObject({ code: 'NO_LEADER' });
  });

  it('hands leadership over when the leader resigns, in production too, and answers NO_LEADER with no leader', async () => {
    expect(await resign(leaderDeps('prod', lease))).toMatchObject({ holder: 'a', status: 'HANDED_OVER', fencingToken: 4 });
    await expect(resign(leaderDeps('dev', undefined))).rejects.toMatchObject({ code: 'NO_LEADER' });
  });

  it('injects faults only into the stand-ins deployed, and never in production', async () => {
    const written: unknown[] = [];
    const deps = (stage: string) => ({
      stage,
      targets: ['legacy'],
      write: async (target: string, faults: object) => void written.push({ target, ...faults }),
    });
    expect(await injectFaults(deps('dev'), { target: 'legacy', faults: { down: true } })).toEqual({ target: 'legacy', down: true });
    await expect(injectFaults(deps('dev'), { target: 'payment-provider', faults: {} })).rejects.toMatchObject({
      code: 'FAULT_TARGET_NOT_FOUND',
    });
    await expect(injectFaults(deps('prod'), { target: 'legacy', faults: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(written).toEqual([{ target: 'legacy', down: true }]);
  });

  it('shows each route with its served counts, and the table without them when the metrics cannot be read', async () => {
    const routingTable = {
      'GET /catalog/products': { mode: 'legacy', since: '2026-11-26' },
      'GET /orders/{orderId}': { mode: 'shadow', since: '2026-11-26' },
    } as const;
    const counts = new Map([['GET /catalog/products', { legacy: 3, eightfold: 0 }]]);
    const shown = await showRoutes({ routingTable, servedCounts: async () => counts, shadowReport: async () => undefined }, { hours: 24 });
    expect(shown.routes).toEqual([
      expect.objectContaining({
        route: 'GET /catalog/products',
        served: { legacy: 3, eightfold: 0 },
        servedBy: { legacy: 100, eightfold: 0 },
      }),
      expect.objectContaining({
        route: 'GET /orders/{orderId}',
        served: null,
        shadow: expect.objectContaining({ compared: 0 }),
        ignored: [],
      }),
    ]);
    const blind = await showRoutes(
      { routingTable, servedCounts: async () => undefined, shadowReport: async () => undefined },
      { hours: 1 },
    );
    expect(blind.routes.map((r) => r.served)).toEqual([null, null]);
  });

  it('shows each subscriber’s backlog and dead letters; a stream consumer has dead letters only', async () => {
    const depths: Record<string, { waiting: number; inFlight: number }> = {
      q: { waiting: 2, inFlight: 1 },
      dlq: { waiting: 1, inFlight: 1 },
      sdlq: { waiting: 0, inFlight: 0 },
    };
    const queues = [
      { name: 'sales', url: 'q', deadLetterUrl: 'dlq' },
      { name: 'projector', deadLetterUrl: 'sdlq' },
    ];
    expect(await showQueues({ queues, depth: async (url) => depths[url]! })).toEqual({
      subscribers: [
        { name: 'sales', waiting: 2, inFlight: 1, deadLetters: 2 },
        { name: 'projector', waiting: null, inFlight: null, deadLetters: 0 },
      ],
    });
  });
});
