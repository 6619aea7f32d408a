export { isOutOfOrderError, MessageTooLargeError, OutOfOrderError } from './errors.ts';
export {
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  messageBytes,
  planBatches,
  publishInOrder,
  type OutgoingMessage,
  type PublishOutcome,
} from './publisher.ts';
export {
  applyBatchInOrder,
  applyInOrder,
  type BatchEvent,
  type ConsumeResult,
  type Effect,
  type IncomingEvent,
  type Ordering,
  type OrderedConsumerOptions,
} from './ordered-consumer.ts';
