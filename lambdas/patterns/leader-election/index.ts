export { fenceCheck, fencedAppend, isStaleFencingTokenError, StaleFencingTokenError, type Fence } from './fence.ts';
export { Coordinator, type CoordinatorTurn, type Role } from './coordinator.ts';
export { LeaseClient, type Lease, type LeaseClientOptions, type LeaseRecord } from './lease.ts';
