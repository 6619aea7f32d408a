export { fenceCheck, fencedAppend, isStaleFencingTokenError, StaleFencingTokenError, type Fence } from './fence.ts';
export { LeaseClient, type Lease, type LeaseClientOptions, type LeaseRecord } from './lease.ts';
