import type { LeaseRecord, LeaseTable } from '../../patterns/leader-election/index.ts';
import { NoLeaderError, outsideProductionOnly } from './errors.ts';
import { iso } from './times.ts';

export interface LeaderOpsDeps {
  readonly leases: Pick<LeaseTable, 'describe' | 'stepDown'>;
  readonly leaseName: string;
  readonly stage: string;
  readonly now: () => number;
}

/** The lease as operators see it: LEADING, STEPPING_DOWN (told to, not yet expired), EXPIRED or VACANT. */
function describeLease(lease: LeaseRecord, now: number) {
  const live = lease.holder !== undefined && lease.expiresAt > now;
  return {
    holder: lease.holder ?? null,
    status: !lease.holder ? 'VACANT' : !live ? 'EXPIRED' : lease.steppedDown ? 'STEPPING_DOWN' : 'LEADING',
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

/** Tells the leader to step down (outside production): it stops at its next heartbeat, and another is elected. */
export async function stepDown(deps: LeaderOpsDeps) {
  outsideProductionOnly(deps.stage, 'Step-down');
  const lease = await deps.leases.stepDown(deps.leaseName, deps.now());
  if (!lease) throw new NoLeaderError(deps.leaseName);
  return describeLease(lease, deps.now());
}
