export { DistributedCircuitBreaker, setBreakerState, type CircuitBreakerOptions } from './breaker.ts';
export { BreakerContendedError, BrokenCircuitError, isBrokenCircuitError } from './errors.ts';
export { bucketOf, openPeriodMs, tripReason, windowCounts } from './state-machine.ts';
export { MemoryBreakerStore, type ItemRequest } from './memory-store.ts';
export { DynamoDbBreakerStore, fromItem, type BreakerStore } from './store.ts';
export {
  BREAKER_STATES,
  DEFAULT_POLICY,
  type BreakerPolicy,
  type BreakerRecord,
  type BreakerStateName,
  type Counts,
  type StateChange,
} from './types.ts';
