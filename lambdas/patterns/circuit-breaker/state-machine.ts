/** The breaker's rules as pure functions of a record, a policy and the time: no I/O, no clock. */
import type { BreakerPolicy, BreakerRecord, Counts, Transition } from './types.ts';

export const emptyRecord = (name: string, shard = 0): BreakerRecord => ({
  name,
  shard,
  shards: 1,
  copies: 1,
  state: 'CLOSED',
  version: 0,
  openings: 0,
  probesClaimed: 0,
  probesSucceeded: 0,
  buckets: {},
  flushes: {},
  writers: {},
});

export const bucketOf = (now: number, policy: BreakerPolicy): number => Math.floor(now / policy.bucketMs);

/** Buckets still inside the window at `now`. */
export function inWindow(bucket: number, now: number, policy: BreakerPolicy): boolean {
  return bucket > bucketOf(now, policy) - Math.ceil(policy.windowMs / policy.bucketMs);
}

export const noCounts = (): Counts => ({ calls: 0, failures: 0, slow: 0 });

/** Two counts added up. */
export const addCounts = (a: Counts, b: Counts): Counts => ({
  calls: a.calls + b.calls,
  failures: a.failures + b.failures,
  slow: a.slow + b.slow,
});

/** The window's totals at `now`. */
export function windowCounts(record: BreakerRecord, now: number, policy: BreakerPolicy): Counts {
  return Object.entries(record.buckets)
    .filter(([bucket]) => inWindow(Number(bucket), now, policy))
    .reduce((total, [, counts]) => addCounts(total, counts), noCounts());
}

/** Whether adding `delta` is what made the window trip: the one write that tips it over moves the breaker. */
export function tippedOver(record: BreakerRecord, delta: Counts, now: number, policy: BreakerPolicy): boolean {
  const after = windowCounts(record, now, policy);
  const before = { calls: after.calls - delta.calls, failures: after.failures - delta.failures, slow: after.slow - delta.slow };
  return tripReason(after, policy) !== undefined && tripReason(before, policy) === undefined;
}

/**
 * How many items the window should spread over, judged from the state's own item at the first flush of a
 * bucket from the fleet its writers stood for in the buckets before. Grows as soon as an item would take
 * more than `flushesPerShard`; shrinks only once two whole buckets show a fleet that fits in a quarter of the
 * shards (so it neither flaps nor mistakes the part-bucket after a reset of the window for a fleet gone);
 * powers of two, so an instance's shard (its slot modulo the count) nests. Undefined: no change.
 */
export function shardsNeeded(record: BreakerRecord, bucket: number, policy: BreakerPolicy): number | undefined {
  const fleets = [record.writers[bucket - 1], record.writers[bucket - 2]];
  if (fleets[0] === undefined) return undefined;
  const needed = (fleet: number) => Math.min(policy.maxShards, 2 ** Math.ceil(Math.log2(Math.max(1, fleet / policy.flushesPerShard))));
  if (needed(fleets[0]) > record.shards) return needed(fleets[0]);
  const shrinkable = (fleet: number | undefined) => fleet !== undefined && fleet <= (record.shards * policy.flushesPerShard) / 4;
  if (record.shards > 1 && fleets.every(shrinkable)) return needed(Math.max(fleets[0], fleets[1]!));
  return undefined;
}

/** Buckets that fell out of the window: removed with the next write. */
export const expiredBuckets = (record: BreakerRecord, now: number, policy: BreakerPolicy): number[] =>
  Object.keys(record.buckets)
    .map(Number)
    .filter((bucket) => !inWindow(bucket, now, policy));

/** Why the window trips the breaker, or undefined. */
export function tripReason(counts: Counts, policy: BreakerPolicy): string | undefined {
  if (counts.calls < policy.minimumCalls) return undefined;
  if (counts.failures / counts.calls >= policy.failureRateThreshold) return `failure rate ${counts.failures}/${counts.calls}`;
  if (counts.slow / counts.calls >= policy.slowCallRateThreshold) return `slow-call rate ${counts.slow}/${counts.calls}`;
  return undefined;
}

/** Open period after `openings` failed recoveries: doubling, capped. */
export const openPeriodMs = (openings: number, policy: BreakerPolicy): number => Math.min(policy.maxOpenMs, policy.openMs * 2 ** openings);

export function opening(record: BreakerRecord, now: number, policy: BreakerPolicy, failedRecovery: boolean): Transition {
  const openings = failedRecovery ? record.openings + 1 : 0;
  return { state: 'OPEN', openings, openedAt: now, nextProbeAt: now + openPeriodMs(openings, policy), resetWindow: true, at: now };
}

export const halfOpening = (record: BreakerRecord, now: number): Transition => ({
  state: 'HALF_OPEN',
  openings: record.openings,
  openedAt: record.openedAt,
  halfOpenAt: now,
  resetWindow: false,
  at: now,
});

/** The same state, its window spread over `shards` items from now on (what was counted stays where it is). */
export const spreading = (record: BreakerRecord, shards: number, now: number): Transition => ({
  state: record.state,
  openings: record.openings,
  openedAt: record.openedAt,
  nextProbeAt: record.nextProbeAt,
  halfOpenAt: record.halfOpenAt,
  resetWindow: false,
  shards,
  at: now,
});

export const closing = (now: number): Transition => ({ state: 'CLOSED', openings: 0, resetWindow: true, at: now });

/** HALF_OPEN too long: a claimed probe never reported (its instance died, or it hung). */
export const probesTimedOut = (record: BreakerRecord, now: number, policy: BreakerPolicy): boolean =>
  record.state === 'HALF_OPEN' && now - (record.halfOpenAt ?? 0) > policy.probeTimeoutMs;

/**
 * Whether a call now would be refused without trying, and for how long: OPEN and not yet due for a probe,
 * FORCED_OPEN, or HALF_OPEN with every probe out (and not yet timed out).
 */
export function refusal(
  record: BreakerRecord,
  now: number,
  policy: BreakerPolicy,
  probesTakenRetryMs: number,
): { retryAfterMs: number } | undefined {
  if (record.state === 'FORCED_OPEN') return { retryAfterMs: policy.openMs };
  if (record.state === 'OPEN' && now < (record.nextProbeAt ?? 0)) return { retryAfterMs: (record.nextProbeAt ?? 0) - now };
  if (record.state === 'HALF_OPEN' && record.probesClaimed >= policy.halfOpenProbes && !probesTimedOut(record, now, policy))
    return { retryAfterMs: probesTakenRetryMs };
  return undefined;
}
