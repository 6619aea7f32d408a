import type { LeaseRecord, LeaseTable } from '../../patterns/leader-election/index.ts';
import { NoLeaderError, outsideProductionOnly } from './errors.ts';
import { iso } from './times.ts';

export interface LeaderOpsDeps {
  readonly leases: Pick<LeaseTable, 'describe' | 'stepDown' | 'resign'>;
  readonly leaseName: string;
  readonly stage: string;
  readonly now: () => number;
}

/**
 * The lease as operators see it: LEADING; STEPPING_DOWN (told to, not yet expired); HANDED_OVER (let go,
 * resigned or stepped down, and not yet taken by another); EXPIRED (its holder stopped renewing); VACANT.
 */
function describeLease(lease: LeaseRecord, now: number) {
  const live = lease.holder !== undefined && lease.expiresAt > now;
  const status = !lease.holder
    ? 'VACANT'
    : live
      ? lease.steppedDown
        ? 'STEPPING_DOWN'
        : 'LEADING'
      : lease.steppedDown
        ? 'HANDED_OVER'
        : 'EXPIRED';
  return {
    holder: lease.holder ?? null,
    status,
    fencingToken: lease.fencingToken,
    leaseExpiresAt: lease.holder ? iso(lease.expiresAt) : null,
    heartbeatAt: iso(lease.heartbeatAt),
  };
}

/** The lease now, and its latest changes of holder, newest first. */
export async function showLeader(deps: LeaderOpsDeps) {
  const view = await deps.leases.describe(deps.leaseName);
  const recentChanges = view.recentChanges.map((change) => ({
    ...change,
    acquiredAt: iso(change.acquiredAt),
    steppedDownAt: iso(change.steppedDownAt),
  }));
  return { ...describeLease(view, deps.now()), recentChanges };
}

/**
 * Tells the leader to step down (outside production), a crash's simulation: it stops renewing, and another is
 * elected once the lease runs out.
 */
export async function stepDown(deps: LeaderOpsDeps) {
  outsideProductionOnly(deps.stage, 'Step-down');
  const lease = await deps.leases.stepDown(deps.leaseName, deps.now());
  if (!lease) throw new NoLeaderError(deps.leaseName);
  return describeLease(lease, deps.now());
}

/**
 * Hands leadership over gracefully, in any stage: the holder lets the lease go now and may not take it
 * back for a lease period, so the next contender's turn takes over with a higher token.
 */
export async function resign(deps: LeaderOpsDeps) {
  const lease = await deps.leases.resign(deps.leaseName, deps.now());
  if (!lease) throw new NoLeaderError(deps.leaseName);
  return describeLease(lease, deps.now());
}
