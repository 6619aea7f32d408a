import { hasBrand } from '../../kernel/brand.ts';

/** Base of every event store error; `cause` passes through. */
export class EventStoreError extends Error {
  override name = 'EventStoreError';
  /** Brand that survives bundling twice (instanceof does not). */
  readonly isEventStoreError = true;
}

/** Thrown by `append` when the stream is not at the expected version: someone else appended first. */
export class ConcurrencyError extends EventStoreError {
  override name = 'ConcurrencyError';
  readonly isConcurrencyError = true;
  readonly streamId: string;
  readonly expectedVersion: number;
  /** The stream's version when the conflict was detected. */
  readonly currentVersion: number;

  constructor(streamId: string, expectedVersion: number, currentVersion: number, options?: ErrorOptions) {
    super(`Stream ${streamId} is at version ${currentVersion}, not the expected ${expectedVersion}`, options);
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
    this.currentVersion = currentVersion;
  }
}

/** Thrown by `append`, before anything is written, when an event would not fit in one DynamoDB item (400 KB). */
export class EventTooLargeError extends EventStoreError {
  override name = 'EventTooLargeError';
  readonly isEventTooLargeError = true;
  readonly streamId: string;
  readonly type: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;

  constructor(streamId: string, type: string, sizeBytes: number, limitBytes: number) {
    super(`Event ${type} on stream ${streamId} takes ${sizeBytes} bytes; a DynamoDB item holds at most ${limitBytes}`);
    this.streamId = streamId;
    this.type = type;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

export const isEventStoreError = (error: unknown): error is EventStoreError => hasBrand(error, 'isEventStoreError');
export const isConcurrencyError = (error: unknown): error is ConcurrencyError => hasBrand(error, 'isConcurrencyError');
export const isEventTooLargeError = (error: unknown): error is EventTooLargeError => hasBrand(error, 'isEventTooLargeError');
