/** The breaker's rules as pure functions of a record, a policy and the time: no I/O, no clock. */
import type { BreakerPolicy, BreakerRecord, Counts, Transition } from './types.ts';

export const emptyRecord = (name: string): BreakerRecord => ({
  name,
  state: 'CLOSED',
  version: 0,
  openings: 0,
  probesClaimed: 0,
  probesSucceeded: 0,
  buckets: {},
});

export const bucketOf = (now: number, policy: BreakerPolicy): number => Math.floor(now / policy.bucketMs);

/** Buckets still inside the window at `now`. */
export function inWindow(bucket: number, now: number, policy: BreakerPolicy): boolean {
  return bucket > bucketOf(now, policy) - Math.ceil(policy.windowMs / policy.bucketMs);
}

/** The window's totals at `now`. */
export function windowCounts(record: BreakerRecord, now: number, policy: BreakerPolicy): Counts {
  const total: Counts = { calls: 0, failures: 0, slow: 0 };
  for (const [bucket, counts] of Object.entries(record.buckets)) {
    if (!inWindow(Number(bucket), now, policy)) continue;
    total.calls += counts.calls;
    total.failures += counts.failures;
    total.slow += counts.slow;
  }
  return total;
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
