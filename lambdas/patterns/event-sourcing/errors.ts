import { hasBrand } from '../../kernel/brand.ts';
import { EightfoldError } from '../../kernel/errors.ts';

/** Thrown by `append` when the stream is not at the expected version: someone else appended first. */
export class ConcurrencyError extends EightfoldError<
  'VERSION_CONFLICT',
  { streamId: string; expectedVersion: number; currentVersion: number }
> {
  override name = 'ConcurrencyError';
  readonly isConcurrencyError = true;
  readonly code = 'VERSION_CONFLICT';

  /** `currentVersion`: the stream's version when the conflict was detected. */
  constructor(streamId: string, expectedVersion: number, currentVersion: number, options?: ErrorOptions) {
    super(
      `Stream ${streamId} is at version ${currentVersion}, not the expected ${expectedVersion}`,
      { streamId, expectedVersion, currentVersion },
      options,
    );
  }
}

/** Thrown by `append`, before anything is written, when an event would not fit in one DynamoDB item (400 KB). */
export class EventTooLargeError extends EightfoldError<
  'EVENT_TOO_LARGE',
  { streamId: string; type: string; sizeBytes: number; limitBytes: number }
> {
  override name = 'EventTooLargeError';
  readonly isEventTooLargeError = true;
  readonly code = 'EVENT_TOO_LARGE';

  constructor(streamId: string, type: string, sizeBytes: number, limitBytes: number) {
    super(`Event ${type} on stream ${streamId} takes ${sizeBytes} bytes; a DynamoDB item holds at most ${limitBytes}`, {
      streamId,
      type,
      sizeBytes,
      limitBytes,
    });
  }
}

export const isConcurrencyError = (error: unknown): error is ConcurrencyError => hasBrand(error, 'isConcurrencyError');
export const isEventTooLargeError = (error: unknown): error is EventTooLargeError => hasBrand(error, 'isEventTooLargeError');
