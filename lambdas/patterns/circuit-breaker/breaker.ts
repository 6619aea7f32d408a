import { EventEmitter, type IDefaultPolicyContext, type IFailureEvent, type IPolicy, type ISuccessEvent } from 'cockatiel';
import { BreakerContendedError, BrokenCircuitError, isBrokenCircuitError } from './errors.ts';
import {
  bucketOf,
  closing,
  expiredBuckets,
  halfOpening,
  opening,
  probesTimedOut,
  refusal,
  shardsNeeded,
  spreading,
  tippedOver,
  tripReason,
  windowCounts,
} from './state-machine.ts';
import { MemoryBreakerStore } from './memory-store.ts';
import { withStateOf, type BreakerStore } from './store.ts';
import {
  DEFAULT_POLICY,
  type BreakerPolicy,
  type BreakerRecord,
  type BreakerStateName,
  type Counts,
  type StateChange,
  type Transition,
} from './types.ts';

export interface CircuitBreakerOptions {
  /** The dependency this breaker guards; one record per name, shared by every instance. */
  readonly name: string;
  readonly store: BreakerStore;
  /** @default DEFAULT_POLICY */
  readonly policy?: Partial<BreakerPolicy>;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** Whether an error counts against the dependency (a 4xx the caller caused does not). @default every error */
  readonly isFailure?: (error: unknown) => boolean;
  /** Every transition this instance made: for the operators' log line, metric and notification. */
  readonly onStateChange?: (change: StateChange) => void;
  /** The shared store failed; the breaker carries on alone until it answers again. */
  readonly onStoreError?: (error: unknown) => void;
  /** Which window shard this instance writes once the window is spread: this modulo the shards in use. @default random */
  readonly slot?: number;
}

/** How long an instance works alone after its shared store failed before it asks the store again. */
const STORE_RETRY_MS = 5_000;
/** Suggested wait when every HALF_OPEN probe is taken (they normally resolve within a call's time). */
const PROBES_TAKEN_RETRY_MS = 1_000;

/**
 * A circuit breaker whose state every instance of every function shares through a BreakerStore, so a fleet
 * trips together instead of each instance learning alone. Cheap on the hot path:
 * - each instance trusts its copy of the state for `stateCacheMs`; an open breaker fails fast from it;
 * - a healthy call writes nothing synchronously: outcomes are added up and flushed at most once per bucket
 *   (that write also returns the state, keeping the copy fresh); a failed or slow call is flushed at once
 *   while the item has room;
 * - HALF_OPEN probes are claimed with conditional writes, so the fleet sends at most `halfOpenProbes`;
 * - once one item would take more than `flushesPerShard` flushes a bucket, the window spreads over more items,
 *   each with a copy of the state: each instance writes and reads its own (see `shardHere`), and only the
 *   instances of shard 0 probe and move the state out of OPEN and HALF_OPEN, so no item's load grows with the
 *   fleet beyond its share.
 * If the store is unreachable, the instance carries on with an in-memory breaker seeded with the last state
 * it saw (it still trips on its own failures), and retries the store every few seconds: the breaker never
 * fails a call because its own table is down.
 */
export class DistributedCircuitBreaker implements IPolicy {
  declare readonly _altReturn: never;
  readonly name: string;
  readonly policy: BreakerPolicy;
  private readonly store: BreakerStore;
  private readonly clock: () => number;
  private readonly options: CircuitBreakerOptions;
  private cached?: { record: BreakerRecord; readAt: number };
  private refreshing?: Promise<BreakerRecord>;
  private refreshScheduled = false;
  private pending?: { bucket: number; counts: Counts };
  private fallback?: { store: MemoryBreakerStore; until: number };
  private readonly slot: number;
  /** Since when this instance has seen its shard's window tripped without being the write that tipped it over. */
  private trippedSince?: number;
  /** The bucket this instance last flushed in: it stands for its share of the fleet once a bucket. */
  private flushedBucket?: number;
  private readonly successes = new EventEmitter<ISuccessEvent>();
  private readonly failures = new EventEmitter<IFailureEvent>();
  /** A call the breaker let through succeeded (cockatiel's policy event). */
  readonly onSuccess = this.successes.addListener;
  /** A call failed, or the breaker refused it (`handled`: a refusal or a failure counted against the dependency). */
  readonly onFailure = this.failures.addListener;

  constructor(options: CircuitBreakerOptions) {
    this.name = options.name;
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
    this.options = options;
    this.slot = options.slot ?? Math.floor(Math.random() * 2 ** 30);
  }

  /**
   * Runs `fn` if the breaker admits it, else throws BrokenCircuitError without calling it. A cockatiel policy:
   * it composes with `wrap(retry, breaker, timeout)`, and `fn` gets the caller's signal.
   */
  async execute<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<T> {
    signal.throwIfAborted();
    const started = performance.now();
    try {
      const result = await this.admit(await this.currentRecord(), async () => fn({ signal }), 0);
      this.successes.emit({ duration: performance.now() - started });
      return result;
    } catch (error) {
      const handled = isBrokenCircuitError(error) || (this.options.isFailure?.(error) ?? true);
      this.failures.emit({ duration: performance.now() - started, handled, reason: { error: error as Error } });
      throw error;
    }
  }

  /**
   * Throws BrokenCircuitError if a call now would be refused without trying (OPEN and not yet due for a
   * probe, FORCED_OPEN, or every probe out): lets a caller skip its own work before the call.
   */
  async failFastIfOpen(): Promise<void> {
    const record = await this.currentRecord();
    const refused = this.refusedHere(record, this.clock());
    if (refused) throw new BrokenCircuitError(this.name, record.state, refused.retryAfterMs);
  }

  /** This instance's view of the breaker (at most `stateCacheMs` old). */
  async state(): Promise<BreakerRecord> {
    return this.currentRecord();
  }

  /** Whether this instance is working without its shared store. */
  get isolated(): boolean {
    return this.fallback !== undefined;
  }

  /** The item this instance writes its counts to and reads its state from (0 while it works alone). */
  get shardHere(): number {
    return this.isolated ? 0 : this.slot % (this.cached?.record.shards ?? 1);
  }

  /**
   * Whether this instance refuses a call now: the state machine's refusal, and, on a window shard, the moves
   * out of OPEN and HALF_OPEN, which are left to shard 0's instances (the rest would only pile compare-and-sets
   * onto one item) unless those have let a probe timeout pass. The outcome reaches the shard in its copy.
   */
  private refusedHere(record: BreakerRecord, now: number): { retryAfterMs: number } | undefined {
    const refused = refusal(record, now, this.policy, PROBES_TAKEN_RETRY_MS);
    if (refused || this.shardHere === 0) return refused;
    const overdue =
      record.state === 'OPEN' ? now >= (record.nextProbeAt ?? 0) + this.policy.probeTimeoutMs : probesTimedOut(record, now, this.policy);
    if ((record.state === 'OPEN' || record.state === 'HALF_OPEN') && !overdue) return { retryAfterMs: PROBES_TAKEN_RETRY_MS };
    return undefined;
  }

  private async admit<T>(record: BreakerRecord, fn: () => Promise<T>, hops: number): Promise<T> {
    const now = this.clock();
    // A state can change under us at most a few times per call (OPEN → HALF_OPEN → OPEN); then fail fast.
    if (hops > 3) throw new BrokenCircuitError(this.name, record.state, PROBES_TAKEN_RETRY_MS);
    const refused = this.refusedHere(record, now);
    if (refused) throw new BrokenCircuitError(this.name, record.state, refused.retryAfterMs);
    switch (record.state) {
      case 'DISABLED':
        return fn();
      case 'FORCED_OPEN': // refused above
        throw new BrokenCircuitError(this.name, 'FORCED_OPEN', this.policy.openMs);
      case 'OPEN': // due for a probe
        return this.admit(await this.move(record, halfOpening(record, now), 'open period over'), fn, hops + 1);
      case 'HALF_OPEN':
        if (probesTimedOut(record, now, this.policy)) {
          return this.admit(await this.move(record, opening(record, now, this.policy, true), 'probes timed out'), fn, hops + 1);
        }
        return this.probe(record, fn);
      case 'CLOSED':
        return this.closedCall(fn);
    }
  }

  private async closedCall<T>(fn: () => Promise<T>): Promise<T> {
    const started = this.clock();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await this.count(started, this.options.isFailure?.(error) ?? true);
      throw error;
    }
    await this.count(started, false);
    return result;
  }

  private async probe<T>(record: BreakerRecord, fn: () => Promise<T>): Promise<T> {
    const claimed = await this.withStore((store) => store.claimProbe(this.name, record.version, this.policy.halfOpenProbes));
    if (!claimed) {
      if (this.cached?.record.version === record.version) {
        this.cached = { ...this.cached, record: { ...record, probesClaimed: this.policy.halfOpenProbes } };
      }
      throw new BrokenCircuitError(this.name, 'HALF_OPEN', PROBES_TAKEN_RETRY_MS);
    }
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      if (this.options.isFailure?.(error) ?? true)
        await this.move(record, opening(record, this.clock(), this.policy, true), 'probe failed');
      throw error;
    }
    const after = await this.withStore((store) => store.probeSucceeded(this.name, record.version));
    if (after && after.probesSucceeded >= this.policy.halfOpenProbes) {
      await this.move(after, closing(this.clock()), `${after.probesSucceeded} probes succeeded`);
    }
    return result;
  }

  /**
   * Counts an outcome: healthy ones are flushed once per bucket, bad news at once, unless the item has taken
   * its share of flushes this bucket (a fleet failing together would pile one write per failed call onto
   * it): then bad news waits for the next bucket's flush.
   */
  private async count(started: number, failed: boolean): Promise<void> {
    const now = this.clock();
    const slow = now - started >= this.policy.slowCallMs;
    const bucket = bucketOf(now, this.policy);
    if (this.pending && this.pending.bucket !== bucket) await this.flush();
    const pending = (this.pending ??= { bucket, counts: { calls: 0, failures: 0, slow: 0 } });
    pending.counts.calls++;
    if (failed) pending.counts.failures++;
    if (slow) pending.counts.slow++;
    if (!failed && !slow) return;
    const seen = this.cached?.record;
    if (!seen || (seen.flushes[bucket] ?? 0) < this.policy.flushesPerShard) await this.flush();
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const now = this.clock();
    const drop = this.cached ? expiredBuckets(this.cached.record, now, this.policy) : [];
    const shard = this.shardHere;
    const arrivedIn = bucketOf(now, this.policy);
    const writers = arrivedIn === this.flushedBucket ? 0 : this.isolated ? 1 : (this.cached?.record.shards ?? 1);
    this.flushedBucket = arrivedIn;
    const record = this.remember(await this.withStore((store) => store.record(this.name, shard, { ...pending, arrivedIn, writers, drop })));
    if (record.state !== 'CLOSED') return;
    const window = windowCounts(record, now, this.policy);
    const reason = tripReason(window, this.policy);
    if (reason) {
      // On one item (a fleet of at most `flushesPerShard` writers), whoever sees the window tripped moves the
      // breaker. On a spread window, the write that tipped a shard over does; the rest of the fleet, seeing the
      // same windows, leaves the move to those few (thousands of compare-and-sets on shard 0 otherwise). A
      // window that trips as time slides has no such write: then each instance waits a share of a bucket of its
      // own (by its slot) before it moves, and the first one's copies reach the rest before they do.
      this.trippedSince ??= now;
      const wait = ((this.slot % 1_000) / 1_000) * this.policy.bucketMs;
      if (record.shards === 1 || tippedOver(record, pending.counts, now, this.policy) || now - this.trippedSince >= wait) {
        this.trippedSince = undefined;
        await this.move(record, opening(record, now, this.policy, false), reason, window);
      }
      return;
    }
    this.trippedSince = undefined;
    // The first flush of a bucket on the state's own item decides how many items the window needs.
    if (record.shard !== 0 || writers === 0 || record.writers[arrivedIn] !== writers) return;
    const shards = shardsNeeded(record, arrivedIn, this.policy);
    if (shards !== undefined) await this.move(record, spreading(record, shards, now), `window spread over ${shards} items`);
  }

  /** Compare-and-set to the next state; if another instance moved first, its state is read instead. */
  private async move(from: BreakerRecord, to: Transition, reason: string, window?: Counts): Promise<BreakerRecord> {
    const moved = await this.withStore((store) => store.transition(from, to));
    if (!moved) {
      // Read shard 0, where the move was decided, directly, not through refresh(): a move can happen inside a
      // refresh (its flush), which must not wait on itself. A copy that was behind is set right.
      const current = await this.withStore((store) => store.read(this.name));
      if (from.shard !== 0 && from.version < current.version) this.repair(current, from.shard);
      return this.remember(current);
    }
    this.remember(moved);
    if (from.state !== to.state)
      this.options.onStateChange?.({ name: this.name, from: from.state, to: to.state, version: moved.version, at: to.at, reason, window });
    return moved;
  }

  private async currentRecord(): Promise<BreakerRecord> {
    const cached = this.cached;
    const now = this.clock();
    // A copy that refuses the call (OPEN and not yet due for a probe, or every probe out) answers from
    // memory, always: the fail-fast path never waits on the table. Once the copy is half-way to stale, a
    // fresh one is fetched behind the call (stale-while-revalidate), so the fleet's closing is seen within
    // the cache time. A forced state is read anew when stale, so an operator's reset is seen at once.
    if (cached && cached.record.state !== 'FORCED_OPEN' && this.refusedHere(cached.record, now)) {
      if (now - cached.readAt >= this.policy.stateCacheMs / 2) this.refreshSoon();
      return cached.record;
    }
    if (cached && now - cached.readAt < this.policy.stateCacheMs) return cached.record;
    return this.refresh();
  }

  /**
   * Starts a refresh in a macrotask of its own: begun inside the call, the SDK's request building and signing
   * would run among the call's own promise steps and hold its refusal back (measured: fail-fast p99 over 1 ms).
   */
  private refreshSoon(): void {
    if (this.refreshing || this.refreshScheduled) return;
    this.refreshScheduled = true;
    setImmediate(() => {
      this.refreshScheduled = false;
      void this.refresh().catch(() => undefined);
    });
  }

  /**
   * Reads the state anew (one read at a time per instance). Counts of a past bucket are due anyway, and
   * their write returns the state: one request, not two.
   */
  private refresh(): Promise<BreakerRecord> {
    this.refreshing ??= (async () => {
      const now = this.clock();
      if (this.pending && this.pending.bucket !== bucketOf(now, this.policy)) {
        await this.flush();
        if (this.cached && this.cached.readAt === now) return this.cached.record;
      }
      const shard = this.shardHere;
      return this.remember(await this.withStore((store) => store.read(this.name, shard)));
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * Keeps the newest state seen. Shard 0 is the state; a copy read behind what this instance already knows
   * (not yet written, or left behind by a failed write) keeps its window but takes the newer state, and is set right.
   */
  private remember(record: BreakerRecord): BreakerRecord {
    const known = this.cached?.record;
    if (known && record.shard !== 0 && record.version < known.version && !this.isolated) {
      this.repair(known, record.shard);
      record = withStateOf(record, known);
    }
    this.cached = { record, readAt: this.clock() };
    return record;
  }

  /** Writes a newer state into a copy that is behind, off the call's path. */
  private repair(state: BreakerRecord, shard: number): void {
    void this.withStore((store) => store.repair(state, shard)).catch(() => undefined);
  }

  /** Runs a store operation on the shared store, or, while it is unreachable, on this instance's own copy. */
  private async withStore<T>(operation: (store: BreakerStore) => Promise<T>): Promise<T> {
    const now = this.clock();
    if (this.fallback && now < this.fallback.until) return operation(this.fallback.store);
    try {
      const result = await operation(this.store);
      if (this.fallback) {
        // Back on the shared store: what this instance decided alone (and its versions) gives way to it.
        this.fallback = undefined;
        this.cached = undefined;
      }
      return result;
    } catch (error) {
      this.options.onStoreError?.(error);
      const store = this.fallback?.store ?? new MemoryBreakerStore(this.cached ? [this.cached.record] : []);
      this.fallback = { store, until: now + STORE_RETRY_MS };
      return operation(store);
    }
  }
}

/** Operators' override (`PUT /ops/breakers/{name}`): FORCED_OPEN, DISABLED, or CLOSED (a reset). */
export async function setBreakerState(
  store: BreakerStore,
  name: string,
  state: Extract<BreakerStateName, 'FORCED_OPEN' | 'DISABLED' | 'CLOSED'>,
  now: number,
): Promise<BreakerRecord> {
  const attempts = 10;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const current = await store.read(name);
    const moved = await store.transition(current, { state, openings: 0, resetWindow: true, at: now });
    if (moved) return moved;
  }
  throw new BreakerContendedError(name, attempts);
}
