export { ConcurrencyError, EventTooLargeError, isConcurrencyError, isEventTooLargeError } from './errors.ts';
export {
  EventStore,
  MAX_EVENTS_PER_APPEND,
  MAX_ITEM_BYTES,
  type AppendGuard,
  type AppendResult,
  type EventStoreOptions,
  type Loaded,
  type LoadOptions,
  type ReadOptions,
  type ReadResult,
} from './event-store.ts';
export { handleCommand, type CommandResult, type Decider, type HandleCommandOptions } from './command-handler.ts';
export { itemSizeBytes } from './item-size.ts';
export type { EventEnvelope, EventMetadata, NewEvent, Snapshot, Upcasters } from './types.ts';
