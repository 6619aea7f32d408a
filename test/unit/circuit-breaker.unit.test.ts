import { handleWhen, retry, wrap } from 'cockatiel';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DistributedCircuitBreaker,
  isBrokenCircuitError,
  MemoryBreakerStore,
  setBreakerState,
  type BreakerPolicy,
  type BreakerStore,
  type StateChange,
} from '../../lambdas/patterns/circuit-breaker/index.ts';

const POLICY: Partial<BreakerPolicy> = {
  minimumCalls: 10,
  failureRateThreshold: 0.5,
  openMs: 5_000,
  maxOpenMs: 40_000,
  halfOpenProbes: 3,
  windowMs: 10_000,
  bucketMs: 1_000,
  slowCallMs: 1_000,
  slowCallRateThreshold: 0.8,
  probeTimeoutMs: 8_000,
};

let now: number;
let store: MemoryBreakerStore;
let changes: StateChange[];
const clock = () => now;
const ok = async () => 'ok';
const boom = async (): Promise<string> => {
  throw new Error('dependency failed');
};
const breaker = (
  options: { store?: BreakerStore; isFailure?: (error: unknown) => boolean; onStoreError?: (error: unknown) => void } = {},
) =>
  new DistributedCircuitBreaker({
    name: 'payments',
    store: options.store ?? store,
    policy: POLICY,
    clock,
    onStateChange: (c) => changes.push(c),
    ...options,
  });

async function outcome(b: DistributedCircuitBreaker, fn: () => Promise<string>): Promise<string> {
  try {
    return await b.execute(fn);
  } catch (error) {
    return isBrokenCircuitError(error) ? `rejected:${error.context.state}:${error.context.retryAfterMs}` : 'failed';
  }
}

async function trip(b: DistributedCircuitBreaker): Promise<void> {
  for (let i = 0; i < 10; i++) await outcome(b, boom);
  expect((await b.state()).state).toBe('OPEN');
}

/** A store that counts the operations it serves, to prove what the hot path costs. */
function countingStore(inner: BreakerStore): BreakerStore & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'calls') return calls;
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as BreakerStore & { calls: Record<string, number> };
}

beforeEach(() => {
  now = 1_700_000_000_000;
  store = new MemoryBreakerStore();
  changes = [];
});

describe('when CLOSED', () => {
  it('does not trip below the minimum number of calls, however many fail', async () => {
    const b = breaker();
    for (let i = 0; i < 9; i++) expect(await outcome(b, boom)).toBe('failed');
    expect((await b.state()).state).toBe('CLOSED');
  });

  it('trips to OPEN once the window holds the minimum calls at the failure-rate threshold, and says why', async () => {
    const b = breaker();
    for (let i = 0; i < 5; i++) await outcome(b, ok);
    for (let i = 0; i < 5; i++) await outcome(b, boom);
    expect((await b.state()).state).toBe('OPEN');
    expect(changes).toEqual([
      expect.objectContaining({
        name: 'payments',
        from: 'CLOSED',
        to: 'OPEN',
        version: 1,
        reason: 'failure rate 5/10',
        window: { calls: 10, failures: 5, slow: 0 },
      }),
    ]);
  });

  it('trips on the slow-call rate', async () => {
    const b = breaker();
    const slow = async () => {
      now += 1_000;
      return 'late';
    };
    for (let i = 0; i < 10; i++) await outcome(b, slow);
    expect((await b.state()).state).toBe('OPEN');
    expect(changes[0]?.reason).toMatch(/^slow-call rate/);
  });

  it('forgets failures that slid out of the window', async () => {
    const b = breaker();
    for (let i = 0; i < 9; i++) await outcome(b, boom);
    now += 11_000;
    for (let i = 0; i < 9; i++) await outcome(b, ok);
    await outcome(b, boom);
    expect((await b.state()).state).toBe('CLOSED');
  });

  it('does not count errors the caller says are not the dependency’s fault', async () => {
    const b = breaker({ isFailure: () => false });
    for (let i = 0; i < 20; i++) await outcome(b, boom);
    expect((await b.state()).state).toBe('CLOSED');
  });

  it('writes healthy outcomes at most once per bucket, and reads the state at most once per cache period', async () => {
    const counting = countingStore(store);
    const b = breaker({ store: counting });
    for (let i = 0; i < 1000; i++) await b.execute(ok);
    expect(counting.calls).toEqual({ read: 1 });
    now += 1_000; // next bucket: the previous one is flushed by the first call, and the flush refreshes the state
    for (let i = 0; i < 1000; i++) await b.execute(ok);
    expect(counting.calls).toEqual({ read: 1, record: 1 });
  });
});

describe('when OPEN', () => {
  it('fails fast without calling the dependency, saying how long until the next probe', async () => {
    const b = breaker();
    await trip(b);
    now += 2_000;
    let called = false;
    expect(await outcome(b, async () => ((called = true), 'ok'))).toBe('rejected:OPEN:3000');
    expect(called).toBe(false);
  });
});

describe('when HALF_OPEN', () => {
  it('admits exactly the configured probes, then closes when all succeed', async () => {
    const b = breaker();
    await trip(b);
    now += 5_000;
    const release: (() => void)[] = [];
    const hanging = () => new Promise<string>((resolve) => release.push(() => resolve('ok')));
    const probes = Array.from({ length: 3 }, () => b.execute(hanging));
    await new Promise((r) => setTimeout(r, 0));
    expect(await outcome(b, ok)).toBe('rejected:HALF_OPEN:1000');
    expect(release).toHaveLength(3);
    release.forEach((r) => r());
    await Promise.all(probes);
    expect((await b.state()).state).toBe('CLOSED');
    expect(changes.map((c) => c.to)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
  });

  it('reopens on a failed probe, for twice as long each time, capped', async () => {
    const b = breaker();
    await trip(b);
    const openFor: number[] = [];
    for (let round = 0; round < 5; round++) {
      const { nextProbeAt, openedAt } = await b.state();
      openFor.push(nextProbeAt! - openedAt!);
      now = nextProbeAt!;
      expect(await outcome(b, boom)).toBe('failed');
    }
    expect(openFor).toEqual([5_000, 10_000, 20_000, 40_000, 40_000]);
  });

  it('counts probes that never report as failed once the probe timeout passes', async () => {
    const b = breaker();
    await trip(b);
    now += 5_000;
    for (let i = 0; i < 3; i++) void b.execute(() => new Promise<string>(() => undefined)); // three probes that hang forever
    await new Promise((r) => setTimeout(r, 0));
    now += 9_000;
    const result = await outcome(b, ok);
    expect(result).toBe('rejected:OPEN:10000');
    expect(changes.at(-1)).toMatchObject({ from: 'HALF_OPEN', to: 'OPEN', reason: 'probes timed out' });
  });
});

describe('operators', () => {
  it('force it open, disable it, and reset it', async () => {
    const b = breaker();
    await setBreakerState(store, 'payments', 'FORCED_OPEN', now);
    now += 1_000;
    expect(await outcome(b, ok)).toMatch(/^rejected:FORCED_OPEN/);
    await setBreakerState(store, 'payments', 'DISABLED', now);
    now += 1_000;
    for (let i = 0; i < 20; i++) expect(await outcome(b, boom)).toBe('failed');
    expect((await b.state()).state).toBe('DISABLED');
    await setBreakerState(store, 'payments', 'CLOSED', now);
    now += 1_000;
    expect(await outcome(b, ok)).toBe('ok');
    expect((await b.state()).version).toBe(3);
  });
});

describe('when the shared store is unreachable', () => {
  const unreachable: BreakerStore = {
    read: () => Promise.reject(new Error('ECONNREFUSED')),
    list: () => Promise.reject(new Error('ECONNREFUSED')),
    record: () => Promise.reject(new Error('ECONNREFUSED')),
    transition: () => Promise.reject(new Error('ECONNREFUSED')),
    repair: () => Promise.reject(new Error('ECONNREFUSED')),
    claimProbe: () => Promise.reject(new Error('ECONNREFUSED')),
    probeSucceeded: () => Promise.reject(new Error('ECONNREFUSED')),
  };

  it('never fails a call for it, and still protects the dependency with its own counts', async () => {
    const storeErrors: unknown[] = [];
    const b = breaker({ store: unreachable, onStoreError: (e) => storeErrors.push(e) });
    expect(await outcome(b, ok)).toBe('ok');
    expect(b.isolated).toBe(true);
    expect(storeErrors.length).toBeGreaterThan(0);
    await trip(b);
    expect(await outcome(b, ok)).toMatch(/^rejected:OPEN/);
  });

  it('goes back to the shared state when the store answers again', async () => {
    let down = true;
    const flaky = new Proxy(store, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function'
          ? (...args: unknown[]) => (down ? Promise.reject(new Error('down')) : (value as (...a: unknown[]) => unknown).apply(target, args))
          : value;
      },
    });
    const b = breaker({ store: flaky });
    await outcome(b, ok);
    expect(b.isolated).toBe(true);
    await setBreakerState(store, 'payments', 'FORCED_OPEN', now); // the fleet's state, set while this instance was cut off
    down = false;
    now += 6_000;
    expect(await outcome(b, ok)).toMatch(/^rejected:FORCED_OPEN/);
    expect(b.isolated).toBe(false);
  });
});

describe('for any sequence of calls, failures, slow calls and pauses (property-based)', () => {
  const ALLOWED = new Set(['CLOSED→OPEN', 'OPEN→HALF_OPEN', 'HALF_OPEN→OPEN', 'HALF_OPEN→CLOSED']);
  const step = fc.record({
    outcome: fc.constantFrom('ok', 'fail', 'slow'),
    pauseMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 2_000, max: 60_000 })),
  });

  it('never runs a refused call, moves only along the state machine’s edges, and closes once the dependency is healthy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 120 }), async (steps) => {
        now = 1_700_000_000_000;
        store = new MemoryBreakerStore();
        changes = [];
        const b = breaker();
        for (const { outcome: kind, pauseMs } of steps) {
          now += pauseMs;
          let ran = false;
          const call = async () => {
            ran = true;
            if (kind === 'slow') now += 1_500;
            if (kind === 'fail') throw new Error('dependency failed');
            return 'ok';
          };
          const result = await outcome(b, call);
          expect(ran).toBe(!result.startsWith('rejected'));
        }
        for (const change of changes) expect(ALLOWED.has(`${change.from}→${change.to}`), `${change.from}→${change.to}`).toBe(true);
        // The dependency is healthy from here on: past the longest open period, probes succeed and it closes.
        now += 40_001;
        for (let i = 0; i < 5 && (await b.state()).state !== 'CLOSED'; i++) await outcome(b, ok);
        expect((await b.state()).state).toBe('CLOSED');
      }),
      { numRuns: 200 },
    );
  });
});

describe('DistributedCircuitBreaker as a cockatiel policy', () => {
  it('composes with wrap(): the retry outside it sees its refusal as final, and each call gets the caller’s signal', async () => {
    const b = breaker();
    const seen: { successes: number; failures: boolean[] } = { successes: 0, failures: [] };
    b.onSuccess(() => seen.successes++);
    b.onFailure((event) => seen.failures.push(event.handled));
    const retries = retry(
      handleWhen((error) => !isBrokenCircuitError(error)),
      { maxAttempts: 1 },
    );
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    expect(await wrap(retries, b).execute(({ signal }) => (signals.push(signal), 'ok'), controller.signal)).toBe('ok');
    expect(signals[0]!.aborted).toBe(false);
    controller.abort();
    expect(signals[0]!.aborted).toBe(true);
    await trip(b);
    let calls = 0;
    await expect(wrap(retries, b).execute(() => (calls++, 'never'))).rejects.toSatisfy(isBrokenCircuitError);
    expect(calls).toBe(0);
    expect(seen.successes).toBe(1);
    expect(seen.failures.at(-1)).toBe(true);
  });

  it('refuses to start a call whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    await expect(breaker().execute(() => (calls++, 'never'), controller.signal)).rejects.toThrow();
    expect(calls).toBe(0);
  });
});

describe('a refresh that flushes counts which trip the breaker while another instance moves it first', () => {
  it('settles: the losing move reads the state anew instead of waiting on the refresh it is part of', async () => {
    // A's counts wait in bucket 0; B's failures, seen by A's flush in bucket 1, trip the breaker for A; as A
    // moves it, an operator forces it open first, so A's compare-and-set loses.
    let competed = false;
    const racing: BreakerStore = Object.assign(Object.create(store) as BreakerStore, {
      transition: async (...args: Parameters<BreakerStore['transition']>) => {
        if (!competed) {
          competed = true;
          await setBreakerState(store, 'payments', 'FORCED_OPEN', now);
        }
        return store.transition(...args);
      },
    });
    const a = breaker({ store: racing });
    const b = breaker();
    for (let i = 0; i < 5; i++) expect(await outcome(a, ok)).toBe('ok');
    for (let i = 0; i < 6; i++) expect(await outcome(b, boom)).toBe('failed');
    now += 1_000; // the next bucket, A's copy stale
    const settled = await Promise.race([outcome(a, ok), new Promise<string>((r) => setTimeout(() => r('hung'), 1_000))]);
    expect(competed).toBe(true);
    expect(settled).toMatch(/^rejected:FORCED_OPEN/);
  });
});

describe('failing fast', () => {
  it('answers every call from memory while OPEN: 10,000 refusals, none waiting on the table, the state refreshed behind them', async () => {
    // The table answers until the breaker has tripped, then never again: a refusal that waited on it would never come.
    let silent = false;
    const requests: string[] = [];
    const never = new Promise<never>(() => undefined);
    const counting = Object.fromEntries(
      (['read', 'list', 'record', 'transition', 'claimProbe', 'probeSucceeded'] as const).map((operation) => [
        operation,
        (...args: unknown[]) => {
          if (!silent) return (store[operation] as (...a: unknown[]) => Promise<unknown>)(...args);
          requests.push(operation);
          return never;
        },
      ]),
    ) as unknown as BreakerStore;
    const b = breaker({ store: counting });
    // A call admitted before the trip succeeds after it: its count waits, unwritten, for its bucket's flush.
    let finish = (_: string) => undefined as unknown;
    const late = outcome(b, () => new Promise<string>((resolve) => (finish = resolve)));
    await trip(b);
    finish('ok');
    expect(await late).toBe('ok');
    silent = true;
    const nextMacrotask = () => new Promise<string>((resolve) => setImmediate(() => resolve('waited on the table')));
    for (let i = 0; i < 10_000; i++) {
      now += 0.4; // 4 s of calls: four cache periods, all within the 5 s open period
      expect(await Promise.race([outcome(b, ok), nextMacrotask()])).toMatch(/^rejected:OPEN:/);
      if (i % 1_000 === 999) await nextMacrotask(); // time for what was started behind the calls
    }
    // A fresh copy (or the due counts' write, which returns one) was asked for behind the calls, once: no
    // answer came, so no second was started.
    expect(requests).toHaveLength(1);
  });
});

describe('a fleet that outgrows one item', () => {
  // A small share per item, so a fleet of 48 needs the window spread as one of thousands would on DynamoDB.
  const SPREAD: Partial<BreakerPolicy> = { ...POLICY, flushesPerShard: 8, maxShards: 16, stateCacheMs: 1_000 };
  let load: Map<string, number>;
  const counted = () => new MemoryBreakerStore([], (item, kind) => kind === 'write' && load.set(item, (load.get(item) ?? 0) + 1));
  const fleetOf = (size: number, shared: BreakerStore) =>
    Array.from(
      { length: size },
      (_, slot) =>
        new DistributedCircuitBreaker({
          name: 'payments',
          store: shared,
          policy: SPREAD,
          clock,
          slot,
          onStateChange: (c) => changes.push(c),
        }),
    );
  /** Every instance calls once every 100 ms for `ms`; the most writes one item took in a second. */
  async function drive(
    fleet: DistributedCircuitBreaker[],
    fn: () => Promise<string>,
    ms: number,
  ): Promise<{ outcomes: string[]; at: number[]; hottest: number }> {
    const outcomes: string[] = [];
    const at: number[] = [];
    let hottest = 0;
    for (let elapsed = 0; elapsed < ms; elapsed += 100) {
      if (elapsed % 1_000 === 0) load = new Map();
      const round = await Promise.all(fleet.map((b) => outcome(b, fn)));
      outcomes.push(...round);
      at.push(...round.map(() => now));
      hottest = Math.max(hottest, ...load.values());
      now += 100;
      await new Promise((resolve) => setImmediate(resolve)); // the 100 ms let what each started behind its call run
    }
    return { outcomes, at, hottest };
  }
  const spreadingTo = (shards: number) => ({ state: 'CLOSED' as const, openings: 0, resetWindow: true, shards, at: now });
  beforeEach(() => (load = new Map()));

  it('spreads its window so no item takes much more than its share of flushes, and still trips and recovers as one', async () => {
    const shared = counted();
    const fleet = fleetOf(48, shared);
    const healthy = await drive(fleet, ok, 5_000);
    expect(healthy.outcomes.every((o) => o === 'ok')).toBe(true);
    expect((await shared.read('payments')).shards).toBe(8); // 48 writers ÷ 8 a bucket, to the next power of two
    expect((await drive(fleet, ok, 3_000)).hottest).toBeLessThanOrEqual(2 * 8 + 2); // a flush a bucket each, a copy per move
    expect(changes).toEqual([]); // spreading is no change of state

    const dead = await drive(fleet, boom, 8_000);
    expect((await shared.read('payments')).state).not.toBe('CLOSED');
    // Tripped once, fleet-wide: past the cache time after it, only probes reach the dead dependency.
    expect(changes.filter((c) => c.from === 'CLOSED')).toHaveLength(1);
    const trippedAt = changes[0]!.at;
    const reachedAfter = dead.outcomes.filter((o, i) => o === 'failed' && dead.at[i]! >= trippedAt + SPREAD.stateCacheMs!);
    expect(reachedAfter.length).toBeLessThanOrEqual(SPREAD.halfOpenProbes! * changes.filter((c) => c.to === 'HALF_OPEN').length);
    expect(
      dead.outcomes.filter((o, i) => o.startsWith('rejected') && dead.at[i]! >= trippedAt + SPREAD.stateCacheMs!).length,
    ).toBeGreaterThan(0);
    // Bad news goes at once only while an item has room: failing together, the fleet still keeps to a few flushes each a second.
    expect(dead.hottest).toBeLessThanOrEqual(4 * 8);

    const recovered = await drive(fleet, ok, 20_000);
    expect((await shared.read('payments')).state).toBe('CLOSED');
    // Once shard 0's probes close it, every instance learns it from its own copy within the cache time.
    const closedAt = changes.find((c) => c.to === 'CLOSED')!.at;
    const refusedAfter = recovered.outcomes.filter((o, i) => o !== 'ok' && recovered.at[i]! >= closedAt + SPREAD.stateCacheMs!);
    expect(refusedAfter).toEqual([]);
    expect(recovered.outcomes.filter((o, i) => o !== 'ok' && recovered.at[i]! > closedAt).length).toBeGreaterThan(0);
  });

  it('gathers the window back onto one item when the fleet shrinks', async () => {
    const shared = counted();
    const fleet = fleetOf(48, shared);
    await drive(fleet, ok, 5_000);
    expect((await shared.read('payments')).shards).toBe(8);
    await drive(fleet.slice(0, 4), ok, 5_000);
    expect((await shared.read('payments')).shards).toBe(1);
  });

  it('sets right a copy a lost write left behind: its reader finds shard 0 moved on when it acts, and repairs it', async () => {
    let losing = false;
    const shared = new MemoryBreakerStore([], (item) => {
      if (losing && item === 'payments#1') throw new Error('throttled');
    });
    await setBreakerState(shared, 'payments', 'CLOSED', now);
    const [onShard0, onShard1] = fleetOf(2, shared);
    const open = await shared.transition(await shared.read('payments'), {
      ...spreadingTo(2),
      state: 'OPEN',
      openedAt: now,
      nextProbeAt: now + 5_000,
    });
    expect(await outcome(onShard1!, ok)).toMatch(/^rejected:OPEN/); // it learns of two shards from shard 0
    losing = true;
    await setBreakerState(shared, 'payments', 'CLOSED', now); // an operator's reset whose copy to shard 1 is lost
    losing = false;
    expect(await shared.read('payments', 1)).toMatchObject({ state: 'OPEN', version: open!.version });
    expect(await outcome(onShard0!, ok)).toBe('ok');
    // Shard 1's reader trusts its copy until the probe it waits for is overdue, then acts, loses to shard 0 and learns.
    now += 5_000 + POLICY.probeTimeoutMs! - 1;
    expect(await outcome(onShard1!, ok)).toMatch(/^rejected:OPEN/);
    now += 1;
    expect(await outcome(onShard1!, ok)).toBe('ok');
    await Promise.resolve();
    expect(await shared.read('payments', 1)).toMatchObject({ state: 'CLOSED', version: open!.version + 1 });
  });
});
