export { isStaleFencingTokenError, StaleFencingTokenError } from './errors.ts';
export { fenceCheck, fencedAppend, type Fence } from './fence.ts';
export { coordinatorTurn, type CoordinatorTurn, type Leadership, type Role } from './coordinator.ts';
export { LeaseClient, type Lease, type LeaseClientOptions } from './lease.ts';
export type { LeaseRecord } from './lease-record.ts';
export { LeaseTable, type LeadershipChange, type LeaseView } from './lease-table.ts';
export { leaseCheckpoint, type Checkpoint } from './checkpoint.ts';
