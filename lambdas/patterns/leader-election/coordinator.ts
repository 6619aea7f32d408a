import type { Lease, LeaseClient } from './lease.ts';

export type Role = 'leader' | 'follower';

export interface CoordinatorTurn<T> {
  readonly role: Role;
  /** The lease this contender holds after its turn. */
  readonly lease?: Lease;
  /** What the singleton work returned, when this contender led. */
  readonly result?: T;
}

/**
 * One contender's turn (one scheduled invocation): renew the lease it holds, or try to take it; if it
 * leads, run the singleton work with the lease, whose fencing token the work must attach to every write.
 * Followers do nothing else. No background thread: the turn is the heartbeat, so the schedule must fire at
 * least every `leases.heartbeatMs`.
 */
export class Coordinator {
  private lease?: Lease;
  private readonly leases: LeaseClient;
  private readonly leaseName: string;

  constructor(leases: LeaseClient, leaseName: string) {
    this.leases = leases;
    this.leaseName = leaseName;
  }

  async turn<T>(work: (lease: Lease) => Promise<T>): Promise<CoordinatorTurn<T>> {
    this.lease = this.lease ? await this.leases.renew(this.lease) : undefined;
    this.lease ??= await this.leases.tryAcquire(this.leaseName);
    if (!this.lease || !this.leases.isValid(this.lease)) return { role: 'follower' };
    return { role: 'leader', lease: this.lease, result: await work(this.lease) };
  }

  /** Stops renewing, as if this contender crashed: another takes over after the lease expires. */
  abandon(): void {
    this.lease = undefined;
  }
}
