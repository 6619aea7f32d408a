export const BREAKER_STATES = ['CLOSED', 'OPEN', 'HALF_OPEN', 'FORCED_OPEN', 'DISABLED'] as const;
export type BreakerStateName = (typeof BREAKER_STATES)[number];

/** Outcomes counted in one time bucket of the sliding window. */
export interface Counts {
  calls: number;
  failures: number;
  slow: number;
}

/**
 * A breaker as every instance shares it, read from one of its items: the state's own item (shard 0), or one
 * of its window shards, each holding a copy of the state and a part of the window. `version` grows by one on
 * each transition (compare-and-set on shard 0, copied to the shards after).
 */
export interface BreakerRecord {
  readonly name: string;
  /** The item this record was read from: 0 is the state's own item, where every transition is decided. */
  readonly shard: number;
  /** How many items the window is spread over now (1: the state's own item alone). */
  readonly shards: number;
  /** How many items carry a copy of the state: the most shards ever used, so a shard left behind stays current. */
  readonly copies: number;
  readonly state: BreakerStateName;
  /** 0 until the first transition. */
  readonly version: number;
  /** Epoch ms of the last opening. */
  readonly openedAt?: number;
  /** OPEN: when probing may start. */
  readonly nextProbeAt?: number;
  /** HALF_OPEN: when it began; probes not resolved within `probeTimeoutMs` count as failed. */
  readonly halfOpenAt?: number;
  /** Openings since the last recovery: the exponent of the open-time backoff. */
  readonly openings: number;
  readonly probesClaimed: number;
  readonly probesSucceeded: number;
  /** This item's part of the window: buckets by bucket number (epoch ms / bucketMs). */
  readonly buckets: Readonly<Record<number, Counts>>;
  /** Flushes this item took per bucket: whether it has room for bad news at once. */
  readonly flushes: Readonly<Record<number, number>>;
  /**
   * The fleet per bucket as this item sees it: an instance's first flush of a bucket adds the shard count it
   * spreads over (one writer of K shards stands for K instances), so shard 0 estimates the whole fleet.
   */
  readonly writers: Readonly<Record<number, number>>;
  readonly updatedAt?: number;
}

export interface BreakerPolicy {
  /** Length of the sliding window. @default 10_000 */
  readonly windowMs: number;
  /** Width of a window bucket; each instance writes healthy outcomes at most once per bucket. @default 1_000 */
  readonly bucketMs: number;
  /** Calls the window must hold before the rates count. @default 10 */
  readonly minimumCalls: number;
  /** Trip when failures / calls reaches this. @default 0.5 */
  readonly failureRateThreshold: number;
  /** A call slower than this is slow. @default 3_000 */
  readonly slowCallMs: number;
  /** Trip when slow calls / calls reaches this. @default 0.8 */
  readonly slowCallRateThreshold: number;
  /** First open period; it doubles with each failed recovery. @default 5_000 */
  readonly openMs: number;
  /** Cap of the doubling open period. @default 60_000 */
  readonly maxOpenMs: number;
  /** Probes admitted fleet-wide while HALF_OPEN; all must succeed to close. @default 3 */
  readonly halfOpenProbes: number;
  /** A probe not resolved in this time counts as failed (its instance may have died). @default 10_000 */
  readonly probeTimeoutMs: number;
  /** How long an instance trusts its copy of the state. @default 1_000 */
  readonly stateCacheMs: number;
  /**
   * Flushes one item should take per bucket. Past it the window spreads over more items (a quarter of
   * DynamoDB's 1,000 writes a second per item at the default bucket, leaving room for bad news); each item
   * then adds up a sample of the fleet's calls. @default 250
   */
  readonly flushesPerShard: number;
  /** The most items the window spreads over; each transition is copied to every one in use. @default 64 */
  readonly maxShards: number;
}

export const DEFAULT_POLICY: BreakerPolicy = {
  windowMs: 10_000,
  bucketMs: 1_000,
  minimumCalls: 10,
  failureRateThreshold: 0.5,
  slowCallMs: 3_000,
  slowCallRateThreshold: 0.8,
  openMs: 5_000,
  maxOpenMs: 60_000,
  halfOpenProbes: 3,
  probeTimeoutMs: 10_000,
  stateCacheMs: 1_000,
  flushesPerShard: 250,
  maxShards: 64,
};

/** One instance's counts written to one item of the window. */
export interface Flush {
  /** The bucket the counts belong to. */
  readonly bucket: number;
  readonly counts: Counts;
  /** The bucket it is written in (now's): where it counts as one of the item's flushes. */
  readonly arrivedIn: number;
  /** The shard count its instance spreads over, on its first flush arriving in `arrivedIn`; else 0. */
  readonly writers: number;
  /** Buckets that left the window: removed by the same write. */
  readonly drop: readonly number[];
}

/** A change of state, as the breaker announces it (for operators: log, metric, notification). */
export interface StateChange {
  readonly name: string;
  readonly from: BreakerStateName;
  readonly to: BreakerStateName;
  readonly version: number;
  readonly at: number;
  readonly reason: string;
  readonly window?: Counts;
}

/** The next state a transition writes; probe counters restart and the window may be emptied. */
export interface Transition {
  readonly state: BreakerStateName;
  readonly openings: number;
  readonly openedAt?: number;
  readonly nextProbeAt?: number;
  readonly halfOpenAt?: number;
  /** Empty the window (on closing and opening: a new period starts counting afresh). */
  readonly resetWindow: boolean;
  /** Spread the window over this many items from now on (unchanged when absent). */
  readonly shards?: number;
  readonly at: number;
}
