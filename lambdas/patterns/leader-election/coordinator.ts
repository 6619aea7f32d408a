import type { Lease, LeaseClient } from './lease.ts';

export type Role = 'leader' | 'follower';

export interface CoordinatorTurn<T> {
  readonly role: Role;
  /** The lease this contender holds after its turn. */
  readonly lease?: Lease;
  /** What the singleton work returned, when this contender led. */
  readonly result?: T;
}

/** What the singleton work is given: the lease, whose token it attaches to every write, and whether it still leads. */
export interface Leadership {
  readonly lease: Lease;
  /** False once the lease is no longer valid by this contender's clock (margin kept): stop starting new writes. */
  readonly stillLeading: () => boolean;
}

/**
 * One contender's turn (one scheduled invocation): renew the lease it holds, or try to take it; if it
 * leads, run the singleton work. Followers do nothing else. Stateless, as a Lambda must be: the table
 * says who holds the lease. No background thread either: the turn is the heartbeat, so the schedule must
 * fire at least every `leases.heartbeatMs`.
 */
export async function coordinatorTurn<T>(
  leases: LeaseClient,
  leaseName: string,
  work: (leadership: Leadership) => Promise<T>,
): Promise<CoordinatorTurn<T>> {
  const lease = await leases.hold(leaseName);
  if (!lease || !leases.isValid(lease)) return { role: 'follower' };
  return { role: 'leader', lease, result: await work({ lease, stillLeading: () => leases.isValid(lease) }) };
}
